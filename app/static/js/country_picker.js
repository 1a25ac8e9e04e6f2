// The country picker of the cycle form: a search box, tick or untick a whole region, and the
// number of countries chosen. Without this script the plain checkboxes do the same work.
(function () {
  "use strict";
  document.querySelectorAll("[data-country-picker]").forEach(function (picker) {
    var filter = picker.querySelector(".country-filter");
    var count = picker.querySelector("[data-chosen-count]");
    var boxes = picker.querySelectorAll("input[type=checkbox]");
    function update() {
      var chosen = 0;
      boxes.forEach(function (box) { if (box.checked) { chosen += 1; } });
      count.textContent = picker.dataset.countText.replace("__N__", chosen);
    }
    filter.hidden = false;
    filter.addEventListener("input", function () {
      var text = filter.value.trim().toLowerCase();
      picker.querySelectorAll("[data-country]").forEach(function (item) {
        item.hidden = text !== "" && item.dataset.country.indexOf(text) === -1;
      });
      picker.querySelectorAll("[data-region]").forEach(function (region) {
        region.hidden = region.querySelectorAll("[data-country]:not([hidden])").length === 0;
      });
    });
    picker.querySelectorAll("[data-select]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var tick = button.dataset.select === "all";
        button.closest("[data-region]").querySelectorAll("[data-country]:not([hidden]) input").forEach(function (box) {
          box.checked = tick;
        });
        update();
      });
    });
    picker.addEventListener("change", update);
    update();
  });
})();
