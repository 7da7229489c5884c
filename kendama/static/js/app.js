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

  // A page drawn in another zone than the browser's for a visitor who is not signed in (the very
  // first page, before the cookie reached the server, or a traveller's first page in a new zone)
  // is drawn again in the browser's zone, once per zone and tab, so no page ever says UTC wrongly.
  var shownZone = document.body.getAttribute("data-shown-zone");
  if (browserZone && shownZone && shownZone !== browserZone && cookieValue("tz") === browserZone) {
    try {
      if (window.sessionStorage.getItem("kendama-zone-redrawn") !== browserZone) {
        window.sessionStorage.setItem("kendama-zone-redrawn", browserZone);
        window.location.reload();
        return;
      }
    } catch (e) { /* no session storage: the next page shows the zone */ }
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
  var keptBeforeSwap = [];
  document.addEventListener("htmx:beforeSwap", function (event) {
    focusedBeforeSwap = document.activeElement;
    keptBeforeSwap = keptFields(event.detail.target);
  });

  // What the person typed or ticked in fields marked data-keep-across-swap (a note, a consent)
  // inside content about to be replaced: the new content gets it back (picking another day
  // replaces the booking form, which used to lose the note).
  function keptFields(target) {
    if (!target) return [];
    return Array.prototype.map.call(target.querySelectorAll("[data-keep-across-swap][name]"), function (field) {
      return { name: field.name, value: field.type === "checkbox" ? field.checked : field.value };
    });
  }

  function restoreFields(target, kept) {
    kept.forEach(function (saved) {
      var field = target.querySelector("[data-keep-across-swap][name='" + saved.name + "']");
      if (!field) return;
      if (field.type === "checkbox") field.checked = saved.value;
      else field.value = saved.value;
    });
  }

  // After an htmx swap: announce what changed; keep focus where it was (a radio whose change
  // fetched content elsewhere) unless the swap removed the focused element, so it never drops
  // to the page body.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!target) return;
    var labelled = target.querySelector("[data-announce]") || (target.hasAttribute("data-announce") ? target : null);
    if (labelled) announce(labelled.getAttribute("data-announce"));
    restoreFields(target, keptBeforeSwap);
    keptBeforeSwap = [];
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
