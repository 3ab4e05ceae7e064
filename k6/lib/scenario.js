// What one virtual user does each iteration; every suite runs this with its own load shape.
import { sleep } from 'k6';
import * as api from './api.js';
import { liveSession } from './socketio.js';

const CHUNKS = 2;
let user = null; // one account per VU: registered and logged in on its first iteration

export function userJourney() {
  api.health();
  if (user === null) user = api.registerAndLogin();
  const id = api.createMeeting(`k6 ${__VU}.${__ITER}`);
  if (id === null) return;
  api.browseMeetings(id);
  const got = liveSession(id, api.cookieHeader(), CHUNKS);
  api.segments(id, got);
  if (got > 0) api.summarise(id);
  api.deleteMeeting(id);
  sleep(0.5);
}
