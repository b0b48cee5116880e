// The Keys page: the gateway's client keys with their limits and today's
// usage, refreshed every few seconds; create (the secret is shown once),
// edit limits, disable or enable, and revoke the keys made through the
// admin API. Keys of the environment or the keys file are shown read-only.
// Below, the usage card sums the request log per key, model or account.

import { byId, badge, el, say, svg } from './dom.js';
import { clock, dateTime, int } from './format.js';
import { editable, limitPatch, limitsText, LIMITS, readKeySpec, usageScale } from './keyform.js';
import { Poller } from './poll.js';
import { createUsage } from './usage.js';

const REFRESH_MS = 5000;
const CONFIRM_MS = 6000; // a revoke button waits this long for its second press

// usageChart draws a key's usage today as two small bars: requests and tokens.
function usageChart(u) {
  const W = 120;
  const label = `${int(u.requests)} requests, ${int(u.tokens)} tokens today` +
    (u.daily ? ` of ${int(u.daily)} allowed` : '');
  const bar = (y, f, cls, title) => [
    svg('rect', { class: 'track', x: 0, y, width: W, height: 8, rx: 2 }),
    svg('rect', { class: cls, x: 0, y, width: Math.max(f > 0 ? 2 : 0, f * W), height: 8, rx: 2 }, svg('title', {}, title)),
  ];
  return svg('svg', { class: 'usage', viewBox: `0 0 ${W} 20`, width: W, height: 20, role: 'img', 'aria-label': label },
    svg('title', {}, label),
    bar(0, u.reqFrac, 'bar', `${int(u.requests)} requests`),
    bar(12, u.tokFrac, u.over ? 'bar over' : 'bar alt', `${int(u.tokens)} tokens${u.daily ? ` of ${int(u.daily)}` : ''}`));
}

// Row is one key's table row; its buttons are made once so that a refresh
// keeps the keyboard focus on them.
class Row {
  constructor(name, actions) {
    this.name = name;
    this.cells = Array.from({ length: 7 }, () => el('td'));
    this.edit = el('button', { type: 'button', onclick: () => actions.edit(this) }, 'Edit');
    this.toggle = el('button', { type: 'button', onclick: () => actions.toggle(this) });
    this.revoke = el('button', { type: 'button', class: 'danger', onclick: () => actions.revoke(this) }, 'Revoke');
    this.tr = el('tr', { 'data-key-name': name }, this.cells, el('td', { class: 'actions' }, this.edit, this.toggle, this.revoke));
    this.key = null;
    this.confirmUntil = 0;
  }

  update(k, usage) {
    this.key = k;
    const [who, source, models, limits, used, last, state] = this.cells;
    who.replaceChildren(el('strong', {}, k.name), el('span', { class: 'sub mono' }, k.fingerprint || ''));
    source.textContent = k.source;
    models.replaceChildren(k.models?.length
      ? el('span', { class: 'mono' }, k.models.join(', '))
      : el('span', { class: 'muted' }, 'every model'));
    limits.textContent = limitsText(k.limits);
    used.replaceChildren(el('div', { class: 'usage-cell' }, usageChart(usage),
      el('span', { class: 'sub' }, `${int(usage.requests)} req · ${int(usage.tokens)} tok`)));
    last.replaceChildren(k.last_used
      ? el('time', { datetime: k.last_used, title: dateTime(k.last_used) }, clock(k.last_used))
      : el('span', { class: 'muted' }, 'never'));
    state.replaceChildren(k.disabled ? badge('disabled', 'err') : badge('enabled', 'ok'));
    const own = editable(k);
    const why = own ? undefined : `${k.name} comes from the ${k.source === 'file' ? 'keys file' : 'environment'}; change it there`;
    for (const b of [this.edit, this.toggle, this.revoke]) {
      if (own) {
        b.removeAttribute('aria-disabled');
        b.removeAttribute('title');
      } else {
        b.setAttribute('aria-disabled', 'true');
        b.setAttribute('title', why);
      }
    }
    this.edit.setAttribute('aria-label', `Edit ${k.name}`);
    this.toggle.textContent = k.disabled ? 'Enable' : 'Disable';
    this.toggle.setAttribute('aria-label', `${k.disabled ? 'Enable' : 'Disable'} ${k.name}`);
    this.toggle.classList.toggle('danger', !k.disabled);
    if (Date.now() >= this.confirmUntil) this.unconfirm();
  }

  // confirming reports whether the revoke button waits for its second press.
  confirming() {
    return Date.now() < this.confirmUntil;
  }

  askConfirm() {
    this.confirmUntil = Date.now() + CONFIRM_MS;
    this.revoke.textContent = 'Confirm revoke';
    this.revoke.setAttribute('aria-label', `Confirm revoking ${this.name}`);
    setTimeout(() => {
      if (!this.confirming()) this.unconfirm();
    }, CONFIRM_MS + 50);
  }

  unconfirm() {
    this.confirmUntil = 0;
    this.revoke.textContent = 'Revoke';
    this.revoke.setAttribute('aria-label', `Revoke ${this.name}`);
  }
}

// formFields reads the values of the inputs named in ids ({field: id}).
function formFields(ids) {
  const out = {};
  for (const [field, id] of Object.entries(ids)) out[field] = byId(id).value;
  return out;
}

// showErrors marks the inputs of the fields in errors as invalid and says why.
function showErrors(ids, errors, message) {
  for (const [field, id] of Object.entries(ids)) {
    if (errors[field]) byId(id).setAttribute('aria-invalid', 'true');
    else byId(id).removeAttribute('aria-invalid');
  }
  const first = Object.keys(ids).find((f) => errors[f]);
  if (!first) return false;
  const label = first === 'name' ? 'Name' : first === 'models' ? 'Models' : LIMITS.find(([f]) => f === first)[1];
  say(message, `${label}: ${errors[first]}.`, 'error');
  byId(ids[first]).focus();
  return true;
}

const CREATE_IDS = {
  name: 'key-name', models: 'key-models', rpm: 'key-rpm', tpm: 'key-tpm',
  max_in_flight: 'key-inflight', daily_tokens: 'key-daily',
};
const EDIT_IDS = {
  models: 'edit-models', rpm: 'edit-rpm', tpm: 'edit-tpm', max_in_flight: 'edit-inflight', daily_tokens: 'edit-daily',
};

/** createKeysPage builds the Keys page (show/hide start and stop its refresh). */
export function createKeysPage({ admin }) {
  const tbody = byId('keys-table').tBodies[0];
  const message = byId('keys-message');
  const updated = byId('keys-updated');
  const shadowed = byId('keys-shadowed');
  const createMessage = byId('key-create-message');
  const secretBox = byId('key-secret');
  const dialog = byId('key-edit');
  const editMessage = byId('key-edit-message');
  const usage = createUsage({ admin });
  const rows = new Map();
  let seq = 0;
  let shownSeq = 0;
  let editing = null; // the Row being edited

  function render(list, shadow) {
    const scale = usageScale(list);
    const seen = new Set();
    list.forEach((k, i) => {
      seen.add(k.name);
      let row = rows.get(k.name);
      if (!row) {
        row = new Row(k.name, actions);
        rows.set(k.name, row);
      }
      row.update(k, scale.get(k.name));
      if (tbody.children[i] !== row.tr) tbody.insertBefore(row.tr, tbody.children[i] || null);
    });
    for (const [name, row] of rows) {
      if (!seen.has(name)) {
        row.tr.remove();
        rows.delete(name);
      }
    }
    shadowed.replaceChildren(...(shadow || []).map((s) =>
      el('li', {}, el('strong', {}, s.name), ` (${s.source}): ${s.reason}`)));
    shadowed.hidden = !shadow?.length;
    byId('keys-empty').hidden = list.length > 0;
  }

  async function load() {
    const n = ++seq;
    const v = await admin.keys();
    const list = v.keys || [];
    if (n < shownSeq) return list;
    shownSeq = n;
    render(list, v.shadowed);
    updated.textContent = `Updated ${clock(admin.now())}`;
    if (message.dataset.refreshError) {
      delete message.dataset.refreshError;
      say(message, '');
    }
    return list;
  }

  async function refresh() {
    usage.load();
    try {
      await load();
    } catch (err) {
      message.dataset.refreshError = '1';
      say(message, `Cannot read the client keys: ${err.message}`, 'error');
    }
  }

  const poller = new Poller(refresh, REFRESH_MS);

  // act runs one change, then re-reads the keys and reports the state the
  // gateway now has.
  async function act(what, change, describe, where = message) {
    delete message.dataset.refreshError;
    say(where, `${what}…`);
    let result;
    try {
      result = await change();
    } catch (err) {
      say(where, `${what} failed: ${err.message}`, 'error');
      poller.now();
      return false;
    }
    try {
      const list = await load();
      say(where, describe(list, result), 'ok');
    } catch (err) {
      say(where, `${what}: done, but the keys could not be re-read: ${err.message}`, 'error');
    }
    return true;
  }

  const blocked = (b) => b.getAttribute('aria-disabled') === 'true';

  const actions = {
    edit(row) {
      if (blocked(row.edit)) return;
      const k = row.key;
      editing = row;
      byId('key-edit-title').textContent = `Edit ${k.name}`;
      byId('edit-models').value = (k.models || []).join(', ');
      for (const [field, id] of Object.entries(EDIT_IDS)) {
        if (field !== 'models') byId(id).value = String(k.limits?.[field] || 0);
      }
      showErrors(EDIT_IDS, {}, editMessage);
      say(editMessage, '');
      dialog.showModal();
      byId('edit-rpm').focus();
    },
    toggle(row) {
      if (blocked(row.toggle)) return;
      const { name } = row.key;
      const disabling = !row.key.disabled;
      act(disabling ? `Disabling ${name}` : `Enabling ${name}`,
        () => admin.updateKey(name, { disabled: disabling }),
        (list) => {
          const now = list.find((k) => k.name === name);
          if (!now) return `${name} is no longer listed.`;
          return now.disabled ? `${name} is disabled: its requests are refused (403).` : `${name} is enabled.`;
        });
    },
    revoke(row) {
      if (blocked(row.revoke)) return;
      if (!row.confirming()) {
        row.askConfirm();
        say(message, `Press "Confirm revoke" to revoke ${row.name}: its secret stops working on every replica.`);
        return;
      }
      row.unconfirm();
      const { name } = row;
      act(`Revoking ${name}`, () => admin.revokeKey(name), (list) => (list.some((k) => k.name === name)
        ? `${name} is still listed: it may be defined elsewhere too.`
        : `${name} is revoked.`));
    },
  };

  byId('key-create-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const { spec, errors } = readKeySpec(formFields(CREATE_IDS));
    if (showErrors(CREATE_IDS, errors || {}, createMessage)) return;
    secretBox.hidden = true;
    const ok = await act(`Creating ${spec.name}`, () => admin.createKey(spec), (list, res) => {
      byId('key-secret-name').textContent = res.name;
      byId('key-secret-value').value = res.key;
      secretBox.hidden = false;
      return `${res.name} is created. Copy its secret now: it is not shown again.`;
    }, createMessage);
    if (ok) {
      for (const id of Object.values(CREATE_IDS)) byId(id).value = '';
      byId('key-secret-value').select();
      byId('key-secret-value').focus();
    }
  });

  byId('key-secret-done').addEventListener('click', () => {
    byId('key-secret-value').value = '';
    secretBox.hidden = true;
    say(createMessage, '');
    byId('key-name').focus();
  });

  byId('key-edit-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const row = editing;
    if (!row) return;
    const { patch, errors } = limitPatch(row.key, formFields(EDIT_IDS));
    if (showErrors(EDIT_IDS, errors || {}, editMessage)) return;
    const { name } = row;
    if (Object.keys(patch).length === 0) {
      dialog.close();
      say(message, `${name}: nothing changed.`, 'ok');
      return;
    }
    say(editMessage, `Saving ${name}…`);
    try {
      await admin.updateKey(name, patch);
    } catch (err) {
      say(editMessage, `Saving ${name} failed: ${err.message}`, 'error');
      return;
    }
    dialog.close();
    await act(`Reading ${name} back`, async () => undefined, (list) => {
      const now = list.find((k) => k.name === name);
      return now ? `${name} now has ${limitsText(now.limits)}.` : `${name} is no longer listed.`;
    });
  });

  byId('key-edit-cancel').addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => {
    const row = editing;
    editing = null;
    if (row?.edit.isConnected) row.edit.focus();
  });

  return {
    show() {
      poller.start();
    },
    hide() {
      poller.stop();
      if (dialog.open) dialog.close();
    },
  };
}
