// The Keys page's logic without the DOM: reading the create and edit forms
// into admin API bodies, describing limits, and scaling the usage bars.

import { int } from './format.js';

/** KEY_NAME is the form of a client key's name, as the gateway checks it. */
export const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** LIMITS are the limit fields of a key: API field and label. */
export const LIMITS = [
  ['rpm', 'Requests per minute'],
  ['tpm', 'Tokens per minute'],
  ['max_in_flight', 'Requests in flight'],
  ['daily_tokens', 'Tokens per day'],
];

/**
 * parseLimit reads a limit field: empty or 0 is no limit, else a whole
 * number. It returns {value} or {error}.
 */
export function parseLimit(text) {
  const s = String(text ?? '').trim().replace(/[\s_]/g, '');
  if (s === '') return { value: 0 };
  if (!/^\d+$/.test(s)) return { error: 'a whole number, 0 or empty for no limit' };
  const n = Number(s);
  if (!Number.isSafeInteger(n)) return { error: 'too large' };
  return { value: n };
}

/** parseModels reads an allow-list: globs separated by commas, spaces or lines. */
export function parseModels(text) {
  const out = [];
  for (const m of String(text ?? '').split(/[\s,]+/)) {
    if (m !== '' && !out.includes(m)) out.push(m);
  }
  return out;
}

/**
 * readLimits reads the limit fields of a form ({rpm: '60', …}) into numbers;
 * errors names each field that is wrong.
 */
function readLimits(fields) {
  const limits = {};
  const errors = {};
  for (const [f] of LIMITS) {
    const r = parseLimit(fields[f]);
    if (r.error) errors[f] = r.error;
    else limits[f] = r.value;
  }
  return { limits, errors };
}

/**
 * readKeySpec turns the create form's fields (strings) into the body of
 * POST /admin/keys: {spec} or {errors: {field: message}}.
 */
export function readKeySpec(fields) {
  const name = String(fields.name ?? '').trim();
  const { limits, errors } = readLimits(fields);
  if (!KEY_NAME.test(name)) errors.name = '1–64 letters, digits, ".", "_" or "-", starting with a letter or digit';
  if (Object.keys(errors).length > 0) return { errors };
  return { spec: { name, models: parseModels(fields.models), ...limits } };
}

/**
 * limitPatch turns the edit form's fields into the body of PATCH
 * /admin/keys/{name}: only what differs from the key as listed. {patch}
 * (empty when nothing changed) or {errors}.
 */
export function limitPatch(key, fields) {
  const { limits, errors } = readLimits(fields);
  if (Object.keys(errors).length > 0) return { errors };
  const patch = {};
  const models = parseModels(fields.models);
  const before = key.models || [];
  if (models.length !== before.length || models.some((m, i) => m !== before[i])) patch.models = models;
  for (const [f] of LIMITS) {
    if (limits[f] !== (key.limits?.[f] || 0)) patch[f] = limits[f];
  }
  return { patch };
}

/** limitsText describes a key's limits in one line ("60 rpm · 4 in flight"). */
export function limitsText(limits = {}) {
  const parts = [];
  if (limits.rpm > 0) parts.push(`${int(limits.rpm)} rpm`);
  if (limits.tpm > 0) parts.push(`${int(limits.tpm)} tpm`);
  if (limits.max_in_flight > 0) parts.push(`${int(limits.max_in_flight)} in flight`);
  if (limits.daily_tokens > 0) parts.push(`${int(limits.daily_tokens)} tokens/day`);
  return parts.length ? parts.join(' · ') : 'no limits';
}

/** editable tells whether the admin API may change a key: only its own (source api). */
export function editable(key) {
  return key.source === 'api';
}

/**
 * usageScale gives each key's usage today as fractions for its bars:
 * requests against the busiest key's; tokens against the key's daily
 * token limit when it has one (over: true at 90 % or more), else against
 * the busiest key's tokens. Fractions are within 0..1.
 */
export function usageScale(keys) {
  const maxReq = Math.max(0, ...keys.map((k) => k.usage_today?.requests || 0));
  const maxTok = Math.max(0, ...keys.map((k) => k.usage_today?.tokens || 0));
  const frac = (n, of) => (of > 0 ? Math.min(1, n / of) : 0);
  const out = new Map();
  for (const k of keys) {
    const requests = k.usage_today?.requests || 0;
    const tokens = k.usage_today?.tokens || 0;
    const daily = k.limits?.daily_tokens || 0;
    const tokFrac = daily > 0 ? frac(tokens, daily) : frac(tokens, maxTok);
    out.set(k.name, {
      requests, tokens, daily,
      reqFrac: frac(requests, maxReq),
      tokFrac,
      over: daily > 0 && tokens >= 0.9 * daily,
    });
  }
  return out;
}
