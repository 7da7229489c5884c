// The join page: asks the server for a meeting token by POST (never through a URL) and hands
// it to the call frame the video provider names in data-provider (its CallFrame kind): Daily's
// (daily-js), or the offline sandbox's room page, by postMessage to that same-origin frame. Call
// events update the status line and the "Recording now" indicator.
(function () {
  "use strict";

  var call = document.getElementById("video-call");
  if (!call) return;
  var button = document.getElementById("join-call");
  var statusLine = document.getElementById("call-status");
  var stage = document.getElementById("call-stage");
  var recordingNow = document.getElementById("recording-live");
  var endLesson = document.getElementById("end-lesson");
  var provider = call.getAttribute("data-provider");
  var dailyFrame = null;
  var sandboxListener = null;

  function say(message) { statusLine.textContent = message; }

  // The player's "End the lesson" appears once they are in the call and the lesson has started.
  function offerEndLesson() {
    if (!endLesson || !endLesson.hidden) return;
    var wait = Date.parse(endLesson.getAttribute("data-from")) - Date.now();
    if (wait <= 0) endLesson.hidden = false; else window.setTimeout(offerEndLesson, Math.min(wait, 2147483647));
  }

  function handle(type, detail) {
    if (type === "prejoin") {
      // The call frame checks the camera and microphone and has its own Join button: go there.
      button.hidden = true;
      say("Check your camera and microphone in the call window, then join.");
      var checking = stage.querySelector("iframe");
      if (checking) checking.focus();
    } else if (type === "joined-meeting") {
      button.hidden = true;
      say("You are in the call.");
      // The Join button just disappeared; keyboard users continue inside the call.
      var frame = stage.querySelector("iframe");
      if (frame) frame.focus();
      offerEndLesson();
    } else if (type === "left-meeting") {
      recordingNow.hidden = true;  // not in the call: whatever it records, this page no longer says so
      if (detail && detail.ended) {
        // The room closed (the lesson was ended, or its time is up): there is nothing to rejoin.
        say("The call has ended.");
        if (endLesson) endLesson.hidden = true;
        // The call's controls are gone: the keyboard lands on what the page says now.
        statusLine.setAttribute("tabindex", "-1");
        statusLine.focus();
        return;
      }
      say("You left the call. You can join again until the session ends.");
      button.hidden = false;
      button.disabled = false;
      button.focus();
    } else if (type === "recording-started") {
      recordingNow.hidden = false;
      say("Recording has started.");
    } else if (type === "recording-stopped") {
      recordingNow.hidden = true;
      say("Recording has stopped.");
    } else if (type === "error") {
      say((detail && (detail.message || detail.errorMsg)) || "The call ran into a problem. Please try again.");
      button.hidden = false;
      button.disabled = false;
    }
  }

  function joinSandbox(grant) {
    var origin = new URL(grant.room_url, window.location.href).origin;
    var frame = document.createElement("iframe");
    frame.title = "Video call";
    frame.className = "call-frame";
    frame.setAttribute("allow", "camera; microphone; fullscreen; display-capture; autoplay");
    if (sandboxListener) window.removeEventListener("message", sandboxListener);
    sandboxListener = function (event) {
      if (event.source !== frame.contentWindow || event.origin !== origin) return;
      var message = event.data || {};
      if (message.source !== "kendama-video-sandbox") return;
      if (message.type === "ready") {
        frame.contentWindow.postMessage({ type: "join", token: grant.token }, origin);
      } else {
        handle(message.type, message.detail);
      }
    };
    window.addEventListener("message", sandboxListener);
    stage.textContent = "";
    stage.appendChild(frame);
    stage.hidden = false;
    frame.src = grant.room_url;
  }

  function joinDaily(grant) {
    if (!window.Daily) {
      say("The call could not load. Please reload the page.");
      button.disabled = false;
      return;
    }
    if (!dailyFrame) {
      stage.hidden = false;
      dailyFrame = window.Daily.createFrame(stage, {
        showLeaveButton: true,
        iframeStyle: { width: "100%", height: "100%", border: "0" }
      });
      ["joined-meeting", "left-meeting", "recording-started", "recording-stopped", "error"].forEach(function (name) {
        dailyFrame.on(name, function (event) { handle(name, event); });
      });
    }
    dailyFrame.join({ url: grant.room_url, token: grant.token });
  }

  button.addEventListener("click", function () {
    button.disabled = true;
    say("Getting your pass to the room…");
    fetch(call.getAttribute("data-join-url"), {
      method: "POST",
      credentials: "same-origin",
      cache: "no-store",
      headers: { "X-CSRFToken": call.getAttribute("data-csrf"), "Accept": "application/json" }
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (result) {
      if (!result.ok) {
        button.disabled = false;
        say((result.data.error && result.data.error.message) || "Could not join the call.");
        return;
      }
      say("Opening the call…");
      if (provider === "daily") joinDaily(result.data); else joinSandbox(result.data);
    }).catch(function () {
      button.disabled = false;
      say("Could not reach the server. Check your connection and try again.");
    });
  });
})();
