// Shared helpers of the salon k6 scenarios. benchmarks/run.py passes everything through environment variables:
// BASE_URL (salon or the reference app, always 127.0.0.1), VUS, DURATION, PASSWORD (of every seeded user),
// USER_OFFSET/USER_COUNT (which seeded users a scenario signs in as) and SUMMARY_FILE (where the JSON summary goes).
import http from 'k6/http';
import { fail } from 'k6';

export const BASE = __ENV.BASE_URL;
export const API = `${BASE}/api/v1`;
export const VUS = parseInt(__ENV.VUS || '64', 10);
export const DURATION = __ENV.DURATION || '15s';
export const JSON_HEADERS = { 'Content-Type': 'application/json' };

export function options(extra = {}) {
  return Object.assign(
    {
      scenarios: { main: { executor: 'constant-vus', vus: VUS, duration: DURATION, gracefulStop: '10s' } },
      summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(95)', 'p(99)', 'count'],
      setupTimeout: '300s',
      discardResponseBodies: false,
      noConnectionReuse: false,
    },
    extra,
  );
}

export function userName(index) {
  return `user${String(index).padStart(5, '0')}`;
}

// Seeded users skip the most followed few (user00000 is followed by nearly everyone; posting as it is a separate
// fan-out measurement), so scenarios act as ordinary users.
export function userIndex(n) {
  const offset = parseInt(__ENV.USER_OFFSET || '100', 10);
  const count = parseInt(__ENV.USER_COUNT || '1000', 10);
  return offset + (n % count);
}

export function bearer(token) {
  return { headers: Object.assign({ Authorization: `Bearer ${token}` }, JSON_HEADERS) };
}

export function login(index) {
  const body = JSON.stringify({ login: userName(index), password: __ENV.PASSWORD });
  return http.post(`${API}/auth/login`, body, { headers: JSON_HEADERS, tags: { name: 'login' } });
}

// Sign in `count` distinct seeded users, 16 at a time; fails the run when any sign-in fails (nothing to measure).
export function signInMany(count) {
  const sessions = [];
  for (let start = 0; start < count; start += 16) {
    const batch = [];
    for (let n = start; n < Math.min(count, start + 16); n++) {
      const body = JSON.stringify({ login: userName(userIndex(n)), password: __ENV.PASSWORD });
      batch.push(['POST', `${API}/auth/login`, body, { headers: JSON_HEADERS, tags: { name: 'setup_login' } }]);
    }
    for (const res of http.batch(batch)) {
      if (res.status !== 200) fail(`setup sign-in failed: ${res.status} ${res.body}`);
      const data = res.json();
      sessions.push({ token: data.access_token, refresh: data.refresh_token, id: data.user.id, username: data.user.username });
    }
  }
  return sessions;
}

// Server-Sent Events in a complete body: [{event, id, data}] (comments and heartbeats skipped).
export function parseSse(body) {
  const frames = [];
  for (const block of (body || '').split(/\r?\n\r?\n/)) {
    const frame = { event: 'message', id: null, data: '' };
    let hasField = false;
    for (const line of block.split(/\r?\n/)) {
      if (!line || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') frame.event = value;
      else if (field === 'id') frame.id = value;
      else if (field === 'data') frame.data += (frame.data ? '\n' : '') + value;
      hasField = true;
    }
    if (hasField) frames.push(frame);
  }
  return frames;
}

export function summaryTo(data) {
  return { [__ENV.SUMMARY_FILE || 'summary.json']: JSON.stringify(data) };
}
