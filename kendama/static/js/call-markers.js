// The player's "note marker" during a call: posted in place, so the call stays on screen, and
// the answer ("Marker at 07:42 saved") read out by the call's status line.
(function () {
  "use strict";
  var form = document.getElementById("marker-form");
  var status = document.getElementById("call-status");
  if (!form || !status || !window.fetch) return;
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { "X-Requested-With": "marker" },
      credentials: "same-origin",
    })
      .then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      })
      .then(function (answer) {
        if (answer.ok) {
          status.textContent = "Marker at " + answer.body.at_label + " saved.";
          form.reset();
        } else {
          status.textContent = (answer.body.error && answer.body.error.message) || "The marker was not saved.";
        }
      })
      .catch(function () {
        status.textContent = "The marker was not saved; check your connection.";
      });
  });
})();
