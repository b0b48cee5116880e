// Export of the whole request log as NDJSON: fetched with the admin key (a
// plain link could not send it) and saved through a Blob.

import { byId, el, say } from './dom.js';

function fileName(now) {
  const d = new Date(now);
  const p = (n) => String(n).padStart(2, '0');
  return `switchyard-requests-${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}.ndjson`;
}

/** setupExport wires the export button. */
export function setupExport({ admin }) {
  const button = byId('mon-export');
  const message = byId('mon-export-message');
  let busy = false;
  button.addEventListener('click', async () => {
    if (busy) return;
    busy = true;
    button.setAttribute('aria-disabled', 'true');
    say(message, 'Exporting…');
    try {
      const blob = await admin.exportBlob();
      const url = URL.createObjectURL(new Blob([blob], { type: 'application/x-ndjson' }));
      const a = el('a', { href: url, download: fileName(admin.now()), hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
      say(message, `Exported ${Math.max(1, Math.round(blob.size / 1024))} KiB.`, 'ok');
    } catch (err) {
      say(message, err.status === 404
        ? 'Export failed: the request log is off on this gateway.'
        : `Export failed: ${err.message}`, 'error');
    } finally {
      busy = false;
      button.removeAttribute('aria-disabled');
    }
  });
}
