// The signed-in console: the pages and hash navigation (#/overview,
// #/accounts, #/monitor, #/keys). It is built once; signing in and out only starts
// and stops it, so every control keeps exactly one listener.

import { createAccountsPage } from './accounts.js';
import { byId } from './dom.js';
import { createKeysPage } from './keys.js';
import { createMonitorPage } from './monitor.js';
import { createOverviewPage } from './overview.js';

const DEFAULT_PAGE = 'overview';

/** createApp builds the pages over an admin client (admin.js). */
export function createApp({ admin, config }) {
  const pages = {
    overview: createOverviewPage({ admin }),
    accounts: createAccountsPage({ admin }),
    monitor: createMonitorPage({ admin, config }),
    keys: createKeysPage({ admin }),
  };
  const nav = byId('nav');
  let current = '';

  function route() {
    const wanted = location.hash.replace(/^#\/?/, '');
    const name = Object.hasOwn(pages, wanted) ? wanted : DEFAULT_PAGE;
    if (name === current) return;
    if (current) pages[current].hide();
    for (const n of Object.keys(pages)) byId(`page-${n}`).hidden = n !== name;
    for (const a of nav.querySelectorAll('a')) {
      if (a.dataset.page === name) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    current = name;
    pages[name].show();
    byId(`${name}-title`).focus();
  }

  return {
    start() {
      nav.hidden = false;
      byId('session').hidden = false;
      window.addEventListener('hashchange', route);
      route();
    },
    stop() {
      window.removeEventListener('hashchange', route);
      if (current) pages[current].hide();
      current = '';
      nav.hidden = true;
      byId('session').hidden = true;
      for (const n of Object.keys(pages)) byId(`page-${n}`).hidden = true;
      for (const id of ['detail', 'key-edit']) {
        const dialog = byId(id);
        if (dialog.open) dialog.close();
      }
    },
  };
}
