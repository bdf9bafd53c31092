// Many open event streams (GET /api/v1/events) held for HOLD seconds each, STREAMS at once, while users like posts
// at ACTION_RATE likes per second, each followed by its unlike (each like notifies the post's author over their
// stream). A fixed arrival rate, not VUs acting as fast as they can: delivery delay is a latency figure, and a
// saturated server's latency says only how long its queue is. Every stream ends by the client's timeout after
// HOLD seconds: that is the expected end; any other ending (an HTTP error, a refused connection, the server closing
// it early) counts as an error. k6 sees a stream's body only when it ends, so action-to-delivery delay is measured by
// benchmarks/run.py's probe, which reads its streams frame by frame while this load runs.
import http from 'k6/http';
import { check } from 'k6';
import { Counter, Rate, Trend } from 'k6/metrics';
import { API, bearer, options as baseOptions, signInMany, summaryTo } from './lib.js';

const STREAMS = parseInt(__ENV.STREAMS || '1000', 10);
const HOLD = parseInt(__ENV.HOLD || '15', 10);
const ACTION_RATE = parseInt(__ENV.ACTION_RATE || '50', 10);
const USERS = Math.min(STREAMS, parseInt(__ENV.STREAM_USERS || '200', 10));

export const options = baseOptions({
  scenarios: {
    listeners: { executor: 'per-vu-iterations', vus: STREAMS, iterations: 1, maxDuration: `${HOLD + 60}s`, exec: 'listen' },
    actions: {
      executor: 'constant-arrival-rate', rate: ACTION_RATE, timeUnit: '1s', duration: `${HOLD}s`, startTime: '5s',
      preAllocatedVUs: 20, maxVUs: 200, exec: 'act',
    },
  },
});
const held = new Counter('streams_held');
const streamErrors = new Rate('stream_errors');
const eventsPerStream = new Trend('events_per_stream');
const likeMs = new Trend('like_ms', true);

export function setup() {
  const sessions = signInMany(USERS);
  const posts = [];
  for (const session of sessions.slice(0, 50)) {
    const res = http.get(`${API}/users/${session.username}/posts?limit=5`, bearer(session.token));
    if (res.status === 200) for (const item of res.json('items')) if (item.id) posts.push(item.id);
  }
  return { sessions, posts };
}

export function listen(data) {
  const session = data.sessions[(__VU - 1) % data.sessions.length];
  const res = http.get(`${API}/events`, Object.assign(bearer(session.token), { timeout: `${HOLD}s`, tags: { name: 'events' } }));
  // k6 reports the client-side timeout as error_code 1050, with what the stream sent so far as the body: the stream
  // stayed open for the whole hold. A timeout with an empty body is a stream the server never answered (a connection
  // still waiting to be accepted), not a stream held.
  const opened = (res.body || '').length > 0;
  const ok = opened && (res.error_code === 1050 || (res.status === 200 && res.timings.duration >= HOLD * 1000 - 100));
  check(res, { 'stream held open': () => ok });
  streamErrors.add(!ok);
  if (ok) held.add(1);
  if (res.body) eventsPerStream.add((res.body.match(/^event:/gm) || []).length);
}

export function act(data) {
  if (!data.posts.length) return;
  const session = data.sessions[(__VU * 7919 + __ITER) % data.sessions.length];
  const post = data.posts[(__VU * 31 + __ITER) % data.posts.length];
  const res = http.post(`${API}/posts/${post}/like`, null, Object.assign(bearer(session.token), { tags: { name: 'like' } }));
  if (check(res, { 'like 200': (r) => r.status === 200 })) likeMs.add(res.timings.duration);
  http.del(`${API}/posts/${post}/like`, null, Object.assign(bearer(session.token), { tags: { name: 'unlike' } }));
}

export const handleSummary = summaryTo;
