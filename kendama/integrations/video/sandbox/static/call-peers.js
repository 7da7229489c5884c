// The WebRTC side of a sandbox call: one RTCPeerConnection to the other person (audio and video
// both ways) and, while the call is recorded, one send-only connection to the sandbox's recorder.
// Offers, answers and ICE candidates travel through the sandbox (send); the person who joined
// later makes the offer, so the two never offer at once. A failed connection is restarted (ICE
// restart) by the offerer; a new peer id (the other person reloaded) replaces the connection.
(function () {
  "use strict";

  var GATHER_MS = 3000;  // the recorder takes a complete offer; host candidates gather in milliseconds

  function create(options) {
    var local = null;
    var remote = null;      // { id, pc, offerer, pending: [candidates] }
    var recorder = null;    // { id, pc }
    var media = { camera: false, mic: false };

    function newConnection() {
      return new RTCPeerConnection({ iceServers: options.iceServers || [] });
    }

    function addLocalTracks(pc, directionIfMissing) {
      var kinds = { audio: false, video: false };
      if (local) {
        local.getTracks().forEach(function (track) {
          pc.addTrack(track, local);
          kinds[track.kind] = true;
        });
      }
      Object.keys(kinds).forEach(function (kind) {
        if (!kinds[kind] && directionIfMissing) pc.addTransceiver(kind, { direction: directionIfMissing });
      });
    }

    function closeRemote(sayBye) {
      if (!remote) return;
      if (sayBye) options.send(remote.id, "bye", {});
      remote.pc.close();
      remote = null;
      options.onRemoteStream(null);
    }

    function offer(peer, restart) {
      return peer.pc.createOffer(restart ? { iceRestart: true } : {}).then(function (description) {
        return peer.pc.setLocalDescription(description);
      }).then(function () {
        options.send(peer.id, "offer", { type: "offer", sdp: peer.pc.localDescription.sdp });
      }).catch(function (error) { options.onProblem("offer", error); });
    }

    function connectTo(person, offerer) {
      var pc = newConnection();
      var peer = { id: person.id, pc: pc, offerer: offerer, pending: [] };
      remote = peer;
      // The offerer asks to receive what it does not send; the answerer's tracks meet the offer's lines.
      addLocalTracks(pc, offerer ? "recvonly" : null);
      pc.onicecandidate = function (event) {
        if (event.candidate && remote === peer) options.send(peer.id, "candidate", event.candidate.toJSON());
      };
      pc.ontrack = function (event) {
        if (remote !== peer) return;
        options.onRemoteStream(event.streams[0] || new MediaStream([event.track]));
      };
      pc.onconnectionstatechange = function () {
        if (remote !== peer) return;
        options.onConnection(pc.connectionState);
        if (pc.connectionState === "failed" && peer.offerer) offer(peer, true);
      };
      options.onConnection("connecting");
      if (offerer) offer(peer, false);
      options.send(peer.id, "media", media);
    }

    function answerOffer(peer, description) {
      return peer.pc.setRemoteDescription(description).then(function () {
        peer.pending.splice(0).forEach(function (candidate) { peer.pc.addIceCandidate(candidate); });
        return peer.pc.createAnswer();
      }).then(function (answer) {
        return peer.pc.setLocalDescription(answer);
      }).then(function () {
        options.send(peer.id, "answer", { type: "answer", sdp: peer.pc.localDescription.sdp });
      }).catch(function (error) { options.onProblem("answer", error); });
    }

    function gathered(pc) {
      if (pc.iceGatheringState === "complete") return Promise.resolve();
      return new Promise(function (resolve) {
        var timer = window.setTimeout(resolve, GATHER_MS);
        pc.addEventListener("icegatheringstatechange", function () {
          if (pc.iceGatheringState === "complete") { window.clearTimeout(timer); resolve(); }
        });
      });
    }

    function closeRecorder() {
      if (!recorder) return;
      recorder.pc.close();
      recorder = null;
    }

    function connectRecorder(id) {
      closeRecorder();
      if (!local || !local.getTracks().length) return;  // nothing of ours to record
      var pc = newConnection();
      recorder = { id: id, pc: pc };
      local.getTracks().forEach(function (track) {
        // The recorder writes 15 frames a second: more would only cost both sides CPU.
        var encodings = track.kind === "video" ? [{ maxFramerate: 15 }] : undefined;
        pc.addTransceiver(track, { direction: "sendonly", streams: [local], sendEncodings: encodings });
      });
      pc.createOffer().then(function (description) {
        return pc.setLocalDescription(description);
      }).then(function () {
        return gathered(pc);
      }).then(function () {
        if (recorder && recorder.pc === pc) options.send(id, "offer", { type: "offer", sdp: pc.localDescription.sdp });
      }).catch(function (error) { options.onProblem("recorder", error); });
    }

    return {
      setLocal: function (stream) { local = stream; },

      // The room's state: who is in it (in joining order) and the recorder's peer id, if recording.
      sync: function (participants, recorderId) {
        var mine = -1;
        var other = null;
        participants.forEach(function (person, index) {
          if (person.you) mine = index; else if (!other) other = { person: person, index: index };
        });
        if (!other) {
          if (remote) closeRemote(false);
          options.onConnection("alone");
        } else if (!remote || remote.id !== other.person.id) {
          closeRemote(false);
          connectTo(other.person, mine > other.index);
        }
        if (recorderId && (!recorder || recorder.id !== recorderId)) connectRecorder(recorderId);
        if (!recorderId) closeRecorder();
      },

      receive: function (message) {
        var data = message.data || {};
        if (recorder && message.from === recorder.id) {
          if (message.kind === "answer") recorder.pc.setRemoteDescription(data).catch(function (e) { options.onProblem("recorder", e); });
          return;
        }
        if (!remote || message.from !== remote.id) return;  // from someone who has since left
        if (message.kind === "offer") answerOffer(remote, data);
        else if (message.kind === "answer") remote.pc.setRemoteDescription(data).then(function () {
          remote.pending.splice(0).forEach(function (candidate) { remote.pc.addIceCandidate(candidate); });
        }).catch(function (e) { options.onProblem("answer", e); });
        else if (message.kind === "candidate") {
          if (remote.pc.remoteDescription) remote.pc.addIceCandidate(data).catch(function (e) { options.onProblem("candidate", e); });
          else remote.pending.push(data);
        } else if (message.kind === "media") options.onRemoteMedia(data);
        else if (message.kind === "bye") closeRemote(false);
      },

      // Tell the other person whether our camera and microphone are on (they show it on our tile).
      setMedia: function (state) {
        media = state;
        if (remote) options.send(remote.id, "media", media);
      },

      close: function () {
        closeRemote(true);
        closeRecorder();
      }
    };
  }

  window.KendamaCallPeers = { create: create };
})();
