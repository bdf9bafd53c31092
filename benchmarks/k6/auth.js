// Sign-in and token refresh. Each iteration signs a seeded user in (argon2id verification: CPU-bound by design) and
// rotates the refresh token it got once.
import http from 'k6/http';
import { check } from 'k6';
import { Trend } from 'k6/metrics';
import { API, JSON_HEADERS, VUS, login, options as baseOptions, summaryTo, userIndex } from './lib.js';

export const options = baseOptions();
const loginMs = new Trend('login_ms', true);
const refreshMs = new Trend('refresh_ms', true);

export default function () {
  // Distinct users across VUs at any moment: the per-account limit counts sign-ins in flight.
  const res = login(userIndex((__VU - 1) + VUS * __ITER));
  if (!check(res, { 'login 200': (r) => r.status === 200 })) return;
  loginMs.add(res.timings.duration);
  const refreshed = http.post(`${API}/auth/refresh`, JSON.stringify({ refresh_token: res.json('refresh_token') }), {
    headers: JSON_HEADERS,
    tags: { name: 'refresh' },
  });
  if (check(refreshed, { 'refresh 200': (r) => r.status === 200 })) refreshMs.add(refreshed.timings.duration);
}

export const handleSummary = summaryTo;
