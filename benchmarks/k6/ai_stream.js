// AI reply streams against the Gemini stand-in on loopback (run.py starts it with CHUNKS chunks, DELAY_MS apart).
// Each VU owns one conversation and sends a message per iteration; the response is the reply's SSE stream.
// k6 gets the body only when the stream ends, so: time to first chunk is the server's own measure (first_token_ms in
// ai_complete, GUIDE.md section 4 (a)); full-stream time is the request's duration; headers_ms is the time to the
// response headers; added_ms_per_chunk spreads what the stream took beyond the stand-in's own pacing over its chunks.
import http from 'k6/http';
import { check, fail } from 'k6';
import { Counter, Rate, Trend } from 'k6/metrics';
import { API, VUS, bearer, options as baseOptions, parseSse, signInMany, summaryTo } from './lib.js';

// A 30 ms x 200-chunk reply takes 6 s at best: let streams that started in time finish.
export const options = baseOptions();
options.scenarios.main.gracefulStop = '60s';
const CHUNKS = parseInt(__ENV.CHUNKS || '20', 10);
const DELAY_MS = parseFloat(__ENV.DELAY_MS || '0');
// The stand-in echoes the message, split into CHUNKS pieces: the text must be long enough for every chunk.
const MESSAGE = 'Tell me something about streaming replies. '.repeat(Math.ceil(CHUNKS / 40) + 1);
const streams = new Counter('streams');
const failedStreams = new Rate('stream_errors');
const firstTokenMs = new Trend('server_first_token_ms', true);
const streamMs = new Trend('stream_ms', true);
const headersMs = new Trend('headers_ms', true);
const addedMs = new Trend('added_ms_per_chunk', true);
const chunkCount = new Trend('chunks');

export function setup() {
  const sessions = signInMany(VUS);
  for (const session of sessions) {
    const res = http.post(`${API}/ai/conversations`, JSON.stringify({ title: 'benchmark' }), bearer(session.token));
    if (res.status !== 201) fail(`creating a conversation failed: ${res.status} ${res.body}`);
    session.conversation = res.json('id');
  }
  return { sessions };
}

export default function (data) {
  const session = data.sessions[(__VU - 1) % data.sessions.length];
  const url = `${API}/ai/conversations/${session.conversation}/messages`;
  const params = Object.assign(bearer(session.token), { tags: { name: 'ai_reply' }, timeout: '600s' });
  const res = http.post(url, JSON.stringify({ content: MESSAGE }), params);
  const frames = res.status === 200 ? parseSse(res.body) : [];
  const complete = frames.find((f) => f.event === 'ai_complete');
  const chunks = frames.filter((f) => f.event === 'ai_chunk').length;
  const ok = check(res, { 'stream completed': () => complete !== undefined });
  failedStreams.add(!ok);
  if (!ok) return;
  streams.add(1);
  streamMs.add(res.timings.duration);
  headersMs.add(res.timings.waiting);
  chunkCount.add(chunks);
  const message = JSON.parse(complete.data).message;
  if (message.first_token_ms !== null && message.first_token_ms !== undefined) firstTokenMs.add(message.first_token_ms);
  addedMs.add(Math.max(0, res.timings.duration - chunks * DELAY_MS) / Math.max(chunks, 1));
}

export const handleSummary = summaryTo;
