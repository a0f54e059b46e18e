// Shared set-up for the end-to-end tests: serve the built site on 127.0.0.1,
// drive Debian's Chromium with playwright-core, and collect every console error
// and page error so tests can assert there were none.
import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, '..', '..');
export const distDir = process.env.SCALELAB_DIST || join(repoRoot, 'dist');
export const screenshotDir = join(here, 'screenshots');

function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

async function waitForHttp(url, deadlineMs) {
  const start = Date.now();
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() - start > deadlineMs) throw new Error(`server at ${url} did not answer within ${deadlineMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function chromiumPath() {
  if (process.env.CHROMIUM) return process.env.CHROMIUM;
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      return execFileSync('which', [name], { encoding: 'utf8' }).trim();
    } catch {
      // try the next name
    }
  }
  throw new Error('Chromium not found on PATH: run `cargo xtask setup --test`');
}

/** Starts the static server and the browser. Call `close()` when done. */
export async function startSite() {
  return launch(distDir, '/');
}

/**
 * Like `startSite`, for a site built for a sub-path (`cargo xtask dist --base
 * /scale-lab/`): `dir` is served at `base`, and nothing is served at `/` but
 * the folder holding it. `baseUrl` is the server's origin; open pages with
 * paths that start with `base`.
 */
export async function startSiteAt(dir, base) {
  const root = mkdtempSync(join(tmpdir(), 'scalelab-site-'));
  const parts = base.split('/').filter(Boolean);
  if (parts.length === 0) return launch(dir, '/');
  mkdirSync(join(root, ...parts.slice(0, -1)), { recursive: true });
  symlinkSync(resolve(dir), join(root, ...parts), 'dir');
  return launch(root, base);
}

async function launch(dir, base) {
  const port = await freePort();
  const server = spawn('python3', ['-m', 'http.server', String(port), '--bind', '127.0.0.1', '--directory', dir], {
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitForHttp(`${baseUrl}${base}`, 15000);
  const browser = await chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });

  /** Opens `path` in a fresh page; `errors` collects console errors and uncaught exceptions. */
  async function openPage(path = '/', options = {}) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
    const page = await context.newPage();
    const errors = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
    });
    page.on('pageerror', (err) => errors.push(`page: ${err.message}`));
    await page.goto(`${baseUrl}${path}`);
    return { page, context, errors };
  }

  async function close() {
    await browser.close();
    server.kill();
  }

  return { baseUrl, browser, openPage, close };
}

/** Saves a screenshot under tests/e2e/screenshots/ and returns its path. */
export async function screenshot(page, name) {
  mkdirSync(screenshotDir, { recursive: true });
  const path = join(screenshotDir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** The text of the element with `data-testid=id`. */
export async function text(page, id) {
  return (await page.getByTestId(id).textContent())?.trim() ?? '';
}

/** Parses the first number in a text such as "1,234 requests/s" or "45.0%". */
export function numberIn(s) {
  const m = String(s).replace(/,/g, '').match(/-?\d+(\.\d+)?/);
  if (!m) throw new Error(`no number in "${s}"`);
  return Number(m[0]);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Ids of the nodes and links on the diagram, sorted. */
export const nodeIds = (page) => page.$$eval('g[data-node]', (els) => els.map((e) => e.getAttribute('data-node')).sort());
export const linkIds = (page) => page.$$eval('g.link', (els) => els.map((e) => e.getAttribute('data-testid')).sort());

/** The text of the notice under the diagram. */
export const notice = (page) => text(page, 'notice');

/** Opens `path` in a fresh page (`site.openPage`) and waits until the app is
 *  ready. The deadline is for a loaded machine (two test files at once, each
 *  with a browser compiling the wasm): it bounds a wait, it asserts nothing. */
export async function openReady(site, path = '/', options = {}) {
  const opened = await site.openPage(path, options);
  await opened.page.getByTestId('app-ready').waitFor({ timeout: 60000 });
  return opened;
}

/** Opens the playground and waits until it shows live numbers. */
export async function openRunning(site, options = {}) {
  const opened = await openReady(site, '/', options);
  await opened.page.waitForFunction(() => document.querySelector('[data-testid="metric-p99"]')?.textContent.includes('ms'), null, { timeout: 60000 });
  return opened;
}

// ---- Waiting on the simulation, not on the wall clock ----
//
// On a busy machine the page simulates fewer seconds per wall second (it says
// "slower than real time"), so "sleep 2 s, then read" reads a different
// stretch of simulated time from run to run. Wait for the simulated clock or
// for the condition itself instead, with deadlines generous enough for a
// loaded 2-core machine.

/** The simulated clock on the page, in seconds ("t = 12.3 s"). */
export const simTime = async (page) => numberIn(await text(page, 'sim-time'));

/** Waits until the page's simulated clock reads at least `s` seconds. */
export async function simUntil(page, s, timeout = 90000) {
  await page.waitForFunction(
    (t) => {
      const m = (document.querySelector('[data-testid="sim-time"]')?.textContent ?? '').replace(/,/g, '').match(/\d+(\.\d+)?/);
      return m !== null && Number(m[0]) >= t;
    },
    s,
    { timeout, polling: 50 },
  );
}

/**
 * Pauses the run from inside the page on the first frame its clock reads `s`
 * or more, and returns the time it stopped at. A test that reads what the
 * page shows *before* an event needs this: waiting from here and then
 * clicking Pause takes round trips, and at 10x on a busy machine those ran
 * the clock seconds past the event.
 */
export async function pauseAt(page, s, timeout = 90000) {
  await page.evaluate(
    ([t, ms]) =>
      new Promise((ok, fail) => {
        const start = performance.now();
        const tick = () => {
          const m = (document.querySelector('[data-testid="sim-time"]')?.textContent ?? '').replace(/,/g, '').match(/\d+(\.\d+)?/);
          if (m !== null && Number(m[0]) >= t) {
            const play = document.querySelector('[data-testid="play-toggle"]');
            if (play.getAttribute('aria-pressed') === 'true') play.click();
            ok();
          } else if (performance.now() - start > ms) {
            fail(new Error(`the clock did not reach ${t} s within ${ms} ms`));
          } else {
            requestAnimationFrame(tick);
          }
        };
        tick();
      }),
    [s, timeout],
  );
  return simTime(page);
}

/** Waits until `seconds` more simulated seconds have run on the page. */
export async function simFor(page, seconds, timeout = 90000) {
  await simUntil(page, (await simTime(page)) + seconds, timeout);
}

/**
 * Calls `probe` until `ok(value)` holds and returns that value; after
 * `timeout` ms fails with `what` and the last value seen. For conditions that
 * become true as the simulation runs (a cache warming up, a server taken out
 * of rotation): the assertion is the same, only the moment it is read waits.
 */
export async function eventually(probe, ok, { what = 'the condition', timeout = 60000, interval = 200 } = {}) {
  const start = Date.now();
  let last;
  for (;;) {
    last = await probe();
    if (ok(last)) return last;
    if (Date.now() - start > timeout) {
      throw new Error(`${what} did not hold within ${timeout} ms; last value: ${JSON.stringify(last)}`);
    }
    await sleep(interval);
  }
}

// ---- Reading the live numbers at known simulated times ----
//
// The page publishes a snapshot about four times a wall second, and the clock
// (`sim-time`) changes with each; its rates, latencies and ratios cover the
// last LIVE_WINDOW_S whole simulated seconds (engine/src/kernel/recent.rs), so they
// change once per simulated second. These helpers wait on those snapshots,
// never on the wall clock, so a busy machine (slower than real time, late
// frames) reads the same stretch of simulated time as an idle one.

export const sel = (id) => `[data-testid="${id}"]`;

/** Waits for the next snapshot (the clock changes) and returns its time and the
 *  texts of `sels` ({ name: CSS selector }, or { name: [CSS selector] } for the
 *  texts of every match), read in the same frame. */
export async function nextSnapshot(page, sels = {}, timeout = 60000) {
  const before = await text(page, 'sim-time');
  const handle = await page.waitForFunction(
    ([before, sels]) => {
      const clock = (document.querySelector('[data-testid="sim-time"]')?.textContent ?? '').trim();
      if (clock === before) return false;
      const out = { t: Number(clock.replace(/,/g, '').match(/\d+(\.\d+)?/)?.[0]) };
      for (const [k, s] of Object.entries(sels)) {
        out[k] = Array.isArray(s)
          ? Array.from(document.querySelectorAll(s[0]), (e) => e.textContent.trim())
          : (document.querySelector(s)?.textContent.trim() ?? null);
      }
      return out;
    },
    [before, sels],
    { timeout, polling: 'raf' },
  );
  return handle.jsonValue();
}

/** After a change made on the page: waits until `seconds` more simulated
 *  seconds have run and the snapshot on screen covers only time after the
 *  change, then returns the texts of `sels` read from that snapshot. */
export async function settle(page, seconds, sels = {}) {
  const t0 = await changedBy(page);
  // The live figures cover the last LIVE_WINDOW_S whole seconds
  // (engine/src/kernel/recent.rs): once the clock passes floor(t0) + 1 + that, the
  // window starts after the change.
  await simUntil(page, Math.max(t0 + seconds, Math.floor(t0) + 1 + LIVE_WINDOW_S));
  return nextSnapshot(page, sels);
}

/**
 * A simulated time at or after a change just made on the running page: the
 * time of the next snapshot (published after the change) plus the clock's
 * rounding to 0.1 s. The clock on screen is no such bound. It is the last
 * snapshot's, and the engine runs ahead of it until the next one, a quarter
 * of a wall second later (times the speed); the change is made at the
 * engine's time. Reading the clock instead once let a window "after" a
 * change start 0.1 s before it on a busy machine.
 */
export async function changedBy(page) {
  return (await nextSnapshot(page)).t + 0.05;
}

/** The whole simulated seconds the page's live figures cover. */
export const LIVE_WINDOW_S = 5;

/** The number in `selector`, averaged over consecutive snapshots covering at
 *  least `seconds` of simulated time, each weighted by its span. Given an
 *  array of selectors, the array of their means over the same snapshots. */
export async function meanOver(page, selector, seconds, timeout = 90000) {
  if (Array.isArray(selector)) return meansOver(page, selector, seconds, timeout);
  return (await meansOver(page, [selector], seconds, timeout))[0];
}

async function meansOver(page, selectors, seconds, timeout) {
  return page.evaluate(
    ([selectors, seconds, timeout]) =>
      new Promise((resolve, reject) => {
        const num = (s) => Number(String(s ?? '').replace(/,/g, '').match(/-?\d+(\.\d+)?/)?.[0]);
        const clock = () => (document.querySelector('[data-testid="sim-time"]')?.textContent ?? '').trim();
        let last = clock();
        let prev = null;
        const sums = selectors.map(() => 0);
        let span = 0;
        const start = performance.now();
        const tick = () => {
          const c = clock();
          if (c !== last) {
            last = c;
            const t = num(c);
            if (prev !== null) {
              for (const [i, selector] of selectors.entries()) {
                const v = num(document.querySelector(selector)?.textContent);
                if (!Number.isFinite(v)) return reject(new Error(`no number in ${selector} at t = ${t} s`));
                sums[i] += v * (t - prev);
              }
              span += t - prev;
            }
            prev = t;
            if (span >= seconds - 1e-6) return resolve(sums.map((sum) => sum / span));
          }
          if (performance.now() - start > timeout) return reject(new Error(`${seconds} s of snapshots not seen within ${timeout} ms`));
          requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
      }),
    [selectors, seconds, timeout],
  );
}

/** Waits for `n` animation frames of the page (the frame loop steps the run
 *  and publishes snapshots on them). */
export const frames = (page, n) =>
  page.evaluate(
    (n) =>
      new Promise((resolve) => {
        let k = 0;
        const f = () => (++k >= n ? resolve() : requestAnimationFrame(f));
        requestAnimationFrame(f);
      }),
    n,
  );

/** Waits until the page has published `n` more snapshots (the clock changes
 *  with each; one per 250 ms of frames while playing). */
export const snapshots = (page, n, timeout = 90000) =>
  page.evaluate(
    ([n, timeout]) =>
      new Promise((resolve, reject) => {
        const clock = () => document.querySelector('[data-testid="sim-time"]')?.textContent ?? '';
        let last = clock();
        let seen = 0;
        const start = performance.now();
        const tick = () => {
          if (clock() !== last) {
            last = clock();
            if (++seen >= n) return resolve();
          }
          if (performance.now() - start > timeout) return reject(new Error(`${seen} of ${n} snapshots within ${timeout} ms`));
          requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
      }),
    [n, timeout],
  );

/** Presses the control `id` as a person would: first opening the toolbar's
 *  "☰" (narrow windows) and the menu (File, Learn, View) that hold it, when
 *  it is not on screen. */
export async function choose(page, id) {
  const item = page.getByTestId(id).first();
  if (!(await item.isVisible())) {
    const more = page.getByTestId('more');
    if ((await more.isVisible()) && (await more.getAttribute('aria-expanded')) !== 'true') await more.click();
    const menu = await item.evaluate((el) => el.closest('.menu')?.querySelector('.menu-button')?.dataset.testid ?? null);
    if (menu && !(await item.isVisible())) await page.getByTestId(menu).click();
  }
  await item.click();
}

/** Brings the side drawer's tab `id` (tab-inspect, tab-lesson, …) to the
 *  front, as a person does: pressing it only when it is not the one shown
 *  (pressing the tab on show folds the drawer away). */
export async function showTab(page, id) {
  const tab = page.getByTestId(id);
  if ((await tab.getAttribute('aria-selected')) !== 'true') await tab.click();
  await page.waitForFunction((id) => document.querySelector(`[data-testid="${id}"]`)?.getAttribute('aria-selected') === 'true', id);
}

/** Unfolds the dashboard under the headline strip (charts, errors by cause,
 *  where the time goes, the event log), as a person presses "Charts". */
export async function showCharts(page) {
  const toggle = page.getByTestId('dashboard-toggle');
  if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
  await page.getByTestId('chart-latency').waitFor();
}

/** Places a palette component in an empty spot of the diagram and returns its id. */
export async function place(page, kind, x, y) {
  const before = await page.$$eval('g[data-node]', (els) => els.map((e) => e.getAttribute('data-node')));
  await page.getByTestId(`palette-${kind}`).click();
  // The nearest bare background to (x, y): a press on a node would pick the node.
  const [px, py] = await page.getByTestId('diagram').evaluate((svg, [x, y]) => {
    const r = svg.getBoundingClientRect();
    const boxes = [...svg.querySelectorAll('g[data-node]')].map((n) => n.getBoundingClientRect());
    const bare = (cx, cy) => cx > 8 && cy > 8 && cx < r.width - 8 && cy < r.height - 8
      && document.elementFromPoint(r.left + cx, r.top + cy)?.matches('rect.grid-bg')
      && !boxes.some((b) => r.left + cx > b.left - 24 && r.left + cx < b.right + 24 && r.top + cy > b.top - 24 && r.top + cy < b.bottom + 24);
    for (let ring = 0; ring < 40; ring++) {
      for (let k = 0; k < Math.max(1, ring * 8); k++) {
        const a = (2 * Math.PI * k) / Math.max(1, ring * 8);
        const [cx, cy] = [x + ring * 10 * Math.cos(a), y + ring * 10 * Math.sin(a)];
        if (bare(cx, cy)) return [cx, cy];
      }
    }
    return [x, y];
  }, [x, y]);
  await page.getByTestId('diagram').click({ position: { x: px, y: py } });
  await page.waitForFunction((n) => document.querySelectorAll('g[data-node]').length === n + 1, before.length);
  const after = await page.$$eval('g[data-node]', (els) => els.map((e) => e.getAttribute('data-node')));
  return after.find((id) => !before.includes(id));
}
