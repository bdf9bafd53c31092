// Reference: the bare framework's constant msgspec Struct (benchmarks/reference_app.py GET /json).
import http from 'k6/http';
import { check } from 'k6';
import { BASE, options as baseOptions, summaryTo } from './lib.js';

export const options = baseOptions();

export default function () {
  const res = http.get(`${BASE}/json`, { tags: { name: 'ref_json' } });
  check(res, { 'status 200': (r) => r.status === 200 });
}

export const handleSummary = summaryTo;
