// Page half of `cargo xtask bench`: measures the real page in headless
// Chromium, the way a user runs it. Each argument names one figure:
//
//   paint      first-contentful-paint and the time until the diagram is
//              interactive (its nodes in the DOM, the next frame, and not
//              before first paint), in a fresh context (median of BENCH_PAINT_RUNS);
//              the bytes transferred until then, as the local server sends
//              them (uncompressed) and, in one more load, from a server that
//              gzips every file (level 9) as hosts do
//   frames     frame intervals, dropped frames, long tasks and chart redraw
//              times while the design given by BENCH_DESIGN (lesson 13, about
//              100,000 requests/s) runs at 1x for BENCH_FRAMES_S seconds,
//              animation on; also simulated seconds per wall second
//   particles  the same design with `?dots=10000` (the animation aims for
//              10,000 dots instead of about 2,000) at BENCH_PARTICLES_SPEED,
//              frame intervals for BENCH_PARTICLES_S seconds, from
//              BENCH_PARTICLES_SETTLE_S (3) after the change of speed
//   memory     wasm linear memory and JS heap after each of BENCH_MEMORY_MIN
//              wall minutes (e.g. "1,10") of fast-forward (100x) of the design
//   throttled  `/` from a local server that gzips every file (level 9), with
//              the DevTools protocol's network (1.6 Mbps down, 750 kbps up,
//              150 ms latency) and CPU (4x slower) throttling of Lighthouse's
//              mobile preset, in a fresh context and a phone-sized viewport:
//              first paint, the diagram interactive, bytes transferred until
//              then (median of BENCH_THROTTLED_RUNS)
//
// The design is loaded through a share link (`#s=` + base64url of raw DEFLATE
// of the JSON, as src/keeping/storage.rs writes them), as a user who follows a link.
// `?perf` turns on the page's performance.measure entries around each chart
// redraw (src/panels/charts.rs). One JSON line is printed per figure.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { join, resolve, dirname, extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateRawSync, gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..');
const distDir = process.env.SCALELAB_DIST || join(repoRoot, 'dist');
const designFile = process.env.BENCH_DESIGN || join(repoRoot, 'lessons', '13-millions-of-users.json');
const env = (name, dflt) => Number(process.env[name] || dflt);

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

async function waitForHttp(url) {
  for (let i = 0; i < 150; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer`);
}

function chromiumPath() {
  if (process.env.CHROMIUM) return process.env.CHROMIUM;
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      return execFileSync('which', [name], { encoding: 'utf8' }).trim();
    } catch {
      // next
    }
  }
  throw new Error('Chromium not found on PATH: run `cargo xtask setup --test`');
}

/** The share-link fragment of a scenario, exactly as src/keeping/storage.rs builds it. */
export function shareFragment(json) {
  const compact = JSON.stringify(JSON.parse(json));
  return 's=' + deflateRawSync(Buffer.from(compact, 'utf8')).toString('base64url');
}

// Runs in the page before any of its scripts: keeps the wasm exports (trunk
// hands them over in its TrunkApplicationStarted event) for the memory
// figure, and notes when the diagram's first node is in the DOM and the frame
// after it (the diagram drawn, its handlers attached: interactive).
function pageProbe() {
  window.__bench = {};
  addEventListener('TrunkApplicationStarted', (e) => {
    window.__bench.wasm = e.detail && e.detail.wasm;
  });
  const seen = () => {
    if (window.__bench.nodes || !document.querySelector('g[data-node]')) return false;
    window.__bench.nodes = performance.now();
    requestAnimationFrame(() => {
      window.__bench.interactive = performance.now();
    });
    return true;
  };
  new MutationObserver((_, obs) => {
    if (seen()) obs.disconnect();
  }).observe(document, { childList: true, subtree: true });
}

// Runs in the page: records every requestAnimationFrame timestamp for `secs`
// seconds, the long tasks meanwhile, the simulated clock at both ends, the
// frames on which the page said it was slower than real time, the dots on
// screen as the page's sampling line says (refreshed 4 times a second), and
// the chart redraw measures taken meanwhile.
// `what` is the seconds to record, or { until: a selector } to record until
// it matches.
async function recordFrames(what) {
  const secs = typeof what === 'number' ? what : Infinity;
  const until = typeof what === 'number' ? null : what.until;
  const clock = () => {
    const m = document.querySelector('[data-testid="sim-time"]')?.textContent.match(/[\d.]+/);
    return m ? Number(m[0]) : NaN;
  };
  const dots = () => {
    const m = document.querySelector('[data-testid="sampling"]')?.textContent.replace(/,/g, '').match(/(\d+) dots/);
    return m ? Number(m[1]) : NaN;
  };
  const longs = [];
  let obs = null;
  try {
    obs = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) longs.push(e.duration);
    });
    obs.observe({ type: 'longtask' });
  } catch {
    obs = null;
  }
  const start = performance.now();
  const sim0 = clock();
  const stamps = [];
  const onScreen = [];
  let behind = 0;
  await new Promise((done) => {
    const tick = (t) => {
      stamps.push(t);
      if (document.querySelector('.behind')) behind++;
      onScreen.push(dots());
      const over = until ? document.querySelector(until) !== null : t - stamps[0] >= secs * 1000;
      if (!over) requestAnimationFrame(tick);
      else done();
    };
    requestAnimationFrame(tick);
  });
  const sim1 = clock();
  if (obs) obs.disconnect();
  const redraws = performance
    .getEntriesByName('scalelab-chart-redraw')
    .filter((e) => e.startTime >= start)
    .map((e) => e.duration);
  const seen = onScreen.filter((d) => Number.isFinite(d));
  const dotStats = seen.length
    ? { min: Math.min(...seen), mean: seen.reduce((a, b) => a + b, 0) / seen.length, max: Math.max(...seen) }
    : null;
  return { stamps, longs, longtasks_observed: obs !== null, sim0, sim1, behind, dots: dotStats, redraws };
}

const pct = (xs, p) => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const VSYNC_MS = 1000 / 60;

/** Frame statistics from rAF timestamps (ms). Dropped: missed vsyncs in intervals over 1.5 frames. */
function frameStats(r) {
  const iv = [];
  for (let i = 1; i < r.stamps.length; i++) iv.push(r.stamps[i] - r.stamps[i - 1]);
  const wall_s = (r.stamps.at(-1) - r.stamps[0]) / 1000;
  const dropped = iv.filter((d) => d > 1.5 * VSYNC_MS).reduce((n, d) => n + Math.max(1, Math.round(d / VSYNC_MS) - 1), 0);
  const longs = [...r.longs].sort((a, b) => b - a);
  return {
    frames: iv.length,
    wall_s,
    fps: iv.length / wall_s,
    p50_ms: pct(iv, 50),
    p95_ms: pct(iv, 95),
    p99_ms: pct(iv, 99),
    max_ms: Math.max(...iv),
    dropped,
    expected_frames: Math.round((wall_s * 1000) / VSYNC_MS),
    long_tasks: r.longtasks_observed ? longs.length : null,
    longest_tasks_ms: r.longtasks_observed ? longs.slice(0, 3).map((d) => Math.round(d)) : null,
    sim_s: r.sim1 - r.sim0,
    realtime_ratio: (r.sim1 - r.sim0) / wall_s,
    behind_frames: r.behind,
    dots: r.dots,
    chart_redraws: r.redraws.length,
    chart_p50_ms: pct(r.redraws, 50),
    chart_p95_ms: pct(r.redraws, 95),
  };
}

async function launch() {
  const port = await freePort();
  const server = spawn('python3', ['-m', 'http.server', String(port), '--bind', '127.0.0.1', '--directory', distDir], {
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitForHttp(`${baseUrl}/`);
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
      // Exact JS heap figures, and a gc() to call before reading them.
      '--enable-precise-memory-info',
      '--js-flags=--expose-gc',
      // A headless page is never in the background: keep its frames coming.
      '--disable-renderer-backgrounding',
      '--disable-background-timer-throttling',
      '--disable-backgrounding-occluded-windows',
    ],
  });
  // `before(context, page)` runs before the page is loaded; `base` is the
  // server's address (python's http.server by default).
  async function open(path, { base = baseUrl, before = null } = {}) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    const hooked = before ? await before(context, page) : null;
    await page.addInitScript(pageProbe);
    await page.goto(`${base}${path}`);
    await page.getByTestId('app-ready').waitFor({ timeout: 60000 });
    await page.waitForFunction(() => document.querySelector('[data-testid="metric-p99"]')?.textContent.includes('ms'), null, {
      timeout: 60000,
    });
    return { page, context, errors, hooked };
  }
  return {
    open,
    browser,
    async close() {
      await browser.close();
      server.kill();
    },
  };
}

const trafficText = (page) => page.getByTestId('traffic-value').textContent();

// Counts what a page transfers with the DevTools protocol's network events:
// the encoded size of every response (headers included) and when its last
// byte came. `until(page, ms)` sums those that had finished `ms` after the
// page's time origin (its `performance.now()` clock), `files` lists them.
async function countTransfers(context, page) {
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  const urls = new Map();
  const done = [];
  let clock = null; // the protocol's monotonic seconds and the wall clock at one instant
  cdp.on('Network.requestWillBeSent', (e) => {
    urls.set(e.requestId, e.request.url);
    if (clock === null) clock = { mono: e.timestamp, wall_ms: e.wallTime * 1000 };
  });
  cdp.on('Network.loadingFinished', (e) => {
    done.push({ url: urls.get(e.requestId), bytes: e.encodedDataLength, t: e.timestamp });
  });
  const before = async (page, ms) => {
    const origin = await page.evaluate(() => performance.timeOrigin);
    const limit = clock === null ? -Infinity : clock.mono + (origin + ms - clock.wall_ms) / 1000;
    return done.filter((d) => d.t <= limit);
  };
  return {
    cdp,
    until: async (page, ms) => (await before(page, ms)).reduce((n, d) => n + d.bytes, 0),
    files: async (page, ms) => (await before(page, ms)).map((d) => `${d.url.replace(/^https?:\/\/[^/]+/, '')} ${d.bytes}`),
  };
}

// First paint and the diagram interactive, from the page's own clock.
async function loadTimes(page, timeout) {
  await page.waitForFunction(() => window.__bench.interactive !== undefined, null, { timeout });
  const r = await page.evaluate(() => ({
    fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null,
    interactive: window.__bench.interactive,
  }));
  // Not before it is painted: the frame callback after the nodes' insertion
  // can run before that frame is presented (which is FCP's time).
  return { fcp: r.fcp, interactive: Math.max(r.fcp ?? 0, r.interactive) };
}

async function paint(site) {
  const runs = env('BENCH_PAINT_RUNS', 5);
  const fcp = [];
  const interactive = [];
  const bytes = [];
  const before = (context, page) => countTransfers(context, page);
  for (let i = 0; i < runs; i++) {
    const { page, context, hooked: net } = await site.open('/', { before });
    const r = await loadTimes(page, 60000);
    fcp.push(r.fcp);
    interactive.push(r.interactive);
    bytes.push(await net.until(page, r.interactive));
    await context.close();
  }
  // The same load from a host that gzips, for the bytes alone (its times are
  // not counted: they are of another server).
  const server = await gzipServer();
  let gzip;
  try {
    const { page, context, hooked: net } = await site.open('/', { base: server.url, before });
    const r = await loadTimes(page, 60000);
    gzip = { bytes: await net.until(page, r.interactive), files: await net.files(page, r.interactive) };
    await context.close();
  } finally {
    server.close();
  }
  return {
    figure: 'paint',
    fcp_ms: pct(fcp, 50),
    interactive_ms: pct(interactive, 50),
    bytes: pct(bytes, 50),
    gzip_bytes: gzip.bytes,
    gzip_files: gzip.files,
    runs: { fcp, interactive, bytes },
  };
}

async function frames(site, design) {
  const secs = env('BENCH_FRAMES_S', 20);
  const { page, context, errors } = await site.open(`/?perf#${shareFragment(design)}`);
  const traffic = await trafficText(page);
  // The charts are folded under the headline strip on a laptop's screen;
  // unfolded, as someone watching them has them, so their redraws are in the
  // frames and timed.
  const toggle = page.getByTestId('dashboard-toggle');
  if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
  await page.getByTestId('chart-latency').waitFor();
  await page.waitForTimeout(3000); // past start-up and the first retuning of the sampling
  const r = await page.evaluate(recordFrames, secs);
  await context.close();
  return { figure: 'frames', traffic, seconds: secs, ...frameStats(r), errors };
}

async function particles(site, design) {
  const secs = env('BENCH_PARTICLES_S', 10);
  const speed = process.env.BENCH_PARTICLES_SPEED || '0.1';
  const { page, context, errors } = await site.open(`/?dots=10000#${shareFragment(design)}`);
  const settle = env('BENCH_PARTICLES_SETTLE_S', 3);
  await page.getByTestId('speed').selectOption(speed);
  const changed = Date.now();
  // The page loads at 1x, where 10,000 dots are already on screen: reading
  // the sampling line at once would take that count for the slowed run's and
  // record the drop that follows the change of speed. The sampling retunes
  // four times a second and the dots of requests followed before take about
  // a request's life (most of a wall second at 0.1x) to give way: record from
  // BENCH_PARTICLES_SETTLE_S after the change, and once the line reads 9,000
  // (for at most 20 s more); how long that took is reported.
  await page.waitForTimeout(settle * 1000);
  await page
    .waitForFunction(() => Number(document.querySelector('[data-testid="sampling"]')?.textContent.replace(/,/g, '').match(/(\d+) dots/)?.[1]) >= 9000, null, {
      timeout: 20000,
    })
    .catch(() => {});
  const settled_s = (Date.now() - changed) / 1000;
  const r = await page.evaluate(recordFrames, secs);
  await context.close();
  return { figure: 'particles', speed: Number(speed), seconds: secs, settled_s, ...frameStats(r), errors };
}

/** Clicks the command `id`, opening the menu that holds it first if it is folded away. */
async function clickInMenu(page, id) {
  const item = page.getByTestId(id).first();
  if (!(await item.isVisible())) {
    const menu = await item.evaluate((el) => el.closest('.menu')?.querySelector('.menu-button')?.dataset.testid ?? null);
    if (menu) await page.getByTestId(menu).click();
  }
  await item.click();
}

// The live page while the resilience report of lesson 5 (9 trials; another
// lesson with BENCH_REPORT_LESSON) is worked on in the engine's worker: every
// frame from the click on Run until the table is shown, and how long the
// report took.
async function report(site) {
  const lesson = env('BENCH_REPORT_LESSON', 5);
  const { page, context, errors } = await site.open(`/?lesson=${lesson}`);
  await page.waitForTimeout(3000);
  await clickInMenu(page, 'resilience-button');
  await page.getByTestId('resilience-run').click();
  const r = await page.evaluate(recordFrames, { until: '[data-testid="resilience-table"]' });
  const trials = await page.locator('[data-testid="resilience-table"] tbody tr').count();
  await context.close();
  return { figure: 'report', design: `lesson ${lesson}`, lesson, trials, ...frameStats(r), errors };
}

async function memory(site, design) {
  const marks = (process.env.BENCH_MEMORY_MIN || '1,10,30').split(',').map(Number);
  // Lesson 13 ends after one simulated hour, which fast-forward reaches in
  // about 20 minutes: run it for the longest duration a scenario may have
  // (30 days), so the whole measurement is of a simulation still running.
  const long = JSON.parse(design);
  long.duration_s = 30 * 86400;
  const { page, context, errors } = await site.open(`/#${shareFragment(JSON.stringify(long))}`);
  await page.getByTestId('speed').selectOption('100');
  const started = Date.now();
  const readings = [];
  for (const min of marks) {
    const wait = started + min * 60000 - Date.now();
    if (wait > 0) await page.waitForTimeout(wait);
    readings.push(
      await page.evaluate((minutes) => {
        if (window.gc) window.gc();
        const m = document.querySelector('[data-testid="sim-time"]')?.textContent.match(/[\d.]+/);
        return {
          wall_min: minutes,
          sim_s: m ? Number(m[0]) : null,
          wasm_bytes: window.__bench.wasm?.memory?.buffer.byteLength ?? null,
          js_heap_bytes: performance.memory?.usedJSHeapSize ?? null,
        };
      }, min),
    );
  }
  await context.close();
  return { figure: 'memory', readings, errors };
}

// A static server for dist/ that sends every file gzip-compressed, as hosts
// do (python's http.server sends them as they are).
async function gzipServer() {
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css', '.svg': 'image/svg+xml', '.json': 'application/json' };
  const cache = new Map();
  const base = resolve(distDir);
  const server = createHttpServer((req, res) => {
    let p = join(base, decodeURIComponent(req.url.split('?')[0]));
    if (existsSync(p) && statSync(p).isDirectory()) p = join(p, 'index.html');
    if (!p.startsWith(base) || !existsSync(p)) {
      res.writeHead(404);
      res.end();
      return;
    }
    if (!cache.has(p)) cache.set(p, gzipSync(readFileSync(p), { level: 9 }));
    res.writeHead(200, { 'content-type': types[extname(p)] || 'application/octet-stream', 'content-encoding': 'gzip' });
    res.end(cache.get(p));
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() };
}

async function throttled(site) {
  const runs = env('BENCH_THROTTLED_RUNS', 3);
  const server = await gzipServer();
  const fcp = [];
  const interactive = [];
  const bytes = [];
  try {
    for (let i = 0; i < runs; i++) {
      const context = await site.browser.newContext({ viewport: { width: 412, height: 823 } });
      const page = await context.newPage();
      const net = await countTransfers(context, page);
      const cdp = net.cdp;
      await cdp.send('Network.emulateNetworkConditions', {
        offline: false,
        latency: 150,
        downloadThroughput: (1.6 * 1024 * 1024) / 8,
        uploadThroughput: (750 * 1024) / 8,
      });
      await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
      await page.addInitScript(pageProbe);
      await page.goto(`${server.url}/`);
      const r = await loadTimes(page, 120000);
      fcp.push(r.fcp);
      interactive.push(r.interactive);
      bytes.push(await net.until(page, r.interactive));
      await context.close();
    }
  } finally {
    server.close();
  }
  return { figure: 'throttled', fcp_ms: pct(fcp, 50), interactive_ms: pct(interactive, 50), bytes: pct(bytes, 50), runs: { fcp, interactive, bytes } };
}

// The live page while the A/B comparison of lesson 9 with its previous step
// runs at 100x (more than two cores can keep up with, so the comparison runs
// as fast as it can): every frame for BENCH_COMPARE_S seconds, and how many
// simulated seconds the comparison covered in them.
async function compare(site) {
  const secs = env('BENCH_COMPARE_S', 15);
  const { page, context, errors } = await site.open('/?lesson=9');
  await page.waitForTimeout(3000);
  await clickInMenu(page, 'compare-button');
  await page.getByTestId('compare-run').click();
  await page.getByTestId('compare-speed').selectOption('100');
  const simTime = () =>
    page.evaluate(() => Number(document.querySelector('[data-testid="compare-time"]')?.textContent.match(/t = ([\d.]+)/)?.[1]));
  // Past the first reading, so the start is a time the comparison has published.
  await page.waitForFunction(() => /t = [1-9]/.test(document.querySelector('[data-testid="compare-time"]')?.textContent ?? ''), null, { timeout: 60000 });
  const t0 = await simTime();
  const r = await page.evaluate(recordFrames, secs);
  const t1 = await simTime();
  await context.close();
  return { figure: 'compare', design: 'lesson 9 vs its previous step', seconds: secs, compared_s: t1 - t0, ...frameStats(r), errors };
}

const wanted = process.argv.slice(2);
const design = readFileSync(designFile, 'utf8');
const site = await launch();
try {
  for (const w of wanted) {
    const f = { paint, frames, particles, report, compare, memory, throttled }[w];
    if (!f) throw new Error(`unknown figure ${w}: paint, frames, particles, report, compare, memory or throttled`);
    console.log(JSON.stringify(await f(site, design)));
  }
} finally {
  await site.close();
}
