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

  // Where focus goes when a swap replaced the element that had it (a link that fetched new content
  // in its own place): the new content's element marked data-focus-after-swap; else the element
  // with the same id (the same link in the new fragment); else the new content's first heading.
  function focusAfterReplace(target, replaced) {
    var next = target.querySelector("[data-focus-after-swap]") ||
      (replaced.id && document.getElementById(replaced.id)) ||
      target.querySelector("h1, h2, h3, h4, h5, h6") ||
      target;
    if (!next.matches("a[href], button, input, select, textarea, [tabindex]")) next.setAttribute("tabindex", "-1");
    next.focus();
  }

  var focusedBeforeSwap = null;
  document.addEventListener("htmx:beforeSwap", function () { focusedBeforeSwap = document.activeElement; });

  // After an htmx swap: announce what changed; keep focus where it was (a radio whose change
  // fetched content elsewhere) unless the swap removed the focused element, so it never drops
  // to the page body.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!target) return;
    var labelled = target.querySelector("[data-announce]") || (target.hasAttribute("data-announce") ? target : null);
    if (labelled) announce(labelled.getAttribute("data-announce"));
    var replaced = focusedBeforeSwap;
    focusedBeforeSwap = null;
    if (replaced && replaced !== document.body && !document.body.contains(replaced)) focusAfterReplace(target, replaced);
  });

  // Server-sent toasts (HX-Trigger: {"announce": "..."}).
  document.addEventListener("announce", function (event) { announce(event.detail && event.detail.value); });

  // Move focus to an error summary when a page arrives with one, else to a notice that asks for it.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.getElementById("error-summary") || document.querySelector("[data-focus-on-load]");
    if (summary) summary.focus();
  });
})();
