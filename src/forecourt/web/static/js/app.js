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

  document.addEventListener("DOMContentLoaded", function () {
    openFiltersOnWideScreens();
  });
  WIDE.addEventListener("change", openFiltersOnWideScreens);
})();
