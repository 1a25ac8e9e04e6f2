// Picking a recommendation from the library puts its text in the text box, to adapt it to the
// country. Without this script an empty text box takes the library's text as it is.
(function () {
  "use strict";
  document.querySelectorAll("select[data-fills]").forEach(function (select) {
    var box = document.getElementById(select.dataset.fills);
    if (!box) { return; }
    var copied = "";  // the library text last put in the box
    select.addEventListener("change", function () {
      var option = select.options[select.selectedIndex];
      var text = (option && option.dataset.text) || "";
      if (box.value.trim() === "" || box.value === copied) {
        box.value = text;
        copied = text;
      }
    });
  });
})();
