// Coach notes beside a recording: a note's time button seeks its video and plays from there;
// "Use the video's current time" copies the paused moment into the note form.
(function () {
  "use strict";
  var videos = document.querySelectorAll("video.recording-video");
  if (!videos.length) return;

  function videoFor(recordingId) {
    if (recordingId) {
      var found = document.querySelector('video.recording-video[data-recording="' + recordingId + '"]');
      if (found) return found;
    }
    return videos[0];
  }

  function label(seconds) {
    var whole = Math.floor(seconds);
    var minutes = Math.floor(whole / 60);
    var rest = whole % 60;
    return (minutes < 10 ? "0" : "") + minutes + ":" + (rest < 10 ? "0" : "") + rest;
  }

  document.querySelectorAll("button.note-seek").forEach(function (button) {
    button.addEventListener("click", function () {
      var video = videoFor(button.dataset.recording);
      video.currentTime = Number(button.dataset.seek);
      video.focus();
      var played = video.play();
      if (played && played.catch) played.catch(function () {});
    });
  });

  var take = document.getElementById("note-take-time");
  var at = document.getElementById("note-at");
  if (take && at) {
    take.hidden = false;
    take.addEventListener("click", function () {
      var part = document.getElementById("note-recording");
      at.value = label(videoFor(part ? part.value : null).currentTime);
      at.focus();
    });
  }
})();
