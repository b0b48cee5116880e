// The accounts page: the scheduling card and the pool, refreshed every few
// seconds, with cooldowns counting down in the browser between refreshes.

import { byId, badge, el, say } from './dom.js';
import { clock, left, percent } from './format.js';
import { Poller } from './poll.js';
import { createScheduling } from './scheduling.js';

const REFRESH_MS = 4000;

function groupName(g) {
  return g === '*' ? 'all models' : g;
}

// Row is one account's table row. Its buttons are created once and kept, so
// a refresh never takes the keyboard focus away from them.
class Row {
  constructor(id, actions) {
    this.id = id;
    this.cells = Array.from({ length: 7 }, (_, i) => el('td', { class: i === 6 ? 'num' : undefined }));
    this.toggle = el('button', { type: 'button', onclick: () => actions.toggle(this) });
    this.clear = el('button', { type: 'button', onclick: () => actions.clear(this) }, 'Clear cooldown');
    this.tr = el('tr', { 'data-account-id': id }, this.cells, el('td', { class: 'actions' }, this.toggle, this.clear));
    this.account = null;
  }

  update(a) {
    this.account = a;
    const [who, provider, tier, state, cooldowns, quota, inflight] = this.cells;
    who.replaceChildren(el('strong', {}, a.email || a.id), el('span', { class: 'sub mono' }, a.id));
    // Code Assist accounts: project, where the tier comes from, when the quota
    // was read, and a pending verification request.
    const ca = a.codeassist;
    provider.replaceChildren(a.provider, ...(ca && ca.project ? [el('span', { class: 'sub mono' }, ca.project)] : []));
    tier.replaceChildren(a.tier, ...(ca ? [el('span', { class: 'sub' },
      ca.tier_source === 'code_assist' ? `from Code Assist (${ca.tier_id})` : ca.tier_source === 'pending' ? 'not read yet' : 'from the file')] : []));
    state.replaceChildren(a.disabled
      ? el('span', {}, badge('disabled', 'err'), el('span', { class: 'sub' }, a.disabled_reason || ''))
      : badge('enabled', 'ok'),
    ...(ca && ca.verification ? [el('span', { class: 'sub' }, `verification asked: ${ca.verification.url || ca.verification.reason}`)] : []));
    const cds = a.cooldowns || [];
    cooldowns.replaceChildren(cds.length === 0
      ? el('span', { class: 'muted' }, 'none')
      : el('ul', {}, cds.map((c) => el('li', {},
        el('strong', {}, groupName(c.model_group)), ' · ', c.reason || 'unknown reason', ' · ',
        el('time', { class: 'countdown', datetime: c.until, 'data-until': Date.parse(c.until), title: `until ${clock(c.until)}` })))));
    const q = Object.entries(a.quota || {}).sort(([x], [y]) => x.localeCompare(y));
    quota.replaceChildren(q.length === 0
      ? el('span', { class: 'muted' }, 'unknown')
      : el('ul', {}, q.map(([g, f]) => el('li', {}, `${groupName(g)}: ${percent(f, 0)}`))),
    ...(ca && ca.quota ? [el('span', { class: 'sub' }, `read ${clock(ca.quota.read_at)}`)] : []));
    inflight.textContent = String(a.in_flight ?? 0);
    this.toggle.textContent = a.disabled ? 'Enable' : 'Disable';
    this.toggle.setAttribute('aria-label', `${a.disabled ? 'Enable' : 'Disable'} ${a.id}`);
    this.toggle.classList.toggle('danger', !a.disabled);
    this.clear.setAttribute('aria-label', `Clear the cooldowns of ${a.id}`);
    if (cds.length === 0) this.clear.setAttribute('aria-disabled', 'true');
    else this.clear.removeAttribute('aria-disabled');
  }
}

/** createAccountsPage builds the accounts page (show/hide start and stop its refresh). */
export function createAccountsPage({ admin }) {
  const scheduling = createScheduling({ admin });
  const tbody = byId('acct-table').tBodies[0];
  const message = byId('acct-message');
  const updated = byId('acct-updated');
  const rows = new Map();
  let seq = 0;
  let shownSeq = 0;
  let ticker = 0;
  let refreshedExpired = false;

  function tick() {
    let expired = false;
    for (const t of tbody.querySelectorAll('time.countdown')) {
      const ms = Number(t.dataset.until) - admin.now();
      t.textContent = ms > 0 ? `${left(ms)} left` : 'ended';
      if (ms <= 0) expired = true;
    }
    // An ended cooldown disappears with the next read; ask for it now, once.
    if (expired && !refreshedExpired) {
      refreshedExpired = true;
      poller.now();
    }
  }

  function render(list) {
    const seen = new Set();
    list.forEach((a, i) => {
      seen.add(a.id);
      let row = rows.get(a.id);
      if (!row) {
        row = new Row(a.id, actions);
        rows.set(a.id, row);
      }
      row.update(a);
      if (tbody.children[i] !== row.tr) tbody.insertBefore(row.tr, tbody.children[i] || null);
    });
    for (const [id, row] of rows) {
      if (!seen.has(id)) {
        row.tr.remove();
        rows.delete(id);
      }
    }
    if (list.length === 0) say(message, 'The pool is empty: check SWITCHYARD_ACCOUNTS_FILE.', 'error');
    refreshedExpired = false;
    tick();
  }

  async function loadAccounts() {
    const n = ++seq;
    const { accounts } = await admin.accounts();
    if (n < shownSeq) return accounts;
    shownSeq = n;
    render(accounts);
    scheduling.setAccounts(accounts);
    updated.textContent = `Updated ${clock(admin.now())}`;
    if (message.dataset.refreshError) {
      delete message.dataset.refreshError;
      say(message, '');
    }
    return accounts;
  }

  async function refresh() {
    const [a, s] = await Promise.allSettled([loadAccounts(), scheduling.reload()]);
    if (a.status === 'rejected') {
      message.dataset.refreshError = '1';
      say(message, `Cannot read the accounts: ${a.reason.message}`, 'error');
    }
    if (s.status === 'rejected') scheduling.showError(s.reason);
  }

  const poller = new Poller(refresh, REFRESH_MS);

  // act runs one account change, then re-reads the pool and reports the
  // state the gateway now has.
  async function act(what, change, describe) {
    delete message.dataset.refreshError;
    say(message, `${what}…`);
    try {
      await change();
    } catch (err) {
      say(message, `${what} failed: ${err.message}`, 'error');
      poller.now();
      return;
    }
    try {
      const list = await loadAccounts();
      say(message, describe(list), 'ok');
    } catch (err) {
      say(message, `${what}: done, but the accounts could not be re-read: ${err.message}`, 'error');
    }
  }

  const actions = {
    toggle(row) {
      const a = row.account;
      const id = a.id;
      const disabling = !a.disabled;
      act(disabling ? `Disabling ${id}` : `Enabling ${id}`,
        () => (disabling ? admin.disable(id) : admin.enable(id)),
        (list) => {
          const now = list.find((x) => x.id === id);
          if (!now) return `${id} is no longer in the pool.`;
          return now.disabled ? `${id} is disabled (${now.disabled_reason || 'no reason given'}).` : `${id} is enabled.`;
        });
    },
    clear(row) {
      if (row.clear.getAttribute('aria-disabled') === 'true') return;
      const id = row.id;
      act(`Clearing the cooldowns of ${id}`, () => admin.clearCooldowns(id), (list) => {
        const n = list.find((x) => x.id === id)?.cooldowns?.length || 0;
        return n === 0 ? `${id}: cooldowns cleared.` : `${id} still has ${n} cooldown(s): a request failed again meanwhile.`;
      });
    },
  };

  byId('acct-clear-all').addEventListener('click', () => act('Clearing all cooldowns', () => admin.clearAllCooldowns(), (list) => {
    const n = list.reduce((sum, a) => sum + (a.cooldowns?.length || 0), 0);
    return n === 0 ? 'All cooldowns cleared.' : `${n} cooldown(s) remain: requests failed again meanwhile.`;
  }));

  return {
    show() {
      poller.start();
      ticker = setInterval(tick, 1000);
    },
    hide() {
      poller.stop();
      clearInterval(ticker);
    },
  };
}
