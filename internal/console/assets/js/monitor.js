// The request monitor: the newest requests first, polled while "Live" is on,
// filtered by text and errors on the gateway and by account and protocol
// here (the API has no such filters), with a detail view per request.

import { createDetail } from './detail.js';
import { byId, badge, el, say } from './dom.js';
import { clock, int, millis } from './format.js';
import { setupExport } from './export.js';
import { Poller } from './poll.js';
import { failed, involves, rowKey } from './records.js';

const REFRESH_MS = 3000;
const PROTOCOLS = { openai: 'OpenAI', anthropic: 'Anthropic', gemini: 'Gemini' };

function modelCell(r) {
  const mapped = r.mapped_model && r.mapped_model !== r.model ? el('span', { class: 'sub' }, `→ ${r.mapped_model}`) : null;
  return el('td', {}, r.model || '–', mapped);
}

function statusCell(r) {
  return el('td', { class: 'num' }, badge(String(r.status || '–'), failed(r) ? 'err' : 'ok'));
}

function attemptsCell(r) {
  const attempts = r.attempts || [];
  const rotated = attempts.filter((a) => a.outcome === 'rotate').length;
  return el('td', { class: 'num', title: rotated ? `${rotated} rotation(s)` : undefined },
    String(attempts.length), rotated ? el('span', { class: 'sub' }, `${rotated} rotated`) : null);
}

/** createMonitorPage builds the request monitor. */
export function createMonitorPage({ admin, config }) {
  const tbody = byId('mon-table').tBodies[0];
  const status = byId('mon-status');
  const q = byId('mon-q');
  const errorsOnly = byId('mon-errors');
  const accountSel = byId('mon-account');
  const protocolSel = byId('mon-protocol');
  const limitSel = byId('mon-limit');
  const live = byId('mon-live');
  const detail = createDetail({ admin, config });
  const rows = new Map();
  let accounts = [];
  let seq = 0;
  let shownSeq = 0;
  let typing = 0;

  setupExport({ admin });

  function makeRow(r) {
    const open = el('button', { type: 'button', class: 'link mono', 'data-request-id': r.request_id,
      onclick: () => detail.open(r.request_id, open) }, r.request_id || '(no id)');
    return el('tr', { class: failed(r) ? 'failed' : undefined },
      el('td', {}, el('time', { datetime: r.time, title: r.time }, clock(r.time))),
      el('td', {}, open, r.stream ? el('span', { class: 'sub' }, 'stream') : null),
      el('td', {}, PROTOCOLS[r.protocol] || r.protocol || '–', el('span', { class: 'sub' }, r.route || '')),
      modelCell(r),
      el('td', {}, r.account || el('span', { class: 'muted' }, 'none')),
      statusCell(r),
      attemptsCell(r),
      el('td', { class: 'num' }, millis(r.latency_ms)),
      el('td', { class: 'num' }, `${int(r.tokens?.input)} / ${int(r.tokens?.output)}`));
  }

  // render keeps the rows of records already shown (a record never
  // changes), so the focus stays where it is while new requests arrive.
  function render(list) {
    const seen = new Set();
    list.forEach((r, i) => {
      const key = rowKey(r);
      seen.add(key);
      let tr = rows.get(key);
      if (!tr) {
        tr = makeRow(r);
        rows.set(key, tr);
      }
      if (tbody.children[i] !== tr) tbody.insertBefore(tr, tbody.children[i] || null);
    });
    for (const [key, tr] of rows) {
      if (!seen.has(key)) {
        tr.remove();
        rows.delete(key);
      }
    }
  }

  function describeFilters(total) {
    const parts = [];
    if (q.value.trim()) parts.push(`matching “${q.value.trim()}”`);
    if (errorsOnly.checked) parts.push('errors only');
    return `the newest ${total}${parts.length ? ` ${parts.join(', ')}` : ''}`;
  }

  async function refresh() {
    const n = ++seq;
    const query = { limit: limitSel.value };
    if (q.value.trim()) query.q = q.value.trim();
    if (errorsOnly.checked) query.errors_only = 'true';
    let list;
    try {
      list = (await admin.requests(query)).requests || [];
    } catch (err) {
      if (n < shownSeq) return;
      shownSeq = n;
      say(status, err.status === 404
        ? 'The request log is off on this gateway (SWITCHYARD_REQUEST_LOG_MAX=0).'
        : `Cannot read the request log: ${err.message}`, 'error');
      return;
    }
    if (n < shownSeq) return;
    shownSeq = n;
    const account = accounts.find((a) => a.id === accountSel.value);
    const protocol = protocolSel.value;
    const shown = list.filter((r) => involves(r, account) && (!protocol || r.protocol === protocol));
    render(shown);
    const plural = (n) => (n === 1 ? 'request' : 'requests');
    const what = shown.length === list.length
      ? `${shown.length} ${plural(shown.length)}`
      : `${shown.length} of ${list.length} ${plural(list.length)} (account or protocol filter)`;
    say(status, `${what}: ${describeFilters(list.length)}, newest first. ${live.checked ? 'Live, updated' : 'Updated'} ${clock(admin.now())}.`);
  }

  const poller = new Poller(refresh, REFRESH_MS);
  const refreshSoon = () => (poller.active ? poller.now() : refresh());

  async function loadAccounts() {
    try {
      accounts = (await admin.accounts()).accounts || [];
    } catch {
      return; // the filter keeps its old choices
    }
    const keep = accountSel.value;
    accountSel.replaceChildren(el('option', { value: '' }, 'all accounts'),
      ...accounts.map((a) => el('option', { value: a.id }, a.email ? `${a.email} (${a.id})` : a.id)));
    accountSel.value = accounts.some((a) => a.id === keep) ? keep : '';
  }

  byId('mon-filters').addEventListener('submit', (ev) => {
    ev.preventDefault();
    refreshSoon();
  });
  q.addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(refreshSoon, 300);
  });
  for (const c of [errorsOnly, accountSel, protocolSel, limitSel]) c.addEventListener('change', refreshSoon);
  live.addEventListener('change', () => {
    if (live.checked) poller.start();
    else poller.stop();
    refreshSoon();
  });

  return {
    show() {
      loadAccounts();
      if (live.checked) poller.start();
      else refresh();
    },
    hide() {
      poller.stop();
      clearTimeout(typing);
    },
  };
}
