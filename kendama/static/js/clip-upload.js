// Practice clip uploads with a progress bar. Without this script the form posts as usual and the
// page answers with a redirect; with it, the same POST goes through XMLHttpRequest, whose upload
// events drive the <progress> element, and the answer (JSON) is read in place.
(function () {
  "use strict";
  var form = document.querySelector("form[data-clip-upload]");
  if (!form) return;
  var bar = document.getElementById("clip-progress");
  var status = document.getElementById("clip-status");
  var button = form.querySelector("button[type=submit]");

  function say(text) {
    status.textContent = text;
  }

  form.addEventListener("submit", function (event) {
    if (!form.reportValidity()) return;
    event.preventDefault();
    var request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.setRequestHeader("X-Requested-With", "clip-upload");
    request.responseType = "json";
    bar.hidden = false;
    bar.value = 0;
    button.disabled = true;
    say("Uploading…");
    var lastSaid = 0;
    request.upload.addEventListener("progress", function (progress) {
      if (!progress.lengthComputable) return;
      var percent = Math.floor((progress.loaded / progress.total) * 100);
      bar.value = percent;
      if (percent - lastSaid >= 25) {  // a screen reader hears every quarter, not every percent
        lastSaid = percent;
        say("Uploading… " + percent + " %");
      }
    });
    request.upload.addEventListener("load", function () {
      say("Uploaded; checking the clip…");
    });
    request.addEventListener("load", function () {
      var body = request.response || {};
      if (request.status === 201 && body.next) {
        window.location.assign(body.next);
        return;
      }
      button.disabled = false;
      bar.hidden = true;
      say((body.error && body.error.message) || "The upload failed. Please try again.");
      button.focus();
    });
    request.addEventListener("error", function () {
      button.disabled = false;
      bar.hidden = true;
      say("The upload was interrupted. Check your connection and try again.");
      button.focus();
    });
    request.send(new FormData(form));
  });
})();
