// Helpers over request log records (GET /admin/requests).

/** failed tells a request that ended in an error. */
export function failed(r) {
  return r.status >= 400 || Boolean(r.error);
}

/** rowKey identifies a record: a client may reuse its request id. */
export function rowKey(r) {
  return `${r.request_id}\n${r.time}`;
}

/** involves tells whether any attempt of the record, or its answer, used the account. */
export function involves(r, account) {
  if (!account) return true;
  if (r.account === account.email && account.email) return true;
  return (r.attempts || []).some((a) => a.account === account.id);
}

/** parseNDJSON reads an export: one record per line, bad lines skipped. */
export function parseNDJSON(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      // a torn last line of an export cut short
    }
  }
  return out;
}
