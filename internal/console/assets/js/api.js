// The admin API client: every call carries the admin key as a bearer token,
// errors become ApiError with the gateway's own message, and the server's
// clock (Date header) is tracked so countdowns do not depend on the
// browser's clock being right.

/** ApiError is a failed admin API call; status 0 means the gateway was not reached. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

// The admin API lives next to the console: the page is served at
// {prefix}/admin/ui/, the API at {prefix}/admin/.
function apiBase() {
  return new URL('../', document.baseURI);
}

async function errorOf(resp) {
  let message = '';
  try {
    const text = await resp.text();
    try {
      const body = JSON.parse(text);
      message = body?.error?.message || '';
    } catch {
      message = text.trim().slice(0, 300);
    }
  } catch {
    // the body could not be read: the status says enough
  }
  return new ApiError(resp.status, message || `HTTP ${resp.status} ${resp.statusText}`.trim());
}

/**
 * createApi builds a client that sends the key getKey() returns.
 * onUnauthorized(error) is called when the gateway answers 401 (the key is
 * wrong or was rotated).
 */
export function createApi(getKey, onUnauthorized = () => {}) {
  let offset = 0; // server clock minus browser clock, in ms

  function noteClock(resp, sentAt) {
    const date = Date.parse(resp.headers.get('Date') || '');
    if (Number.isNaN(date)) return;
    // The Date header has second resolution: only correct real skew.
    const skew = date - (sentAt + Date.now()) / 2;
    offset = Math.abs(skew) > 1500 ? skew : 0;
  }

  async function call(method, path, body) {
    const headers = { Authorization: `Bearer ${getKey()}`, Accept: 'application/json' };
    const init = { method, headers, cache: 'no-store', credentials: 'omit', redirect: 'error' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const sentAt = Date.now();
    let resp;
    try {
      resp = await fetch(new URL(path, apiBase()), init);
    } catch (e) {
      throw new ApiError(0, `cannot reach the gateway's admin API (${e.message})`);
    }
    noteClock(resp, sentAt);
    if (!resp.ok) {
      const err = await errorOf(resp);
      if (err.status === 401) onUnauthorized(err);
      throw err;
    }
    return resp;
  }

  return {
    /** json calls the API and decodes the JSON answer. */
    async json(method, path, body) {
      const resp = await call(method, path, body);
      return resp.json();
    },
    /** blob calls the API and returns the raw answer as a Blob. */
    async blob(method, path) {
      const resp = await call(method, path);
      return resp.blob();
    },
    /** text calls the API and returns the answer as text. */
    async text(method, path) {
      const resp = await call(method, path);
      return resp.text();
    },
    /** now is the gateway's current time in ms since the epoch. */
    now() {
      return Date.now() + offset;
    },
  };
}
