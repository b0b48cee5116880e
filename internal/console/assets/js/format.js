// Formatting of times, durations and numbers for display.

const numberFormat = () => new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });

/** int formats a whole number with grouping. */
export function int(n) {
  return numberFormat().format(Number(n) || 0);
}

/** percent formats a fraction (0.123 → "12.3 %"). */
export function percent(f, digits = 1) {
  if (!Number.isFinite(f)) return '–';
  return `${(f * 100).toFixed(digits)} %`;
}

/** millis formats a latency in milliseconds ("85 ms", "1.24 s"). */
export function millis(ms) {
  if (!Number.isFinite(ms)) return '–';
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(2)} s`;
  return left(ms);
}

/** left formats a remaining time ("45 s", "3 min 05 s", "2 h 04 min"). */
export function left(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  const h = Math.floor(m / 60);
  return `${h} h ${String(m % 60).padStart(2, '0')} min`;
}

/** seconds formats a setting in seconds ("60 s"). */
export function seconds(s) {
  if (!Number.isFinite(s)) return '–';
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}

/** clock formats a time of day in the browser's time zone ("14:03:07"). */
export function clock(t) {
  const d = t instanceof Date ? t : new Date(t);
  if (Number.isNaN(d.getTime())) return '–';
  return d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
}

/** dateTime formats a full local date and time. */
export function dateTime(t) {
  const d = t instanceof Date ? t : new Date(t);
  if (Number.isNaN(d.getTime())) return '–';
  return `${d.toLocaleDateString()} ${clock(d)}`;
}
