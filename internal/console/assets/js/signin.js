// The sign-in form: checks the admin key against the gateway before keeping it.

import { createApi } from './api.js';
import { byId, say } from './dom.js';

/** signInMessage explains why the gateway refused a sign-in. */
export function signInMessage(err) {
  switch (err.status) {
    case 401:
      return 'Wrong admin key: the gateway refused it (401). Enter the value of SWITCHYARD_ADMIN_KEY.';
    case 403:
      return `The admin API is disabled on this gateway (403). The gateway says: ${err.message}`;
    case 0:
      return `Cannot sign in: ${err.message}.`;
    default:
      return `Sign-in failed (HTTP ${err.status}): ${err.message}`;
  }
}

/** setupSignIn wires the form; onSignedIn(key) runs once the gateway accepted the key. */
export function setupSignIn(onSignedIn) {
  const section = byId('signin');
  const form = byId('signin-form');
  const input = byId('signin-key');
  const message = byId('signin-message');
  const submit = form.querySelector('button[type="submit"]');
  let busy = false;

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (busy) return;
    const key = input.value.trim();
    if (!key) {
      say(message, 'Enter the admin key.', 'error');
      input.focus();
      return;
    }
    busy = true;
    submit.setAttribute('aria-disabled', 'true');
    say(message, 'Checking the key…');
    try {
      await createApi(() => key).json('GET', 'scheduling');
      input.value = '';
      say(message, '');
      onSignedIn(key);
    } catch (err) {
      say(message, signInMessage(err), 'error');
      input.focus();
      input.select();
    } finally {
      busy = false;
      submit.removeAttribute('aria-disabled');
    }
  });

  return {
    /** show displays the form, with an optional reason (e.g. the key stopped working). */
    show(reason = '') {
      section.hidden = false;
      say(message, reason, reason ? 'error' : '');
      input.focus();
    },
    hide() {
      section.hidden = true;
    },
  };
}
