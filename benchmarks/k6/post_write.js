// Create posts (with a hashtag) as ordinary seeded users: the response must not wait for fan-out, which runs in the
// worker off the request path. VUS users post as fast as they can (a throughput figure), or, with RATE set, posts
// arrive at RATE per second (a latency figure: the fan-out scenario, whose probe posts as the most followed user).
import http from 'k6/http';
import { check } from 'k6';
import { Trend } from 'k6/metrics';
import { API, DURATION, VUS, bearer, options as baseOptions, signInMany, summaryTo } from './lib.js';

const RATE = parseInt(__ENV.RATE || '0', 10);
export const options = RATE
  ? baseOptions({
    scenarios: {
      main: {
        executor: 'constant-arrival-rate', rate: RATE, timeUnit: '1s', duration: DURATION, preAllocatedVUs: VUS,
        maxVUs: VUS * 4, gracefulStop: '10s',
      },
    },
  })
  : baseOptions();
const createMs = new Trend('post_create_ms', true);
// Unique texts: a text repeated within a day is held as spam by moderation's local check, also across runs.
const RUN = Date.now().toString(36);

export function setup() {
  return { sessions: signInMany(VUS) };
}

export default function (data) {
  const session = data.sessions[(__VU - 1) % data.sessions.length];
  const body = JSON.stringify({ content: `benchmark post ${RUN}-${__VU}-${__ITER} about #benchmarks and #python` });
  const res = http.post(`${API}/posts`, body, Object.assign(bearer(session.token), { tags: { name: 'create_post' } }));
  if (check(res, { 'created 201': (r) => r.status === 201 })) createMs.add(res.timings.duration);
}

export const handleSummary = summaryTo;
