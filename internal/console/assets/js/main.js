// Entry point of the Switchyard operator console: reads config.json, signs
// the operator in and starts the pages.

import { createAdmin } from './admin.js';
import { createApi } from './api.js';
import { createApp } from './app.js';
import { byId } from './dom.js';
import { forgetKey, loadKey, storeKey } from './session.js';
import { setupSignIn } from './signin.js';

async function loadConfig() {
  try {
    const resp = await fetch('config.json', { cache: 'no-store', credentials: 'omit' });
    if (resp.ok) return await resp.json();
  } catch {
    // fall through: the console works without its config
  }
  return { jaeger_url: '', problems: [] };
}

async function main() {
  const config = await loadConfig();
  const problems = byId('problems');
  if (config.problems?.length) {
    problems.textContent = config.problems.join(' ');
    problems.hidden = false;
  }

  let key = '';
  let running = false;
  const signOut = (reason = '') => {
    key = '';
    forgetKey();
    if (running) app.stop();
    running = false;
    signIn.show(reason);
  };
  const api = createApi(() => key, () =>
    signOut('The gateway no longer accepts this admin key (401). Sign in again.'));
  const app = createApp({ admin: createAdmin(api), config });
  const start = (k) => {
    key = k;
    storeKey(k);
    signIn.hide();
    running = true;
    app.start();
  };
  const signIn = setupSignIn(start);
  byId('signout').addEventListener('click', () => signOut());

  byId('loading').hidden = true;
  const stored = loadKey();
  if (stored) start(stored);
  else signIn.show();
}

main();
