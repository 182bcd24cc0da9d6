// The hold page's countdown, updated every second. Optional: without script the page shows the minutes left.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var node = document.querySelector("[data-countdown]");
    if (!node) {
      return;
    }
    var ends = Date.now() + parseInt(node.getAttribute("data-countdown"), 10) * 1000;
    function tick() {
      var left = Math.max(0, Math.round((ends - Date.now()) / 1000));
      if (left === 0) {
        node.textContent = node.getAttribute("data-expired");
        return;
      }
      var minutes = Math.floor(left / 60), seconds = left % 60;
      node.textContent = minutes + ":" + (seconds < 10 ? "0" : "") + seconds;
      window.setTimeout(tick, 1000);
    }
    tick();
  });
})();
