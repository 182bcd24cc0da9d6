// Small progressive enhancements; every page works without this file.
// Loaded as an external file (no inline scripts) so a strict Content-Security-Policy can forbid inline code.
(function () {
  "use strict";
  var WIDE = window.matchMedia("(min-width: 52em)");

  // The search filters sit in a <details> that is closed on phones (results first) and open beside the
  // results on wide screens. Only the wide-screen opening needs script; without it a click opens them.
  function openFiltersOnWideScreens() {
    var filters = document.getElementById("filters");
    if (filters && WIDE.matches) {
      filters.open = true;
    }
  }

  // A wide table scrolls inside its box (templates/_scroll.html); its hint ("scroll sideways") is shown on narrow
  // screens by the stylesheet alone, and here only where the box really is narrower than what it holds.
  function markScrollingTables() {
    var wrappers = document.querySelectorAll("[data-scroll-table]");
    for (var i = 0; i < wrappers.length; i++) {
      var box = wrappers[i].querySelector(".table-scroll");
      if (box && box.clientWidth > 0) {
        wrappers[i].setAttribute("data-overflows", box.scrollWidth > box.clientWidth + 1 ? "true" : "false");
      }
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    openFiltersOnWideScreens();
    markScrollingTables();
  });
  WIDE.addEventListener("change", openFiltersOnWideScreens);
  window.addEventListener("resize", markScrollingTables);
  document.addEventListener("toggle", markScrollingTables, true); // a table in a <details> is measured once opened
  document.addEventListener("htmx:afterSettle", markScrollingTables);
})();
