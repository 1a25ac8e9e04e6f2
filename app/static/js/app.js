// Progressive enhancements only: every page works without this file.
(function () {
  "use strict";
  // Move focus to the error summary so that screen readers announce it.
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
  // Keep the heights of the sticky header and of a section's sticky save bar in CSS variables:
  // the page scrolls a focused field clear of both (scroll-padding in app.css, WCAG 2.4.11).
  var root = document.documentElement;
  var header = document.querySelector(".site-header");
  var bar = document.querySelector(".sticky-bottom");
  function measure() {
    var sticky = header && window.getComputedStyle(header).position === "sticky";
    root.style.setProperty("--header-height", (sticky ? header.offsetHeight : 0) + "px");
    if (bar) { root.style.setProperty("--savebar-height", bar.offsetHeight + "px"); }
  }
  measure();
  window.addEventListener("resize", measure);
  if (window.ResizeObserver) {
    var observer = new ResizeObserver(measure);
    [header, bar].forEach(function (element) { if (element) { observer.observe(element); } });
  }
  // Browsers scroll only the caret of a text field into view, which can leave the rest of the
  // field under the save bar: once scrolling stops, bring the whole focused element clear of
  // both bars (or its top, when it is taller than the space between them).
  function reveal(target) {
    var style = window.getComputedStyle(root);
    var top = parseFloat(style.scrollPaddingTop) || 0;
    var bottom = window.innerHeight - (parseFloat(style.scrollPaddingBottom) || 0);
    var box = target.getBoundingClientRect();
    if (!box.height) { return; }
    var delta = box.bottom > bottom ? box.bottom - bottom : 0;
    if (box.top - delta < top) { delta = box.top - top; }
    if (delta) { window.scrollBy({ top: delta, behavior: "instant" }); }
  }
  document.addEventListener("focusin", function (event) {
    var target = event.target;
    if (!target.closest || target.closest(".site-header, .sticky-bottom, .skip-link")) { return; }
    var last = null, frames = 0;
    (function settle() {
      if (document.activeElement !== target || frames > 60) { return; }
      frames += 1;
      if (window.scrollY !== last) { last = window.scrollY; window.requestAnimationFrame(settle); return; }
      reveal(target);
    })();
  });
  // Ask before destructive actions.
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (button && button.dataset.confirm && !window.confirm(button.dataset.confirm)) {
      event.preventDefault();
    }
  });
})();
