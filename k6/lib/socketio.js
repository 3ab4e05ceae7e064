// Socket.IO v4 over k6/ws: Engine.IO framing by hand (open "0", ping "2"/pong "3", message "4").
import ws from 'k6/ws';
import encoding from 'k6/encoding';
import { check } from 'k6';
import { Rate, Trend } from 'k6/metrics';
import { EXPECT, WS_URL } from './config.js';

export const connectDuration = new Trend('socketio_connect_duration', true);
export const segmentLatency = new Trend('socketio_segment_latency', true);
export const sessionsOk = new Rate('socketio_sessions_ok');

const SESSION_TIMEOUT_MS = 10000;
const AUDIO = encoding.b64encode('k6 audio chunk '.repeat(128)); // ~1.9 KB, over the API's minimum

export function emit(socket, event, data, ackId) {
  socket.send(`42${ackId === undefined ? '' : ackId}${JSON.stringify([event, data])}`);
}

// Parse one Socket.IO packet inside an Engine.IO message ("4...") into {type, ackId, data}.
export function parsePacket(text) {
  const match = /^4([0-6])(\d*)([\s\S]*)$/.exec(text);
  if (!match) return null;
  const body = match[3] ? JSON.parse(match[3]) : null;
  return { type: match[1], ackId: match[2] === '' ? null : Number(match[2]), data: body };
}

// Join a meeting, send `chunks` audio chunks, and wait until a segment arrives for each one.
export function liveSession(meetingId, cookie, chunks) {
  const started = Date.now();
  const sentAt = {};
  const received = new Set();
  let outcome = 'timeout';
  let refused = 0;
  const res = ws.connect(WS_URL, { headers: { Cookie: cookie }, tags: { endpoint: 'socketio' } }, (socket) => {
    socket.on('message', (text) => {
      if (text[0] === '0') return socket.send('40');
      if (text === '2') return socket.send('3');
      const packet = parsePacket(text);
      if (!packet) return;
      if (packet.type === '0') {
        connectDuration.add(Date.now() - started);
        emit(socket, 'join', { meeting_id: meetingId }, 0);
      } else if (packet.type === '4') {
        outcome = `connect refused: ${JSON.stringify(packet.data)}`;
        socket.close();
      } else if (packet.type === '3' && packet.ackId === 0) {
        if (!packet.data[0] || !packet.data[0].ok) {
          outcome = `join refused: ${JSON.stringify(packet.data[0])}`;
          return socket.close();
        }
        for (let seq = 0; seq < chunks; seq++) {
          sentAt[seq] = Date.now();
          emit(socket, 'audio_chunk', { meeting_id: meetingId, seq, audio: AUDIO });
        }
      } else if (packet.type === '2' && packet.data[0] === 'segment') {
        const segment = packet.data[1];
        if (segment.meeting_id === meetingId && sentAt[segment.seq] !== undefined && !received.has(segment.seq)) {
          received.add(segment.seq);
          segmentLatency.add(Date.now() - sentAt[segment.seq]);
        }
        if (received.size === chunks) {
          outcome = 'ok';
          socket.close();
        }
      } else if (packet.type === '2' && packet.data[0] === 'error') {
        const error = packet.data[1] || {};
        if (EXPECT.transcription === 'refused' && error.code === 'transcription_failed' && error.retryable) {
          refused += 1; // the AI service is down (a profile): each chunk gets a retryable refusal
          if (refused === chunks) { outcome = 'ok'; socket.close(); }
          return;
        }
        outcome = `error event: ${JSON.stringify(error)}`;
        socket.close();
      }
    });
    socket.setTimeout(() => socket.close(), SESSION_TIMEOUT_MS);
  });
  const passed = check(res, { 'socket.io upgraded 101': (r) => r && r.status === 101 })
    && check(outcome, { [`live session: ${EXPECT.transcription === 'refused' ? 'a retryable refusal'
      : 'a segment'} for every chunk`]: (o) => o === 'ok' });
  sessionsOk.add(passed);
  if (!passed) console.warn(`live session on meeting ${meetingId}: ${outcome}`);
  return received.size;
}
