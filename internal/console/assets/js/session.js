// The admin key lives in this tab's sessionStorage only: it is gone when the
// tab closes and is never written to local storage or a cookie.

const KEY = 'switchyard.adminKey';

/** loadKey returns the stored admin key, or ''. */
export function loadKey() {
  try {
    return sessionStorage.getItem(KEY) || '';
  } catch {
    return '';
  }
}

/** storeKey keeps the admin key for this tab. */
export function storeKey(key) {
  sessionStorage.setItem(KEY, key);
}

/** forgetKey removes the admin key. */
export function forgetKey() {
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    // storage unavailable: nothing was kept
  }
}
