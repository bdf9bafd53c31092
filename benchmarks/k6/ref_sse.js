// Reference: a bare SSE stream of EVENTS events DELAY_MS apart (benchmarks/reference_app.py GET /sse).
import http from 'k6/http';
import { check } from 'k6';
import { Counter, Trend } from 'k6/metrics';
import { BASE, options as baseOptions, parseSse, summaryTo } from './lib.js';

export const options = baseOptions();
const EVENTS = parseInt(__ENV.EVENTS || '20', 10);
const DELAY_MS = parseFloat(__ENV.DELAY_MS || '0');
const streams = new Counter('streams');
const streamMs = new Trend('stream_ms', true);
const addedMs = new Trend('added_ms_per_chunk', true);

export default function () {
  const res = http.get(`${BASE}/sse?events=${EVENTS}&delay_ms=${DELAY_MS}`, { tags: { name: 'ref_sse' }, timeout: '600s' });
  const frames = parseSse(res.body);
  const complete = res.status === 200 && frames.filter((f) => f.event === 'chunk').length === EVENTS;
  check(res, { 'complete stream': () => complete });
  if (complete) {
    streams.add(1);
    streamMs.add(res.timings.duration);
    addedMs.add(Math.max(0, res.timings.duration - EVENTS * DELAY_MS) / Math.max(EVENTS, 1));
  }
}

export const handleSummary = summaryTo;
