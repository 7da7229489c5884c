// The camera and microphone check before joining: what getUserMedia gives, and what to tell the
// person when it gives less (permission refused, no device, a device busy, no secure context).
// window.KendamaCallDevices.open(wantCamera) resolves to { stream, camera, mic, message }.
(function () {
  "use strict";

  var REFUSED = "Your browser did not allow the camera and microphone. Allow them for this site in the " +
    "browser's settings and choose Try again, or join without them.";

  function explain(error, what) {
    var name = error && error.name;
    if (name === "NotAllowedError" || name === "SecurityError") return REFUSED;
    if (name === "NotFoundError" || name === "OverconstrainedError") return "No " + what + " was found.";
    if (name === "NotReadableError" || name === "AbortError") {
      return "Your " + what + " is in use by another app or could not start. Close that app and choose Try again.";
    }
    return "Your " + what + " could not start (" + (name || "unknown error") + ").";
  }

  // Echo cancellation stays on (people use speakers); noise suppression is off, because it takes
  // out the click of the ball landing in a cup, which is half of what a player listens for.
  var AUDIO = { echoCancellation: true, noiseSuppression: false, autoGainControl: true };

  function result(stream, message) {
    return {
      stream: stream,
      camera: !!(stream && stream.getVideoTracks().length),
      mic: !!(stream && stream.getAudioTracks().length),
      message: message
    };
  }

  function microphoneOnly(reason) {
    return navigator.mediaDevices.getUserMedia({ audio: AUDIO, video: false }).then(function (stream) {
      return result(stream, reason ? reason + " You can join with your microphone only." : "Your microphone is ready; your camera stays off.");
    }, function (error) {
      var why = error && error.name === "NotAllowedError" ? REFUSED : explain(error, "microphone");
      return result(null, (reason && reason !== why ? reason + " " : "") + why + " You can still join to see and hear the other person.");
    });
  }

  function open(wantCamera) {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      return Promise.resolve(result(null, "This page cannot use a camera or microphone here (it needs https or " +
        "localhost). You can still join to see and hear the other person."));
    }
    if (!wantCamera) return microphoneOnly("");
    return navigator.mediaDevices.getUserMedia({ audio: AUDIO, video: { width: 640, height: 480 } }).then(function (stream) {
      return result(stream, "Your camera and microphone are ready.");
    }, function (error) {
      if (error && (error.name === "NotAllowedError" || error.name === "SecurityError")) {
        return result(null, REFUSED);
      }
      return microphoneOnly(explain(error, "camera"));
    });
  }

  function stop(stream) {
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
  }

  window.KendamaCallDevices = { open: open, stop: stop };
})();
