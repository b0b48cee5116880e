// The overview's numbers, computed from request log records: per-minute
// requests and errors, latency, and rotations and cooldowns per account.

import { failed } from './records.js';

const MINUTE = 60000;

// Attempt reasons whose failure always puts the account (or its model group)
// into cooldown. Transient failures (server_error, timeout, network) are
// tolerated once and only cool when they repeat, so they count only as
// rotations.
const COOLING_REASONS = new Set(['rate_limit', 'quota_exhausted', 'capacity', 'auth', 'forbidden', 'not_found']);

function add(map, key, n = 1) {
  map.set(key, (map.get(key) || 0) + n);
}

function ranked(map) {
  return [...map.entries()].map(([name, value]) => ({ name, value }))
    .sort((a, b) => b.value - a.value || a.name.localeCompare(b.name));
}

function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

/**
 * summarize counts the records of the last `minutes` before nowMs.
 * buckets[i] covers [start + i min, start + (i+1) min).
 */
export function summarize(records, nowMs, minutes = 60) {
  const start = nowMs - minutes * MINUTE;
  const buckets = Array.from({ length: minutes }, (_, i) => ({ start: start + i * MINUTE, total: 0, errors: 0 }));
  const rotations = new Map();
  const cooldowns = new Map();
  const latencies = [];
  let total = 0;
  let errors = 0;
  let oldest = Infinity;
  for (const r of records) {
    const t = Date.parse(r.time);
    if (!Number.isFinite(t)) continue;
    oldest = Math.min(oldest, t);
    if (t < start || t > nowMs) continue;
    const b = buckets[Math.min(minutes - 1, Math.floor((t - start) / MINUTE))];
    b.total++;
    total++;
    if (failed(r)) {
      b.errors++;
      errors++;
    }
    if (Number.isFinite(r.latency_ms)) latencies.push(r.latency_ms);
    for (const a of r.attempts || []) {
      if (a.outcome !== 'rotate') continue;
      const who = a.email || a.account || 'unknown';
      add(rotations, who);
      if (COOLING_REASONS.has(a.reason)) add(cooldowns, who);
    }
  }
  latencies.sort((a, b) => a - b);
  return {
    start,
    buckets,
    total,
    errors,
    errorRate: total ? errors / total : NaN,
    avgLatency: latencies.length ? latencies.reduce((s, x) => s + x, 0) / latencies.length : NaN,
    p95Latency: quantile(latencies, 0.95),
    rotations: ranked(rotations),
    cooldowns: ranked(cooldowns),
    oldest: Number.isFinite(oldest) ? oldest : null,
  };
}
