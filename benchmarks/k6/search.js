// Search as seeded users: posts by a word of the seed's vocabulary (full text, ranked with recency), users by part of
// a name (trigram), hashtags by prefix; one type per iteration in turn, 20 results.
import http from 'k6/http';
import { check } from 'k6';
import { Trend } from 'k6/metrics';
import { API, VUS, bearer, options as baseOptions, signInMany, summaryTo } from './lib.js';

export const options = baseOptions();
const searchMs = new Trend('search_ms', true);
const byType = { posts: new Trend('search_posts_ms', true), users: new Trend('search_users_ms', true),
  hashtags: new Trend('search_hashtags_ms', true) };
// Words and tag prefixes from benchmarks/seed.py; user names are user00000..: "user0123" matches ten of them.
const WORDS = ['fox', 'conversations', 'streaming', 'friends', 'ideas', 'tomorrow', 'learned', 'alive'];
const TAG_PREFIXES = ['pyth', 'mus', 'trav', 'post', 'coff', 'jaz', 'sci', 'gam'];
const TYPES = ['posts', 'users', 'hashtags'];

export function setup() {
  return { sessions: signInMany(VUS) };
}

function query(type, n) {
  if (type === 'posts') return WORDS[n % WORDS.length];
  if (type === 'users') return `user0${String(n % 1000).padStart(3, '0')}`;
  return TAG_PREFIXES[n % TAG_PREFIXES.length];
}

export default function (data) {
  const session = data.sessions[(__VU - 1) % data.sessions.length];
  const type = TYPES[__ITER % TYPES.length];
  const q = encodeURIComponent(query(type, __VU * 7 + __ITER));
  const res = http.get(`${API}/search?type=${type}&q=${q}&limit=20`,
    Object.assign(bearer(session.token), { tags: { name: `search_${type}` } }));
  if (check(res, { 'search 200': (r) => r.status === 200 })) {
    searchMs.add(res.timings.duration);
    byType[type].add(res.timings.duration);
  }
}

export const handleSummary = summaryTo;
