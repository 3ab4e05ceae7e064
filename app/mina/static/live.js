// Live meeting page: a minimal Socket.IO v4 client over a plain WebSocket (no CDN needed),
// recording in self-contained 4-second chunks, and the summary button.
(function () {
  "use strict";
  const list = document.getElementById("transcript");
  const status = document.getElementById("connection");
  const recordButton = document.getElementById("record");
  const summaryBox = document.getElementById("summary");
  const meetingId = Number(list.dataset.meetingId);
  let ws = null, nextAck = 0, seq = nextSeq(), recorder = null, recording = false;
  const acks = {};

  function nextSeq() {
    const items = list.querySelectorAll("li[data-seq]");
    return items.length ? Number(items[items.length - 1].dataset.seq) + 1 : 0;
  }

  function say(text) { status.textContent = text; }

  function emit(event, data, onAck) {
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    let id = "";
    if (onAck) { id = String(nextAck++); acks[id] = onAck; }
    ws.send("42" + id + JSON.stringify([event, data]));
  }

  function addSegment(s) {
    if (list.querySelector('li[data-seq="' + s.seq + '"]')) return;
    const li = document.createElement("li");
    li.dataset.seq = s.seq;
    const who = document.createElement("strong");
    who.textContent = (s.speaker || "Unknown") + ":";
    li.append(who, " " + s.text);
    list.append(li);
    seq = Math.max(seq, s.seq + 1);
  }

  function onPacket(packet) {
    if (packet[0] === "0") { ws.send("40"); return; }        // engine.io open
    if (packet === "2") { ws.send("3"); return; }            // ping -> pong
    if (packet.startsWith("40")) {                           // socket.io connected
      emit("join", { meeting_id: meetingId }, function (ack) {
        say(ack && ack.ok ? "Connected (worker " + ack.worker_pid + ")." : "Could not join: " + (ack && ack.message));
      });
      return;
    }
    if (packet.startsWith("44")) { say("Connection refused: please log in again."); return; }
    const ackMatch = packet.match(/^43(\d+)(\[.*)$/s);
    if (ackMatch) {
      const cb = acks[ackMatch[1]]; delete acks[ackMatch[1]];
      if (cb) cb(JSON.parse(ackMatch[2])[0]);
      return;
    }
    if (packet.startsWith("42")) {
      const [event, data] = JSON.parse(packet.slice(2));
      if (event === "segment" && data.meeting_id === meetingId) addSegment(data);
      if (event === "error") say("Error: " + data.message);
    }
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    ws = new WebSocket(scheme + "://" + location.host + "/socket.io/?EIO=4&transport=websocket");
    ws.onmessage = function (e) { onPacket(String(e.data)); };
    ws.onclose = function () { say("Disconnected; retrying in 3 seconds."); setTimeout(connect, 3000); };
    say("Connecting…");
  }

  function toBase64(buffer) {
    let binary = "";
    const bytes = new Uint8Array(buffer);
    for (let i = 0; i < bytes.length; i += 0x8000) {
      binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    }
    return btoa(binary);
  }

  async function recordChunk(stream) {
    recorder = new MediaRecorder(stream);
    recorder.ondataavailable = async function (e) {
      if (!e.data.size) return;
      const audio = toBase64(await e.data.arrayBuffer());
      emit("audio_chunk", { meeting_id: meetingId, seq: seq++, audio: audio }, function (ack) {
        if (ack && !ack.ok) say("Chunk not stored: " + ack.message);
      });
    };
    recorder.onstop = function () { if (recording) recordChunk(stream); };
    recorder.start();
    setTimeout(function () { if (recorder.state === "recording") recorder.stop(); }, 4000);
  }

  recordButton.addEventListener("click", async function () {
    if (recording) {
      recording = false; recorder && recorder.state === "recording" && recorder.stop();
      recordButton.textContent = "Start recording"; recordButton.setAttribute("aria-pressed", "false");
      return;
    }
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      recording = true; recordChunk(stream);
      recordButton.textContent = "Stop recording"; recordButton.setAttribute("aria-pressed", "true");
    } catch (err) { say("Microphone unavailable: " + err.message); }
  });

  document.getElementById("summarise").addEventListener("click", async function () {
    summaryBox.textContent = "Summarising…";
    const response = await fetch("/api/meetings/" + meetingId + "/summary", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: "{}",
      credentials: "same-origin" });
    const body = await response.json();
    summaryBox.textContent = response.ok ? body.content
      : body.error + (body.retryable ? " (you can try again)" : "");
  });

  connect();
})();
