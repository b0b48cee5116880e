'use strict';
// Drives headless Chromium for the Go tests of the operator console through
// playwright-core. Protocol: one JSON command per line on stdin
// ({"id": 1, "op": "click", "sel": "#x"}), one JSON answer per line on stdout
// ({"id": 1, "ok": true, "value": ...} or {"id": 1, "ok": false, "error": "..."}).
// The first line written is {"ready": true, "version": "..."}.
//
// env: PLAYWRIGHT_CORE (module directory), CHROMIUM (executable), USER_DATA_DIR (fresh directory)

const readline = require('node:readline');
const { chromium } = require(process.env.PLAYWRIGHT_CORE);

const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
  '--disable-dev-shm-usage', // containers often have a tiny /dev/shm
];

function send(obj) {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const context = await chromium.launchPersistentContext(process.env.USER_DATA_DIR, {
    executablePath: process.env.CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1366, height: 768 },
    locale: 'en-GB',
    acceptDownloads: true,
  });
  const page = context.pages()[0] || (await context.newPage());
  page.setDefaultTimeout(15000);
  const problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));

  const loc = (sel) => page.locator(sel);

  // waitFor polls fn until it returns a truthy value or the timeout passes.
  async function waitFor(what, fn, timeout = 15000) {
    const end = Date.now() + timeout;
    let last;
    for (;;) {
      try {
        last = await fn();
        if (last.ok) return last.value;
      } catch (e) {
        last = { seen: e.message };
      }
      if (Date.now() > end) throw new Error(`timed out after ${timeout} ms waiting for ${what}; last seen: ${JSON.stringify(last.seen)}`);
      await sleep(100);
    }
  }

  const ops = {
    goto: async (c) => { await page.goto(c.url); },
    reload: async () => { await page.reload(); },
    click: async (c) => { await loc(c.sel).click(); },
    fill: async (c) => { await loc(c.sel).fill(c.value); },
    select: async (c) => { await loc(c.sel).selectOption(c.value); },
    check: async (c) => { await loc(c.sel).setChecked(Boolean(c.checked)); },
    press: async (c) => { await page.keyboard.press(c.key); },
    focus: async (c) => { await loc(c.sel).focus(); },
    text: async (c) => loc(c.sel).innerText(),
    value: async (c) => loc(c.sel).inputValue(),
    attr: async (c) => loc(c.sel).getAttribute(c.name),
    count: async (c) => loc(c.sel).count(),
    // attrAll lists the attribute of every match, in document order.
    attrAll: async (c) => loc(c.sel).evaluateAll((nodes, name) => nodes.map((n) => n.getAttribute(name)), c.name),
    enabled: async (c) => loc(c.sel).isEnabled(),
    visible: async (c) => loc(c.sel).isVisible(),
    // active describes the focused element: "tag#id:text".
    active: async () => page.evaluate(() => {
      const a = document.activeElement;
      return a ? `${a.tagName.toLowerCase()}#${a.id}:${(a.textContent || '').trim().slice(0, 60)}` : '';
    }),
    waitVisible: async (c) => { await loc(c.sel).first().waitFor({ state: 'visible', timeout: c.timeout }); },
    waitHidden: async (c) => { await loc(c.sel).first().waitFor({ state: 'hidden', timeout: c.timeout }); },
    // waitText waits until the element's text contains c.text.
    waitText: async (c) => waitFor(`${c.sel} to contain ${JSON.stringify(c.text)}`, async () => {
      const t = await loc(c.sel).innerText({ timeout: 1000 });
      return { ok: t.includes(c.text), value: t, seen: t };
    }, c.timeout),
    // waitAttr waits until the element's attribute equals c.value.
    waitAttr: async (c) => waitFor(`${c.sel}[${c.name}] to be ${JSON.stringify(c.value)}`, async () => {
      const v = await loc(c.sel).getAttribute(c.name, { timeout: 1000 });
      return { ok: v === c.value, value: v, seen: v };
    }, c.timeout),
    waitCount: async (c) => waitFor(`${c.count} of ${c.sel}`, async () => {
      const n = await loc(c.sel).count();
      return { ok: n === c.count, value: n, seen: n };
    }, c.timeout),
    screenshot: async (c) => { await page.screenshot({ path: c.path, fullPage: Boolean(c.fullPage) }); },
    download: async (c) => {
      const [d] = await Promise.all([page.waitForEvent('download'), loc(c.sel).click()]);
      await d.saveAs(c.path);
      return d.suggestedFilename();
    },
    session: async () => page.evaluate(() => JSON.stringify({ ...sessionStorage })),
    setSession: async (c) => page.evaluate(([k, v]) => sessionStorage.setItem(k, v), [c.key, c.value]),
    local: async () => page.evaluate(() => JSON.stringify({ ...localStorage })),
    problems: async () => problems.splice(0),
  };

  send({ ready: true, version: context.browser()?.version() || '' });
  const rl = readline.createInterface({ input: process.stdin });
  for await (const line of rl) {
    if (!line.trim()) continue;
    let cmd;
    try {
      cmd = JSON.parse(line);
    } catch (e) {
      send({ id: 0, ok: false, error: `bad command: ${e.message}` });
      continue;
    }
    if (cmd.op === 'close') break;
    const op = ops[cmd.op];
    if (!op) {
      send({ id: cmd.id, ok: false, error: `unknown op ${cmd.op}` });
      continue;
    }
    try {
      const value = await op(cmd);
      send({ id: cmd.id, ok: true, value: value === undefined ? null : value });
    } catch (e) {
      send({ id: cmd.id, ok: false, error: e.message });
    }
  }
  await context.close();
}

main().then(() => process.exit(0), (e) => {
  process.stderr.write(`driver: ${e.stack || e}\n`);
  process.exit(1);
});
