// Poller runs a refresh now and then every interval, never two at once, and
// skips the refresh while the tab is hidden.

export class Poller {
  constructor(fn, intervalMs) {
    this.fn = fn;
    this.interval = intervalMs;
    this.timer = 0;
    this.running = false;
    this.active = false;
    this.again = false;
  }

  start() {
    if (this.active) return;
    this.active = true;
    this.now();
  }

  stop() {
    this.active = false;
    clearTimeout(this.timer);
    this.timer = 0;
  }

  /** now refreshes at once (or right after the refresh under way) and restarts the interval. */
  async now() {
    if (!this.active) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.running = true;
    try {
      if (!document.hidden) await this.fn();
    } catch (e) {
      console.debug('refresh failed', e); // the page shows the error itself
    } finally {
      this.running = false;
    }
    if (this.again) {
      this.again = false;
      this.now();
      return;
    }
    if (this.active) this.timer = setTimeout(() => this.now(), this.interval);
  }
}
