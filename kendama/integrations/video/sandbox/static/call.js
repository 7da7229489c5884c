// The sandbox's call screen. The embedding page hands over the meeting token by postMessage
// (never in a URL); the token then travels only in POST bodies. First a camera and microphone
// check, then the call: presence polling carries the room's state and the WebRTC signals for
// this person (call-peers.js does the connections). Events go back to the parent page in the
// shape of daily-js's events (joined-meeting, recording-started, left-meeting, error).
(function () {
  "use strict";

  var root = document.getElementById("call");
  var statusLine = document.getElementById("call-status");
  if (!root || !statusLine) return;
  var base = root.getAttribute("data-base");
  var iceServers = JSON.parse(root.getAttribute("data-ice-servers") || "[]");
  function $(id) { return document.getElementById(id); }
  var announcer = $("call-announce");
  var check = { section: $("call-check"), preview: $("check-preview"), message: $("check-message"),
                join: $("call-join"), noCamera: $("call-join-no-camera"), retry: $("call-retry") };
  var room = { section: $("call-room"), connection: $("call-connection"), recording: $("call-recording"),
               remoteVideo: $("remote-video"), remotePlaceholder: $("remote-placeholder"), remoteName: $("remote-name"),
               localVideo: $("local-video"), localPlaceholder: $("local-placeholder"), localMuted: $("local-muted"),
               mic: $("call-mic"), camera: $("call-camera"), leave: $("call-leave"), people: $("call-people") };

  var POLL_MS = 1000;
  var FAST_POLL_MS = 250;  // while connections are being set up
  var token = null;
  var participantId = null;
  var after = 0;
  var timer = null;
  var fastUntil = 0;
  var recording = false;
  var local = null;
  var other = null;        // { id, name, owner }
  var otherMedia = { camera: true, mic: true };
  var connection = "";
  var peers = null;

  function tell(type, detail) {
    if (window.parent !== window) {
      window.parent.postMessage({ source: "kendama-video-sandbox", type: type, detail: detail || {} }, window.location.origin);
    }
  }

  function announce(message) {
    announcer.textContent = "";
    window.setTimeout(function () { announcer.textContent = message; }, 50);
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

  // --- the check before joining -----------------------------------------------------------
  // The parent page moves the keyboard into this frame when the check starts ("prejoin"); the
  // check may finish before that, so its first choice takes the focus when the frame gets it.
  var focusTarget = null;
  function offerFocus(element) {
    focusTarget = element;
    element.focus();
  }
  window.addEventListener("focus", function () {
    if (focusTarget && !focusTarget.hidden && document.activeElement === document.body) focusTarget.focus();
  });

  function runCheck(wantCamera) {
    window.KendamaCallDevices.stop(local);
    local = null;
    check.message.textContent = "Starting your camera and microphone…";
    [check.join, check.noCamera, check.retry].forEach(function (b) { b.hidden = true; });
    return window.KendamaCallDevices.open(wantCamera).then(function (found) {
      local = found.stream;
      check.preview.srcObject = local;
      check.preview.hidden = !found.camera;
      check.message.textContent = found.message;
      check.join.hidden = !found.camera;
      check.noCamera.hidden = false;
      check.noCamera.textContent = found.mic || found.camera ? "Join without camera" : "Join without camera or microphone";
      check.retry.hidden = found.camera;
      offerFocus(found.camera ? check.join : check.noCamera);
      return found;
    });
  }

  function showCheck(meetingToken) {
    token = meetingToken;
    statusLine.textContent = "Check your camera and microphone, then join.";
    check.section.hidden = false;
    tell("prejoin");
    runCheck(true);
  }

  check.join.addEventListener("click", function () { join(); });
  check.noCamera.addEventListener("click", function () {
    if (local && local.getAudioTracks().length) {
      local.getVideoTracks().forEach(function (track) { track.stop(); local.removeTrack(track); });
      return join();
    }
    // No microphone yet (everything was refused): ask for the microphone alone, then join either way.
    runCheck(false).then(join);
  });
  check.retry.addEventListener("click", function () { runCheck(true); });

  // --- in the call ------------------------------------------------------------------------
  function mediaState() {
    var audio = local ? local.getAudioTracks()[0] : null;
    var video = local ? local.getVideoTracks()[0] : null;
    return { mic: !!(audio && audio.enabled), camera: !!(video && video.enabled) };
  }

  function showOwnMedia() {
    var state = mediaState();
    var hasAudio = !!(local && local.getAudioTracks().length);
    var hasVideo = !!(local && local.getVideoTracks().length);
    room.mic.hidden = !hasAudio;
    room.camera.hidden = !hasVideo;
    room.mic.textContent = state.mic ? "Mute microphone" : "Unmute microphone";
    room.camera.textContent = state.camera ? "Turn camera off" : "Turn camera on";
    room.localMuted.hidden = state.mic;
    room.localPlaceholder.hidden = state.camera;
    room.localPlaceholder.textContent = hasVideo ? "Your camera is off" : "No camera";
    if (peers) peers.setMedia(state);
  }

  function showOther() {
    if (!other) {
      room.remoteName.textContent = "";
      room.remotePlaceholder.hidden = false;
      room.remotePlaceholder.textContent = "Waiting for the other person to join…";
      return;
    }
    var name = other.name + (other.owner ? " (player)" : "");
    room.remoteName.textContent = name + (otherMedia.mic ? "" : " (muted)");
    room.remotePlaceholder.hidden = otherMedia.camera && !!room.remoteVideo.srcObject;
    room.remotePlaceholder.textContent = otherMedia.camera ? "Connecting to " + other.name + "…" : other.name + "'s camera is off";
  }

  var CONNECTION_WORDS = { alone: "Connected; waiting for the other person", connecting: "Connecting…", new: "Connecting…",
                           connected: "Connected", disconnected: "Reconnecting…", failed: "Reconnecting…" };

  function showConnection(state) {
    var words = CONNECTION_WORDS[state];
    if (!words || words === connection) return;
    connection = words;
    room.connection.textContent = words;
    if (state !== "new") announce(words);
    if (state === "connecting" || state === "disconnected" || state === "failed") fastUntil = Date.now() + 8000;
  }

  function render(state) {
    room.people.textContent = "";
    var next = null;
    state.participants.forEach(function (person) {
      var item = document.createElement("li");
      item.textContent = person.name + (person.owner ? " (player)" : "") + (person.you ? " — you" : "");
      room.people.appendChild(item);
      if (!person.you && !next) next = person;
    });
    if ((next && next.id) !== (other && other.id)) {
      if (next && !other) announce(next.name + " joined the call.");
      if (!next && other) announce(other.name + " left the call.");
      other = next;
      otherMedia = { camera: true, mic: true };
    }
    peers.sync(state.participants, state.recorder);
    showOther();
    if (state.recording !== recording) {
      recording = state.recording;
      room.recording.hidden = !recording;
      announce(recording ? "Recording has started." : "Recording has stopped.");
      tell(recording ? "recording-started" : "recording-stopped");
    }
    tell("participant-counts", { present: state.participants.length });
  }

  function send(to, kind, data) {
    fastUntil = Date.now() + 5000;
    post("/signal", { token: token, participant_id: participantId, to: to, kind: kind, data: data }).catch(function () {});
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(beat, Date.now() < fastUntil ? FAST_POLL_MS : POLL_MS);
  }

  // `closed`: the room admits nobody any more (the lesson was ended, or its time is up).
  function ended(message, closed) {
    window.clearTimeout(timer);
    timer = null;
    participantId = null;
    if (peers) peers.close();
    peers = null;
    window.KendamaCallDevices.stop(local);
    local = null;
    room.remoteVideo.srcObject = null;
    room.localVideo.srcObject = null;
    room.leave.hidden = true;
    room.mic.hidden = true;
    room.camera.hidden = true;
    // Out of the call this screen knows nothing of the room: not who is in it, nor whether it records.
    room.people.textContent = "";
    other = null;
    showOther();
    room.connection.textContent = "";
    if (recording) {
      recording = false;
      room.recording.hidden = true;
      tell("recording-stopped");
    }
    statusLine.textContent = message;
    tell("left-meeting", { ended: closed });
  }

  function beat() {
    if (!participantId) return;
    post("/presence", { token: token, participant_id: participantId, after: after }).then(function (result) {
      if (!participantId) return;
      if (!result.ok) return ended(result.data.info || "The call has ended.", true);
      if (result.data.in_call) {
        render(result.data);
        result.data.signals.forEach(function (message) {
          after = Math.max(after, message.seq);
          peers.receive(message);
        });
        return schedule();
      }
      if (result.data.room_closed) return ended("The call has ended.", true);
      ended("You are no longer in the call; it may be open in another window.", false);
    }).catch(function () {
      showConnection("disconnected");
      schedule();
    });
  }

  function join() {
    focusTarget = null;
    check.section.hidden = true;
    check.preview.srcObject = null;
    statusLine.textContent = "Joining…";
    post("/join", { token: token }).then(function (result) {
      if (!result.ok) {
        statusLine.textContent = result.data.info || "Could not join the call.";
        tell("error", { code: result.data.error, message: result.data.info });
        return;
      }
      participantId = result.data.participant_id;
      peers = window.KendamaCallPeers.create({
        iceServers: iceServers,
        send: send,
        onRemoteStream: function (stream) { room.remoteVideo.srcObject = stream; showOther(); },
        onRemoteMedia: function (media) { otherMedia = { camera: !!media.camera, mic: !!media.mic }; showOther(); },
        onConnection: showConnection,
        onProblem: function (step, error) { window.console.warn("call " + step + ": " + (error && error.message)); }
      });
      peers.setLocal(local);
      room.localVideo.srcObject = local;
      room.section.hidden = false;
      room.leave.hidden = false;
      statusLine.textContent = local ? "You are in the call." : "You are in the call. Others cannot see or hear you.";
      showOwnMedia();
      render(result.data);
      tell("joined-meeting");
      room.leave.focus();
      fastUntil = Date.now() + 5000;
      schedule();
    }).catch(function () {
      statusLine.textContent = "Could not reach the call service.";
      tell("error", { code: "network", message: "Could not reach the call service." });
    });
  }

  function toggle(kind) {
    var track = local && (kind === "audio" ? local.getAudioTracks()[0] : local.getVideoTracks()[0]);
    if (!track) return;
    track.enabled = !track.enabled;
    showOwnMedia();
    announce(kind === "audio" ? (track.enabled ? "Microphone on." : "Microphone muted.")
                              : (track.enabled ? "Camera on." : "Camera off."));
  }

  room.mic.addEventListener("click", function () { toggle("audio"); });
  room.camera.addEventListener("click", function () { toggle("video"); });
  room.leave.addEventListener("click", function () {
    var id = participantId;
    if (peers) peers.close();
    post("/leave", { token: token, participant_id: id }).finally(function () { ended("You left the call.", false); });
  });

  window.addEventListener("message", function (event) {
    if (event.origin !== window.location.origin || event.source !== window.parent) return;
    var message = event.data;
    if (!message || message.type !== "join" || typeof message.token !== "string" || token) return;
    showCheck(message.token);
  });

  window.addEventListener("pagehide", function () {
    if (participantId && navigator.sendBeacon) {
      navigator.sendBeacon(base + "/leave", new Blob([JSON.stringify({ token: token, participant_id: participantId })], { type: "application/json" }));
    }
  });

  tell("ready");
})();
