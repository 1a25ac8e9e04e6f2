// Progressive enhancements only: every page works without this file.
(function () {
  "use strict";
  // Move focus to the error summary so that screen readers announce it.
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
  // Ask before destructive actions.
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (button && button.dataset.confirm && !window.confirm(button.dataset.confirm)) {
      event.preventDefault();
    }
  });
})();
