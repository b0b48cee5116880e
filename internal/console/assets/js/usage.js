// The usage card of the Keys page: GET /admin/usage summed per client key,
// model or account over a window, as a bar chart of requests and a table.

import { byId, el, say } from './dom.js';
import { bars } from './charts.js';
import { clock, dateTime, int } from './format.js';

const CHART_MAX = 12; // bars in the chart; the table lists every group

/** createUsage builds the card; load() reads the usage for the form's choice. */
export function createUsage({ admin }) {
  const group = byId('usage-group');
  const since = byId('usage-since');
  const status = byId('usage-status');
  const chart = byId('usage-chart');
  const tbody = byId('usage-table').tBodies[0];
  let seq = 0;

  function render(u) {
    const groups = u.groups || [];
    const what = group.options[group.selectedIndex].text;
    chart.replaceChildren(bars(groups.slice(0, CHART_MAX).map((g) => ({ name: g.name, value: g.requests })), {
      label: `Requests per ${what}`, empty: 'No request in this window.',
    }));
    tbody.replaceChildren(...groups.map((g) => el('tr', { 'data-usage-name': g.name },
      el('td', {}, g.name, g.email && g.email !== g.name ? el('span', { class: 'sub' }, g.email) : null),
      el('td', { class: 'num' }, int(g.requests)),
      el('td', { class: 'num' }, int(g.errors)),
      el('td', { class: 'num' }, int(g.input_tokens)),
      el('td', { class: 'num' }, int(g.output_tokens)),
      el('td', { class: 'num' }, int(g.cached_tokens)))));
    const t = u.total || {};
    const count = (n, what) => `${int(n)} ${what}${n === 1 ? '' : 's'}`;
    say(status, `${count(t.requests || 0, 'request')}, ${count(t.errors || 0, 'error')} since ${dateTime(u.since)}` +
      (u.complete ? '' : ' (the request log does not reach back that far: older requests have aged out)') +
      ` · read ${clock(admin.now())}`);
  }

  async function load() {
    const n = ++seq;
    try {
      const u = await admin.usage({ group_by: group.value, since: since.value });
      if (n === seq) render(u);
    } catch (err) {
      if (n === seq) say(status, `Cannot read the usage: ${err.message}`, 'error');
    }
  }

  group.addEventListener('change', load);
  since.addEventListener('change', load);
  return { load };
}
