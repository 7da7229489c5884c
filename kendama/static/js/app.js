// Small progressive enhancements; every page works without them.
(function () {
  "use strict";

  // The browser's time zone (an IANA name such as America/New_York), or "" when it tells none.
  var browserZone = "";
  try {
    browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (e) { /* older browsers: times stay in UTC */ }
  if (!/^[A-Za-z0-9_+\-]+(\/[A-Za-z0-9_+\-]+)*$/.test(browserZone)) browserZone = "";

  function cookieValue(name) {
    var pairs = document.cookie ? document.cookie.split("; ") : [];
    for (var i = 0; i < pairs.length; i++) {
      if (pairs[i].indexOf(name + "=") === 0) return pairs[i].slice(name.length + 1);
    }
    return null;
  }

  // Remember the zone so pages show times in it before sign-in, and follow a traveller's new
  // zone. The name goes in as it is (a cookie value may hold "/"), and the server reads it so.
  if (browserZone && cookieValue("tz") !== browserZone) {
    document.cookie = "tz=" + browserZone + "; path=/; max-age=31536000; samesite=lax";
  }

  // A time-zone select that asks for it (registration) starts on the browser's zone, on the
  // very first page view too, before the server has seen the cookie.
  var zoneSelect = document.querySelector("select[data-prefer-browser-zone]");
  if (zoneSelect && browserZone) {
    for (var i = 0; i < zoneSelect.options.length; i++) {
      if (zoneSelect.options[i].value === browserZone) {
        zoneSelect.value = browserZone;
        break;
      }
    }
  }

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
