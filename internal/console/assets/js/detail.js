// The detail view of one request (GET /admin/requests/{id}) in a modal
// dialog: facts, timings, tokens, every attempt, the trace link and the raw
// record.

import { byId, badge, el } from './dom.js';
import { dateTime, int, millis } from './format.js';
import { failed } from './records.js';

function facts(pairs) {
  return el('dl', { class: 'facts' }, pairs
    .filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
}

function section(title, ...content) {
  return el('section', { class: 'detail-section' }, el('h3', {}, title), ...content);
}

function traceLink(traceId, jaegerURL) {
  if (!traceId) return el('span', { class: 'muted' }, 'not traced');
  if (!jaegerURL) return el('span', { class: 'mono' }, traceId);
  const href = `${jaegerURL}/trace/${encodeURIComponent(traceId)}`;
  return el('a', { class: 'mono', id: 'detail-trace', href, target: '_blank', rel: 'noopener noreferrer' }, traceId,
    el('span', { class: 'visually-hidden' }, ' (opens Jaeger in a new tab)'));
}

function attemptsTable(attempts) {
  if (!attempts?.length) return el('p', { class: 'muted' }, 'No upstream attempt (the request was answered by the gateway).');
  return el('div', { class: 'table-wrap' }, el('table', { id: 'detail-attempts' },
    el('thead', {}, el('tr', {}, ['#', 'Account', 'Decision', 'HTTP status', 'Outcome', 'Reason', 'Duration']
      .map((h, i) => el('th', { scope: 'col', class: i === 3 || i === 6 ? 'num' : undefined }, h)))),
    el('tbody', {}, attempts.map((a, i) => el('tr', { class: a.outcome === 'success' ? undefined : 'failed' },
      el('td', {}, String(i + 1)),
      el('td', {}, a.email || a.account, el('span', { class: 'sub mono' }, a.account)),
      el('td', {}, a.decision || '–'),
      el('td', { class: 'num' }, a.status ? String(a.status) : '–'),
      el('td', {}, badge(a.outcome || '–', a.outcome === 'success' ? 'ok' : 'err')),
      el('td', {}, a.reason || '–'),
      el('td', { class: 'num' }, millis(a.duration_ms)))))));
}

function render(r, jaegerURL) {
  const t = r.tokens || {};
  return [
    facts([
      ['Status', el('span', {}, badge(String(r.status), failed(r) ? 'err' : 'ok'))],
      ['Error', r.error],
      ['Time', dateTime(r.time)],
      ['Protocol', `${r.protocol} · ${r.route}${r.stream ? ' · stream' : ''}`],
      ['Client key', r.key],
      ['Model', r.model],
      ['Mapped model', r.mapped_model],
      ['Response model', r.response_model],
      ['Account', r.account],
      ['Finish reasons', (r.finish_reasons || []).join(', ')],
      ['Replica', r.replica],
      ['Trace', traceLink(r.trace_id, jaegerURL)],
    ]),
    el('div', { class: 'detail-pair' },
      section('Timings', facts([
        ['Total latency', millis(r.latency_ms)],
        ['Time to first byte', r.ttfb_ms ? millis(r.ttfb_ms) : undefined],
        ['Upstream time', millis((r.attempts || []).reduce((s, a) => s + (a.duration_ms || 0), 0))],
      ])),
      section('Tokens', facts([
        ['Input', int(t.input)],
        ['Output', int(t.output)],
        ['Cache read', t.cache_read ? int(t.cache_read) : undefined],
        ['Cache write', t.cache_write ? int(t.cache_write) : undefined],
        ['Reasoning', t.reasoning ? int(t.reasoning) : undefined],
      ]))),
    section(`Attempts (${(r.attempts || []).length})`, attemptsTable(r.attempts)),
    el('details', {}, el('summary', {}, 'Raw record'), el('pre', { class: 'raw mono' }, JSON.stringify(r, null, 2))),
  ];
}

/** createDetail builds the dialog; open(id, opener) shows one request. */
export function createDetail({ admin, config }) {
  const dialog = byId('detail');
  const title = byId('detail-title');
  const body = byId('detail-body');
  let opener = null;
  let current = 0;

  byId('detail-close').addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => {
    current++;
    if (opener?.isConnected) opener.focus();
    opener = null;
  });

  return {
    async open(id, from) {
      const n = ++current;
      opener = from;
      title.textContent = `Request ${id}`;
      body.replaceChildren(el('p', { class: 'muted', role: 'status' }, 'Loading…'));
      if (!dialog.open) dialog.showModal();
      try {
        const r = await admin.request(id);
        if (n === current) body.replaceChildren(...render(r, config.jaeger_url));
      } catch (err) {
        if (n === current) body.replaceChildren(el('p', { class: 'message error', role: 'alert' }, `Cannot read the request: ${err.message}`));
      }
    },
  };
}
