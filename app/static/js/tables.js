// Table questions: an "Add a row" button that appends a blank row (named like the others, so
// the form and autosave read it). Without this script the form offers three blank rows and more
// after each save.
(function () {
  "use strict";
  document.querySelectorAll("[data-add-row]").forEach(function (button) {
    var qid = button.dataset.addRow;
    var table = document.querySelector('table[data-rows="' + CSS.escape(qid) + '"]');
    if (!table) { return; }
    var hint = button.parentElement.querySelector("[data-no-script]");
    if (hint) { hint.hidden = true; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var body = table.tBodies[0];
      var last = body.rows[body.rows.length - 1];
      var index = body.rows.length;
      var row = last.cloneNode(true);
      row.querySelectorAll("input, select").forEach(function (input) {
        input.name = input.name.replace(/\[\d+\](\[[^\]]+\])$/, "[" + index + "]$1");
        var label = input.getAttribute("aria-label");
        if (label) { input.setAttribute("aria-label", label.replace(/\d+$/, String(index + 1))); }
        if (input.tagName === "SELECT") { input.selectedIndex = 0; } else { input.value = ""; }
      });
      body.appendChild(row);
      var first = row.querySelector("input, select");
      if (first) { first.focus(); }
    });
  });
})();
