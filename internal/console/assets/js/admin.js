// Every admin API call the console makes, in one place. The Go tests check
// that each of these exists and answers in the shape the page reads.

const enc = encodeURIComponent;

/** createAdmin wraps an api client (api.js) with the operator calls. */
export function createAdmin(api) {
  return {
    accounts: () => api.json('GET', 'accounts'),
    disable: (id) => api.json('POST', `accounts/${enc(id)}/disable`, { reason: 'disabled in the operator console' }),
    enable: (id) => api.json('POST', `accounts/${enc(id)}/enable`),
    scheduling: () => api.json('GET', 'scheduling'),
    setScheduling: (settings) => api.json('PUT', 'scheduling', settings),
    setFixed: (id) => api.json('PUT', 'fixed-account', { account_id: id }),
    clearFixed: () => api.json('DELETE', 'fixed-account'),
    clearBindings: () => api.json('POST', 'session-bindings/clear'),
    clearCooldowns: (id) => api.json('DELETE', `rate-limits/${enc(id)}`),
    clearAllCooldowns: () => api.json('DELETE', 'rate-limits'),
    requests: (query) => api.json('GET', `requests?${new URLSearchParams(query)}`),
    request: (id) => api.json('GET', `requests/${enc(id)}`),
    exportBlob: () => api.blob('GET', 'requests/export'),
    exportText: () => api.text('GET', 'requests/export'),
    keys: () => api.json('GET', 'keys'),
    createKey: (spec) => api.json('POST', 'keys', spec),
    updateKey: (name, patch) => api.json('PATCH', `keys/${enc(name)}`, patch),
    revokeKey: (name) => api.json('DELETE', `keys/${enc(name)}`),
    usage: (query) => api.json('GET', `usage?${new URLSearchParams(query)}`),
    now: () => api.now(),
  };
}
