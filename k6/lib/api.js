// The JSON API as a user drives it: register (or log in as a fixture user) once per VU, meetings, summary.
import http from 'k6/http';
import { check, fail } from 'k6';
import { BASE_URL, EXPECT, FIXTURE } from './config.js';

const JSON_HEADERS = { 'Content-Type': 'application/json' };
const PASSWORD = 'k6-Staging-pass-1';

const AUTH = new Set(['register', 'login', 'logout']);
const SEGMENTS = 500; // fixture segments asked for at once (the endpoint's ?limit=)

// kind: auth (password hashing is deliberately slow), health, ai (waits on the AI service: its own
// SLO, on endpoint:summary), or api; slo.json sets one SLO per kind.
function kindOf(endpoint) {
  if (AUTH.has(endpoint)) return 'auth';
  if (endpoint === 'health' || endpoint === 'ready') return 'health';
  return endpoint === 'summary' ? 'ai' : 'api';
}

function call(method, path, body, endpoint, expected) {
  const kind = kindOf(endpoint);
  const params = { headers: JSON_HEADERS, tags: { endpoint, kind } };
  if (expected) params.responseCallback = http.expectedStatuses(...expected);
  return http.request(method, `${BASE_URL}${path}`, body === undefined ? null : JSON.stringify(body), params);
}

function ok(res, name, status) {
  return check(res, { [`${name} ${status}`]: (r) => r.status === status });
}

export function health() {
  ok(call('GET', '/health', undefined, 'health'), 'health', 200);
  const ready = call('GET', '/health/ready', undefined, 'ready');
  check(ready, { 'ready 200 ok': (r) => r.status === 200 && r.json('status') === 'ok' });
}

// Register a fresh account (the app logs it in), log out, and log in again by username.
export function registerAndLogin() {
  const tag = `${__VU}-${Date.now()}-${Math.floor(Math.random() * 1e9)}`;
  const user = { email: `k6-${tag}@example.com`, username: `k6_${tag}`.slice(0, 40), password: PASSWORD };
  if (!ok(call('POST', '/api/auth/register', user, 'register'), 'register', 201)) {
    fail(`register failed for ${user.email}`);
  }
  ok(call('POST', '/api/auth/logout', {}, 'logout'), 'logout', 200);
  const login = call('POST', '/api/auth/login', { login: user.username, password: PASSWORD }, 'login');
  if (!ok(login, 'login', 200)) fail(`login failed for ${user.username}`);
  return user;
}

// Log in as a fixture user (its data is the loaded fixtures', at prod-scale the most there is).
export function loginFixtureUser(user) {
  const login = call('POST', '/api/auth/login', { login: user.login, password: FIXTURE.password }, 'login');
  if (!ok(login, 'fixture login', 200)) fail(`login failed for fixture user ${user.login}`);
  return user;
}

// Read what a fixture user already has: its meetings and its meeting with the most segments.
export function browseFixtureData(user) {
  const list = call('GET', '/api/meetings?page=1&per_page=20', undefined, 'meetings_list');
  check(list, { 'fixture list meetings 200': (r) => r.status === 200 && r.json('total') >= user.meetings });
  ok(call('GET', `/api/meetings/${user.meeting}`, undefined, 'meetings_show'), 'fixture show meeting', 200);
  const res = call('GET', `/api/meetings/${user.meeting}/segments?limit=${SEGMENTS}`, undefined, 'segments');
  check(res, { 'fixture segments listed': (r) => r.status === 200
    && r.json('items').length === Math.min(user.segments, SEGMENTS) });
}

export function cookieHeader() {
  const jar = http.cookieJar().cookiesForURL(BASE_URL);
  return Object.keys(jar).map((name) => `${name}=${jar[name][0]}`).join('; ');
}

export function createMeeting(title) {
  const res = call('POST', '/api/meetings', { title, description: 'k6 scenario' }, 'meetings_create');
  ok(res, 'create meeting', 201);
  return res.status === 201 ? res.json('id') : null;
}

export function browseMeetings(id) {
  const list = call('GET', '/api/meetings?page=1&per_page=10', undefined, 'meetings_list');
  check(list, { 'list meetings 200': (r) => r.status === 200 && Array.isArray(r.json('items')) });
  ok(call('GET', `/api/meetings/${id}`, undefined, 'meetings_show'), 'show meeting', 200);
}

export function segments(id, expected) {
  const res = call('GET', `/api/meetings/${id}/segments`, undefined, 'segments');
  check(res, { 'segments stored': (r) => r.status === 200 && r.json('items').length === expected });
}

export function summarise(id) {
  const res = call('POST', `/api/meetings/${id}/summary`, {}, 'summary', [EXPECT.summaryStatus]);
  if (EXPECT.summaryStatus === 201) {
    check(res, { 'summary 201': (r) => r.status === 201 && (r.json('content') || '').length > 0 });
    return;
  }
  // the AI service faults (a profile): a retryable answer that says when to try again
  check(res, { [`summary ${EXPECT.summaryStatus} retryable`]: (r) => r.status === EXPECT.summaryStatus
    && r.json('retryable') === true && /^\d+$/.test(r.headers['Retry-After'] || '') });
}

export function deleteMeeting(id) {
  ok(call('DELETE', `/api/meetings/${id}`, undefined, 'meetings_delete'), 'delete meeting', 204);
}
