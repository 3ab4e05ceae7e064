// Live meeting page: Socket.IO through the official client (static/vendor/socket.io.min.js, the
// global `io`), recording in self-contained 4-second chunks, and the summary button.
(function () {
  "use strict";
  const RETRY_MS = 3000;
  const list = document.getElementById("transcript");
  const status = document.getElementById("connection");
  const recordButton = document.getElementById("record");
  const summaryBox = document.getElementById("summary");
  const meetingId = Number(list.dataset.meetingId);
  let seq = nextSeq(), recorder = null, recording = false;

  // WebSocket only, never long-polling: staging runs 2 gunicorn workers without sticky sessions,
  // so a polling session's next request may reach the worker that does not know it.
  const socket = io({ transports: ["websocket"], upgrade: false, autoConnect: false,
                      reconnectionDelay: RETRY_MS, reconnectionDelayMax: RETRY_MS,
                      randomizationFactor: 0 });

  function nextSeq() {
    const items = list.querySelectorAll("li[data-seq]");
    return items.length ? Number(items[items.length - 1].dataset.seq) + 1 : 0;
  }

  function say(text) { status.textContent = text; }

  function emit(event, data, onAck) {
    if (!socket.connected) return;  // no buffering while disconnected, as before
    socket.emit(event, data, onAck);
  }

  function addSegment(s) {
    if (list.querySelector('li[data-seq="' + s.seq + '"]')) return;
    const li = document.createElement("li");
    li.dataset.seq = s.seq;
    const who = document.createElement("strong");
    who.textContent = (s.speaker || "Unknown") + ":";
    li.append(who, " " + s.text);
    // in seq order: segments replayed after a reconnect may arrive after later live ones
    const later = Array.from(list.querySelectorAll("li[data-seq]"))
      .find(function (item) { return Number(item.dataset.seq) > s.seq; });
    list.insertBefore(li, later || null);
    seq = Math.max(seq, s.seq + 1);
  }

  // Join (again) with the last segment shown: the server first replays what this page missed
  // (a reconnect, or a broadcast lost while its message queue was down), 500 at a time.
  function join() {
    emit("join", { meeting_id: meetingId, last_seq: nextSeq() - 1 }, function (ack) {
      if (!ack || !ack.ok) { say("Could not join: " + (ack && ack.message)); return; }
      say("Connected (worker " + ack.worker_pid + ").");
      if (ack.more) join();
    });
  }

  socket.on("connect", join);
  socket.on("segments_missed", function (data) { if (data.meeting_id === meetingId) join(); });
  socket.on("connect_error", function () {
    // Not active: the server refused us (not logged in) and the client will not retry.
    say(socket.active ? "Disconnected; retrying in 3 seconds." : "Connection refused: please log in again.");
  });
  socket.on("disconnect", function () {
    say("Disconnected; retrying in 3 seconds.");
    if (!socket.active) setTimeout(function () { socket.connect(); }, RETRY_MS);  // server-side disconnect
  });
  socket.io.on("reconnect_attempt", function () { say("Connecting…"); });
  socket.on("segment", function (data) { if (data.meeting_id === meetingId) addSegment(data); });
  socket.on("error", function (data) { say("Error: " + data.message); });

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

  say("Connecting…");
  socket.connect();
})();
