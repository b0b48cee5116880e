// The overview: the last hour of the request log as numbers and charts.

import { bars, columns, line } from './charts.js';
import { byId, el, say } from './dom.js';
import { clock, int, millis, percent } from './format.js';
import { Poller } from './poll.js';
import { parseNDJSON } from './records.js';
import { summarize } from './stats.js';

const REFRESH_MS = 15000;
const LIST_MAX = 1000; // the most GET /admin/requests returns

function tile(name, value, id) {
  return el('div', { class: 'tile', id }, el('div', { class: 'value' }, value), el('div', { class: 'name' }, name));
}

function render(s) {
  byId('ov-tiles').replaceChildren(
    tile('Requests', int(s.total), 'ov-total'),
    tile('Errors', `${int(s.errors)} · ${percent(s.errorRate)}`, 'ov-error-rate'),
    tile('Average latency', millis(s.avgLatency), 'ov-avg'),
    tile('95th percentile latency', millis(s.p95Latency), 'ov-p95'),
    tile('Rotations', int(s.rotations.reduce((n, e) => n + e.value, 0)), 'ov-rotation-total'),
    tile('Cooldowns', int(s.cooldowns.reduce((n, e) => n + e.value, 0)), 'ov-cooldown-total'));
  const xAxis = ['−60 min', '−30 min', 'now'];
  const minute = (b) => clock(b.start).slice(0, 5);
  byId('ov-rpm').replaceChildren(columns(
    s.buckets.map((b) => ({ value: b.total, title: `${minute(b)}: ${b.total} requests` })),
    { label: `Requests per minute over the last hour: ${s.total} in all`, xAxis, format: (v) => int(v) }));
  byId('ov-errors').replaceChildren(line(
    s.buckets.map((b) => ({
      value: b.total ? b.errors / b.total : null,
      title: `${minute(b)}: ${b.errors} of ${b.total} failed (${percent(b.total ? b.errors / b.total : 0, 0)})`,
    })),
    { label: `Error rate per minute over the last hour: ${percent(s.errorRate)} overall`, xAxis, minMax: 0.1, format: (v) => percent(v, 0) }));
  byId('ov-rotations').replaceChildren(bars(s.rotations,
    { label: 'Rotations per account in the last hour', empty: 'No rotation in the last hour.' }));
  byId('ov-cooldowns').replaceChildren(bars(s.cooldowns,
    { label: 'Cooldowns per account in the last hour', empty: 'No cooldown in the last hour.', alt: true }));
}

/** createOverviewPage builds the overview. */
export function createOverviewPage({ admin }) {
  const status = byId('ov-status');
  const full = byId('ov-full');

  async function refresh() {
    let records;
    try {
      records = full.checked
        ? parseNDJSON(await admin.exportText())
        : (await admin.requests({ limit: String(LIST_MAX) })).requests || [];
    } catch (err) {
      say(status, err.status === 404
        ? 'The request log is off on this gateway (SWITCHYARD_REQUEST_LOG_MAX=0): there is nothing to chart.'
        : `Cannot read the request log: ${err.message}`, 'error');
      return;
    }
    const s = summarize(records, admin.now());
    render(s);
    let note = full.checked
      ? `From the whole request log (${int(records.length)} records); updated ${clock(admin.now())}.`
      : `From the newest ${int(records.length)} request log records; updated ${clock(admin.now())}.`;
    if (!full.checked && records.length >= LIST_MAX && s.oldest > s.start) {
      note += ` Only the newest ${LIST_MAX} requests are counted, back to ${clock(s.oldest)}: tick “Read the whole log” for the full hour.`;
    }
    say(status, note);
  }

  const poller = new Poller(refresh, REFRESH_MS);
  full.addEventListener('change', () => poller.now());
  byId('ov-refresh').addEventListener('click', () => poller.now());

  return {
    show: () => poller.start(),
    hide: () => poller.stop(),
  };
}
