// The sandbox's call screen. The embedding page hands over the meeting token by postMessage
// (never in a URL); the token then travels only in POST bodies. Events go back to the parent
// page in the shape of daily-js's events (joined-meeting, recording-started, left-meeting, error).
(function () {
  "use strict";

  var root = document.getElementById("call");
  var statusLine = document.getElementById("call-status");
  if (!root || !statusLine) return;
  var base = root.getAttribute("data-base");
  var people = document.getElementById("call-people");
  var recordingBadge = document.getElementById("call-recording");
  var leaveButton = document.getElementById("call-leave");
  var token = null;
  var participantId = null;
  var timer = null;
  var recording = false;

  function tell(type, detail) {
    if (window.parent !== window) {
      window.parent.postMessage({ source: "kendama-video-sandbox", type: type, detail: detail || {} }, window.location.origin);
    }
  }

  function post(path, body) {
    return fetch(base + path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      credentials: "omit",
      cache: "no-store"
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    });
  }

  function render(state) {
    people.textContent = "";
    state.participants.forEach(function (person) {
      var item = document.createElement("li");
      item.textContent = person.name + (person.owner ? " (player)" : "") + (person.you ? " — you" : "");
      people.appendChild(item);
    });
    if (state.recording !== recording) {
      recording = state.recording;
      recordingBadge.hidden = !recording;
      tell(recording ? "recording-started" : "recording-stopped");
    }
    tell("participant-counts", { present: state.participants.length });
  }

  // `closed`: the room admits nobody any more (the lesson was ended, or its time is up).
  function ended(message, closed) {
    window.clearInterval(timer);
    timer = null;
    participantId = null;
    leaveButton.hidden = true;
    // Out of the call this screen knows nothing of the room: not who is in it, nor whether it records.
    people.textContent = "";
    if (recording) {
      recording = false;
      recordingBadge.hidden = true;
      tell("recording-stopped");
    }
    statusLine.textContent = message;
    tell("left-meeting", { ended: closed });
  }

  function beat() {
    if (!participantId) return;
    post("/presence", { token: token, participant_id: participantId }).then(function (result) {
      if (!result.ok) return ended(result.data.info || "The call has ended.", true);
      if (result.data.in_call) return render(result.data);
      if (result.data.room_closed) return ended("The call has ended.", true);
      ended("You are no longer in the call; it may be open in another window.", false);
    }).catch(function () { statusLine.textContent = "Connection lost; trying again…"; });
  }

  function join(meetingToken) {
    token = meetingToken;
    statusLine.textContent = "Joining…";
    post("/join", { token: token }).then(function (result) {
      if (!result.ok) {
        statusLine.textContent = result.data.info || "Could not join the call.";
        tell("error", { code: result.data.error, message: result.data.info });
        return;
      }
      participantId = result.data.participant_id;
      statusLine.textContent = "You are in the call.";
      leaveButton.hidden = false;
      render(result.data);
      tell("joined-meeting");
      timer = window.setInterval(beat, 3000);
    }).catch(function () {
      statusLine.textContent = "Could not reach the call service.";
      tell("error", { code: "network", message: "Could not reach the call service." });
    });
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== window.location.origin || event.source !== window.parent) return;
    var message = event.data;
    if (!message || message.type !== "join" || typeof message.token !== "string" || participantId) return;
    join(message.token);
  });

  leaveButton.addEventListener("click", function () {
    var id = participantId;
    post("/leave", { token: token, participant_id: id }).finally(function () { ended("You left the call.", false); });
  });

  window.addEventListener("pagehide", function () {
    if (participantId && navigator.sendBeacon) {
      navigator.sendBeacon(base + "/leave", new Blob([JSON.stringify({ token: token, participant_id: participantId })], { type: "application/json" }));
    }
  });

  tell("ready");
})();
