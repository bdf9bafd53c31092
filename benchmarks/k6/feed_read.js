// Read the home feed (ALGORITHM = ranked | chronological, 20 items) as seeded users, warm: every user reads once in
// setup so timelines are built before measuring.
import http from 'k6/http';
import { check, fail } from 'k6';
import { Trend } from 'k6/metrics';
import { API, VUS, bearer, options as baseOptions, signInMany, summaryTo } from './lib.js';

export const options = baseOptions();
const ALGORITHM = __ENV.ALGORITHM || 'ranked';
const feedMs = new Trend('feed_ms', true);
const items = new Trend('feed_items');

function read(session) {
  return http.get(`${API}/feed?algorithm=${ALGORITHM}&limit=20`, Object.assign(bearer(session.token), { tags: { name: `feed_${ALGORITHM}` } }));
}

export function setup() {
  const sessions = signInMany(VUS);
  for (const session of sessions) {
    const res = read(session);
    if (res.status !== 200) fail(`warm-up feed read failed: ${res.status} ${res.body}`);
  }
  return { sessions };
}

export default function (data) {
  const res = read(data.sessions[(__VU - 1) % data.sessions.length]);
  if (check(res, { 'feed 200': (r) => r.status === 200 })) {
    feedMs.add(res.timings.duration);
    items.add(res.json('items.#')); // gjson counts in Go: parsing each 18 KB page into JS objects starved salon of CPU
  }
}

export const handleSummary = summaryTo;
