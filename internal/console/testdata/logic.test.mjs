// Unit tests of the console's DOM-free logic, run by logic_test.go with
// `node --test` next to a copy of assets/js.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { niceMax } from './js/charts.js';
import { editable, limitPatch, limitsText, parseLimit, parseModels, readKeySpec, usageScale } from './js/keyform.js';
import { left, millis, percent, seconds } from './js/format.js';
import { failed, involves, parseNDJSON, rowKey } from './js/records.js';
import { signInMessage } from './js/signin.js';
import { summarize } from './js/stats.js';

const NOW = Date.parse('2026-01-02T10:00:00Z');
const at = (minAgo) => new Date(NOW - minAgo * 60000).toISOString();

function rec(minAgo, status, attempts = [], extra = {}) {
  return { time: at(minAgo), request_id: `r${minAgo}`, status, attempts, latency_ms: 100, ...extra };
}

test('summarize buckets the last hour per minute', () => {
  const s = summarize([
    rec(0.5, 200), rec(0.7, 502, [], { error: 'x' }), rec(30.2, 200), rec(59.9, 429),
    rec(61, 200), // older than an hour
    rec(-1, 200), // in the future (clock skew)
    { time: 'garbage', status: 200 },
  ], NOW);
  assert.equal(s.buckets.length, 60);
  assert.equal(s.total, 4);
  assert.equal(s.errors, 2);
  assert.equal(s.errorRate, 0.5);
  assert.equal(s.buckets[59].total, 2);
  assert.equal(s.buckets[59].errors, 1);
  assert.equal(s.buckets[29].total, 1);
  assert.equal(s.buckets[0].total, 1);
  assert.equal(s.buckets[0].errors, 1);
  assert.equal(s.avgLatency, 100);
  assert.equal(s.start, NOW - 3600000);
  assert.equal(s.oldest, NOW - 61 * 60000);
});

test('summarize counts rotations and cooldowns per account', () => {
  const a = (email, outcome, reason) => ({ account: email.split('@')[0], email, outcome, reason });
  const s = summarize([
    rec(1, 200, [a('x@e', 'rotate', 'server_error'), a('y@e', 'success')]),
    rec(2, 200, [a('x@e', 'rotate', 'rate_limit'), a('z@e', 'rotate', 'quota_exhausted'), a('y@e', 'success')]),
    rec(3, 200, [a('y@e', 'same_account', 'rate_limit'), a('y@e', 'success')]),
    rec(4, 400, [a('y@e', 'client_error', 'client_error')]),
  ], NOW);
  assert.deepEqual(s.rotations, [{ name: 'x@e', value: 2 }, { name: 'z@e', value: 1 }]);
  assert.deepEqual(s.cooldowns, [{ name: 'x@e', value: 1 }, { name: 'z@e', value: 1 }]);
});

test('summarize of nothing', () => {
  const s = summarize([], NOW);
  assert.equal(s.total, 0);
  assert.ok(Number.isNaN(s.errorRate));
  assert.ok(Number.isNaN(s.p95Latency));
  assert.equal(s.oldest, null);
});

test('p95 latency', () => {
  const recs = Array.from({ length: 100 }, (_, i) => rec(1, 200, [], { latency_ms: i + 1 }));
  assert.equal(summarize(recs, NOW).p95Latency, 95);
});

test('niceMax keeps the middle grid line round', () => {
  assert.equal(niceMax(0), 1);
  assert.equal(niceMax(0, 2), 2);
  assert.equal(niceMax(3), 4);
  assert.equal(niceMax(5), 6);
  assert.equal(niceMax(9), 10);
  assert.equal(niceMax(11), 20);
  assert.equal(niceMax(130), 200);
  assert.equal(niceMax(0.333, 0.1), 0.4);
  assert.equal(niceMax(0.02, 0.1), 0.1);
  assert.equal(niceMax(1), 1);
});

test('formats', () => {
  assert.equal(left(900), '1 s');
  assert.equal(left(59000), '59 s');
  assert.equal(left(61000), '1 min 01 s');
  assert.equal(left(2 * 3600000 + 4 * 60000), '2 h 04 min');
  assert.equal(left(-5), '0 s');
  assert.equal(millis(0.25), '0.3 ms');
  assert.equal(millis(85.4), '85 ms');
  assert.equal(millis(1240), '1.24 s');
  assert.equal(percent(0.123), '12.3 %');
  assert.equal(percent(NaN), '–');
  assert.equal(seconds(60), '60 s');
  assert.equal(seconds(1.5), '1.5 s');
});

test('records', () => {
  assert.ok(failed({ status: 502 }));
  assert.ok(failed({ status: 200, error: 'stream broke' }));
  assert.ok(!failed({ status: 200 }));
  const r = { account: 'b@e', attempts: [{ account: 'a' }, { account: 'b' }] };
  assert.ok(involves(r, undefined));
  assert.ok(involves(r, { id: 'a', email: 'a@e' }));
  assert.ok(involves(r, { id: 'other', email: 'b@e' }));
  assert.ok(!involves(r, { id: 'c', email: 'c@e' }));
  assert.ok(!involves({ account: '', attempts: [] }, { id: 'c', email: '' }));
  assert.notEqual(rowKey({ request_id: 'x', time: '1' }), rowKey({ request_id: 'x', time: '2' }));
  assert.deepEqual(parseNDJSON('{"a":1}\n\n{"a":2}\n{"a":'), [{ a: 1 }, { a: 2 }]);
});

test('sign-in messages', () => {
  assert.match(signInMessage({ status: 401, message: 'x' }), /^Wrong admin key.*401/);
  assert.match(signInMessage({ status: 403, message: 'the admin API is disabled: set SWITCHYARD_ADMIN_KEY to enable it' }),
    /^The admin API is disabled on this gateway \(403\).*SWITCHYARD_ADMIN_KEY/);
  assert.match(signInMessage({ status: 0, message: 'cannot reach' }), /cannot reach/);
  assert.match(signInMessage({ status: 503, message: 'the shared store is unavailable' }), /HTTP 503.*store/);
});

test('key limits and allow-lists from the forms', () => {
  assert.deepEqual(parseLimit(''), { value: 0 });
  assert.deepEqual(parseLimit(' 60 '), { value: 60 });
  assert.deepEqual(parseLimit('1 000_000'), { value: 1000000 });
  assert.ok(parseLimit('-1').error);
  assert.ok(parseLimit('1.5').error);
  assert.ok(parseLimit('abc').error);
  assert.ok(parseLimit('99999999999999999999').error);
  assert.deepEqual(parseModels(' claude-*, gpt-4o\ngpt-4o  gemini-2.5-pro,,'), ['claude-*', 'gpt-4o', 'gemini-2.5-pro']);
  assert.deepEqual(parseModels(''), []);

  const ok = readKeySpec({ name: ' team-red ', models: 'claude-*', rpm: '60', tpm: '', max_in_flight: '4', daily_tokens: '0' });
  assert.deepEqual(ok, { spec: { name: 'team-red', models: ['claude-*'], rpm: 60, tpm: 0, max_in_flight: 4, daily_tokens: 0 } });
  const bad = readKeySpec({ name: '<img src=x>', rpm: 'lots' });
  assert.ok(bad.errors.name && bad.errors.rpm && !bad.spec);
  assert.ok(readKeySpec({ name: 'a'.repeat(65) }).errors.name);
  assert.ok(readKeySpec({ name: '-leading' }).errors.name);
});

test('the edit form sends only what changed', () => {
  const key = { name: 'k', models: ['claude-*'], limits: { rpm: 60, tpm: 0, max_in_flight: 0, daily_tokens: 1000 } };
  const same = { models: 'claude-*', rpm: '60', tpm: '0', max_in_flight: '', daily_tokens: '1000' };
  assert.deepEqual(limitPatch(key, same), { patch: {} });
  assert.deepEqual(limitPatch(key, { ...same, rpm: '120' }), { patch: { rpm: 120 } });
  assert.deepEqual(limitPatch(key, { ...same, models: '', daily_tokens: '0' }), { patch: { models: [], daily_tokens: 0 } });
  assert.deepEqual(limitPatch({ name: 'n', models: [], limits: {} }, { models: 'gpt-*', rpm: '', tpm: '', max_in_flight: '', daily_tokens: '' }),
    { patch: { models: ['gpt-*'] } });
  assert.ok(limitPatch(key, { ...same, tpm: 'x' }).errors.tpm);
});

test('limits text and who may edit', () => {
  assert.equal(limitsText({}), 'no limits');
  assert.equal(limitsText({ rpm: 60, tpm: 0, max_in_flight: 4, daily_tokens: 0 }), '60 rpm · 4 in flight');
  assert.match(limitsText({ daily_tokens: 1000000 }), /^1.000.000 tokens\/day$/);
  assert.ok(editable({ source: 'api' }));
  assert.ok(!editable({ source: 'file' }));
  assert.ok(!editable({ source: 'env' }));
});

test('usage bars scale to the busiest key or the daily limit', () => {
  const s = usageScale([
    { name: 'a', usage_today: { requests: 10, tokens: 500 }, limits: {} },
    { name: 'b', usage_today: { requests: 5, tokens: 1000 }, limits: { daily_tokens: 1000 } },
    { name: 'c', usage_today: { requests: 0, tokens: 0 }, limits: { daily_tokens: 100 } },
    { name: 'd', limits: {} },
  ]);
  assert.equal(s.get('a').reqFrac, 1);
  assert.equal(s.get('b').reqFrac, 0.5);
  assert.equal(s.get('a').tokFrac, 0.5); // of the busiest key's 1000
  assert.equal(s.get('b').tokFrac, 1); // of its own daily limit
  assert.ok(s.get('b').over && !s.get('a').over && !s.get('c').over);
  assert.equal(s.get('c').tokFrac, 0);
  assert.deepEqual([s.get('d').requests, s.get('d').reqFrac, s.get('d').tokFrac], [0, 0, 0]);
  const none = usageScale([{ name: 'x', usage_today: { requests: 0, tokens: 0 } }]);
  assert.equal(none.get('x').reqFrac, 0);
});
