// Small progressive enhancements; every page works without them.
(function () {
  "use strict";

  // Remember the browser's time zone so pages can show times in it before sign-in.
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && document.cookie.indexOf("tz=") === -1) {
      document.cookie = "tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; samesite=lax";
    }
  } catch (e) { /* older browsers: times stay in UTC */ }

  function announce(message) {
    var region = document.getElementById("live-region");
    if (!region || !message) return;
    region.textContent = "";
    window.setTimeout(function () { region.textContent = message; }, 50);
  }

  // After an htmx swap: announce what changed and move focus to it when asked to.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!target) return;
    var labelled = target.querySelector("[data-announce]") || (target.hasAttribute("data-announce") ? target : null);
    if (labelled) announce(labelled.getAttribute("data-announce"));
    var focusTarget = target.querySelector("[data-focus-after-swap]");
    if (focusTarget) focusTarget.focus();
  });

  // Server-sent toasts (HX-Trigger: {"announce": "..."}).
  document.addEventListener("announce", function (event) { announce(event.detail && event.detail.value); });

  // Move focus to an error summary when a page arrives with one.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.getElementById("error-summary");
    if (summary) summary.focus();
  });
})();
