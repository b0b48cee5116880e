// The "Account Scheduling & Rotation" card. It only ever shows what the
// gateway reports: after every change it re-reads GET /admin/scheduling and
// renders that answer, never the value it just sent.

import { byId, el, say } from './dom.js';
import { clock, seconds } from './format.js';

const MODE_HINTS = {
  CacheFirst: 'Keeps each conversation on its account for prompt-cache hits; a request may wait up to the max wait for its bound account to leave cooldown.',
  Balance: 'Keeps each conversation on its account and rotates on failure. The recommended default.',
  PerformanceFirst: 'No stickiness: every request goes to the next usable account. Best throughput for short, parallel tasks; fewest cache hits.',
};

/** accountLabel names an account in the drop-down. */
function accountLabel(a) {
  return a.email ? `${a.email} (${a.id})` : a.id;
}

/** createScheduling wires the card; it is refreshed by the accounts page. */
export function createScheduling({ admin }) {
  const card = byId('scheduling');
  const modeButtons = [...byId('mode-buttons').querySelectorAll('button[data-mode]')];
  const maxwait = byId('maxwait');
  const fixed = byId('fixed');
  const message = byId('sched-message');
  const actionButtons = [...modeButtons, byId('maxwait-apply'), byId('fixed-apply'), byId('clear-bindings')];

  let view = null; // the gateway's last answer
  let readAt = null;
  let accounts = [];
  let optionIds = '';
  let busy = false;
  let maxwaitDirty = false;
  let fixedDirty = false;
  let seq = 0; // order of reads: an older answer never overwrites a newer one
  let shownSeq = 0;

  function nameOf(id) {
    const a = accounts.find((x) => x.id === id);
    return a ? accountLabel(a) : `${id} (not in the pool)`;
  }

  function renderOptions() {
    const ids = accounts.map((a) => a.id);
    const fixedId = view?.fixed_account_id;
    if (fixedId && !ids.includes(fixedId)) ids.push(fixedId);
    const key = ids.join('\n');
    if (key === optionIds) return;
    optionIds = key;
    const keep = fixed.value;
    fixed.replaceChildren(el('option', { value: '' }, 'none'), ...ids.map((id) => el('option', { value: id }, nameOf(id))));
    fixed.value = ids.includes(keep) ? keep : '';
  }

  function render() {
    if (!view) return;
    const cacheFirst = view.mode === 'CacheFirst';
    byId('sched-mode').textContent = view.mode;
    byId('sched-maxwait').textContent = seconds(view.max_wait_seconds) + (cacheFirst ? '' : ' (not used in this mode)');
    byId('sched-fixed').textContent = view.fixed_account_id ? nameOf(view.fixed_account_id) : 'none';
    byId('sched-read').textContent = readAt ? clock(readAt) : '–';
    for (const b of modeButtons) b.setAttribute('aria-pressed', String(b.dataset.mode === view.mode));
    byId('mode-hint').textContent = MODE_HINTS[view.mode] || '';
    maxwait.disabled = !cacheFirst;
    if (!maxwaitDirty || !cacheFirst) {
      maxwait.value = String(view.max_wait_seconds);
      maxwaitDirty = false;
    }
    byId('maxwait-hint').textContent = cacheFirst
      ? 'How long a request may wait for its bound account to leave cooldown before it goes to another account (0–3600).'
      : 'Only used in CacheFirst: switch the mode to CacheFirst to change it.';
    renderOptions();
    if (!fixedDirty) fixed.value = view.fixed_account_id || '';
  }

  /** reload reads the gateway's settings and shows them. */
  async function reload() {
    const n = ++seq;
    const v = await admin.scheduling();
    if (n < shownSeq) return view;
    shownSeq = n;
    view = v;
    readAt = new Date(admin.now());
    render();
    if (message.dataset.refreshError) {
      delete message.dataset.refreshError;
      say(message, '');
    }
    return view;
  }

  function setBusy(on) {
    busy = on;
    card.setAttribute('aria-busy', String(on));
    for (const b of actionButtons) {
      if (on) b.setAttribute('aria-disabled', 'true');
      else b.removeAttribute('aria-disabled');
    }
  }

  // act runs one change, then re-reads the settings whatever happened, and
  // reports what the gateway now says (describe gets the change's answer).
  async function act(what, change, describe) {
    if (busy) return;
    setBusy(true);
    delete message.dataset.refreshError;
    say(message, `${what}…`);
    let result;
    let failure = null;
    try {
      result = await change();
    } catch (err) {
      failure = err;
    }
    try {
      await reload();
    } catch (err) {
      failure = failure || err;
    }
    setBusy(false);
    if (failure) say(message, `${what} failed: ${failure.message}`, 'error');
    else say(message, describe(result), 'ok');
  }

  for (const b of modeButtons) {
    b.addEventListener('click', () => act(`Switching to ${b.dataset.mode}`,
      () => admin.setScheduling({ mode: b.dataset.mode }),
      () => `The gateway's mode is now ${view.mode}.`));
  }

  maxwait.addEventListener('input', () => { maxwaitDirty = true; });
  byId('maxwait-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const raw = maxwait.value.trim();
    const n = Number(raw);
    if (raw === '' || !Number.isFinite(n)) {
      say(message, 'Enter the max wait as a number of seconds.', 'error');
      maxwait.focus();
      return;
    }
    act('Setting the max wait', async () => {
      try {
        return await admin.setScheduling({ max_wait_seconds: n });
      } finally {
        maxwaitDirty = false;
      }
    }, () => `The gateway's max wait is now ${seconds(view.max_wait_seconds)}.`);
  });

  fixed.addEventListener('change', () => { fixedDirty = true; });
  byId('fixed-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const id = fixed.value;
    act(id ? `Pinning requests to ${id}` : 'Clearing the fixed account', async () => {
      try {
        return await (id ? admin.setFixed(id) : admin.clearFixed());
      } finally {
        fixedDirty = false;
      }
    }, () => (view.fixed_account_id
      ? `Requests are pinned to ${nameOf(view.fixed_account_id)} while it is usable.`
      : 'No fixed account: requests are scheduled normally.'));
  });

  byId('clear-bindings').addEventListener('click', () => act('Clearing session bindings',
    () => admin.clearBindings(),
    (r) => `Cleared ${r.cleared} session ${r.cleared === 1 ? 'binding' : 'bindings'}.`));

  return {
    reload,
    /** setAccounts updates the fixed-account drop-down from GET /admin/accounts. */
    setAccounts(list) {
      accounts = list;
      render();
    },
    /** showError reports a failed refresh in the card. */
    showError(err) {
      if (busy) return;
      message.dataset.refreshError = '1';
      say(message, `Cannot read the scheduling settings: ${err.message}`, 'error');
    },
  };
}
