// What one virtual user does each iteration; every suite runs this with its own load shape.
import { sleep } from 'k6';
import * as api from './api.js';
import { FIXTURE } from './config.js';
import { liveSession } from './socketio.js';

const CHUNKS = 2;
let user = null; // one account per VU: logged in on its first iteration
let fixture = null; // the fixture user this VU is, if it is one

// Odd VUs are fixture users (the heaviest first), even VUs register fresh accounts: both the
// sign-up path and data of the size the replica holds are under load.
export function fixtureUserFor(vu, users) {
  if (vu % 2 === 0 || users.length === 0) return null;
  return users[((vu - 1) / 2) % users.length];
}

export function userJourney() {
  api.health();
  if (user === null) {
    fixture = fixtureUserFor(__VU, FIXTURE.users);
    user = fixture ? api.loginFixtureUser(fixture) : api.registerAndLogin();
  }
  if (fixture) api.browseFixtureData(fixture);
  const id = api.createMeeting(`k6 ${__VU}.${__ITER}`);
  if (id === null) return;
  api.browseMeetings(id);
  const got = liveSession(id, api.cookieHeader(), CHUNKS);
  api.segments(id, got);
  if (got > 0) api.summarise(id);
  api.deleteMeeting(id);
  sleep(0.5);
}
