// Hosting and embedding: the site built for a sub-path (`cargo xtask dist
// --base /scale-lab/`), the example host page with two embedded lessons, the
// message API and its origin allow-list, read-only embeds, and the embed code.
//
// `cargo xtask test` builds the sub-path site once and passes its folder in
// SCALELAB_SUBPATH_DIST; run by hand without it, this file builds it first.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { deflateRawSync } from 'node:zlib';
import { join } from 'node:path';
import { startSiteAt, repoRoot, screenshot, text, nodeIds, notice, simFor, numberIn, eventually, choose, showTab } from './harness.js';

const base = process.env.SCALELAB_SUBPATH_BASE || '/scale-lab/';
let subDist = process.env.SCALELAB_SUBPATH_DIST;
let site;
let foreign;

before(async () => {
  if (!subDist) {
    subDist = join(repoRoot, 'target', 'dist-scale-lab');
    const built = spawnSync('cargo', ['xtask', 'dist', '--base', base, '--out', subDist], { cwd: repoRoot, stdio: ['ignore', 2, 2] });
    if (built.status !== 0) throw new Error('cargo xtask dist failed');
  }
  site = await startSiteAt(subDist, base);
  foreign = await startHostServer();
});
after(async () => {
  await site?.close();
  foreign?.close();
});

/** A page on another origin (another port) that frames `?src=` and records what it receives. */
function startHostServer() {
  return new Promise((ok) => {
    const server = createServer((req, res) => {
      const url = new URL(req.url, 'http://x');
      if (url.pathname !== '/host') {
        res.writeHead(404).end();
        return;
      }
      const src = url.searchParams.get('src') ?? '';
      const attr = src.replace(/&/g, '&amp;').replace(/"/g, '&quot;');
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!DOCTYPE html><html><head><link rel="icon" href="data:,"><title>Some other site</title></head><body>
<script>window.got = []; addEventListener('message', (e) => got.push({ origin: e.origin, data: e.data }));</script>
<iframe src="${attr}" width="900" height="600"></iframe></body></html>`);
    });
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      ok({ origin: `http://127.0.0.1:${port}`, close: () => server.close() });
    });
  });
}

/** Opens `path` (under the sub-path) and tracks console errors and failed requests. */
async function open(path, options = {}) {
  const context = await site.browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
  const page = await context.newPage();
  const errors = [];
  const failed = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => errors.push(`page: ${e.message}`));
  page.on('response', (r) => r.status() >= 400 && failed.push(`${r.status()} ${r.url()}`));
  // A request the browser cancels because the test goes to the next address
  // (a lesson's worker still loading as the page is left) is aborted, not
  // failed: a file missing under the sub-path answers 404 above, and any other
  // network error still counts.
  page.on('requestfailed', (r) => {
    const why = r.failure()?.errorText;
    if (why !== 'net::ERR_ABORTED') failed.push(`failed ${r.url()} (${why})`);
  });
  if (path !== null) await page.goto(`${site.baseUrl}${path}`);
  return { page, context, errors, failed };
}

async function ready(page) {
  await page.getByTestId('app-ready').waitFor({ timeout: 60000 });
}

async function running(page) {
  await ready(page);
  await page.waitForFunction(() => document.querySelector('[data-testid="metric-p99"]')?.textContent.includes('ms'), null, { timeout: 60000 });
}

/** The share fragment of a design, made as storage.rs makes it (compact JSON, raw DEFLATE, base64url). */
function fragmentOf(design) {
  return `s=${deflateRawSync(Buffer.from(JSON.stringify(design))).toString('base64url')}`;
}

const SMALL = {
  version: 1,
  name: 'Two tiers',
  nodes: [
    { id: 'users', kind: 'users', rps: 50 },
    { id: 'web', kind: 'web_server' },
  ],
  links: [{ from: 'users', to: 'web' }],
};

const frameIds = (frame) => frame.locator('g[data-node]').evaluateAll((els) => els.map((e) => e.getAttribute('data-node')).sort());

test('the site built for a sub-path loads there, with deep links, and no request fails', async () => {
  const { page, context, errors, failed } = await open(base);
  await running(page);
  assert.deepEqual(await nodeIds(page), ['db', 'lb', 'users', 'web-1', 'web-2']);
  for (const path of [`${base}?lesson=2`, `${base}index.html#${fragmentOf(SMALL)}`, `${base}?lesson=3&embed=1`]) {
    await page.goto(`${site.baseUrl}${path}`);
    await running(page);
  }
  // The share link opened the design it carries, from index.html under the sub-path.
  await page.goto(`${site.baseUrl}${base}index.html#${fragmentOf(SMALL)}`);
  await ready(page);
  assert.deepEqual(await nodeIds(page), ['users', 'web']);
  // The embedded layout's way out leads to the same sub-path.
  await page.goto(`${site.baseUrl}${base}?lesson=3&embed=1`);
  await ready(page);
  const href = await page.getByTestId('open-full').getAttribute('href');
  assert.ok(href.startsWith(`${site.baseUrl}${base}`), href);
  assert.equal(await page.getByTestId('origin-note').count(), 0, 'no note about messages outside a frame');
  assert.equal(await page.getByTestId('open-full').getAttribute('target'), '_blank');
  // The resilience report runs in the engine's worker, whose files the page
  // finds under the sub-path too: the table comes only from the worker.
  await page.goto(`${site.baseUrl}${base}index.html#${fragmentOf(SMALL)}`);
  await running(page);
  await choose(page, 'resilience-button');
  await page.getByTestId('resilience-run').click();
  await page.getByTestId('resilience-table').waitFor({ timeout: 120000 });
  assert.equal(await page.getByTestId('resilience-failed').count(), 0);
  assert.deepEqual(errors, []);
  assert.deepEqual(failed, []);
  await context.close();
});

test('the example host page embeds two lessons and hears ready and metrics from both', async () => {
  const { page, context, errors, failed } = await open(`${base}public/embed-example.html`, { viewport: { width: 1400, height: 1000 } });
  const received = () => page.evaluate(() => window.scaleLabReceived);
  await page.waitForFunction(() => {
    const got = window.scaleLabReceived ?? [];
    return ['1', '4'].every((l) => got.some((m) => m.frame === l && m.type === 'ready') && got.some((m) => m.frame === l && m.type === 'metrics'));
  }, null, { timeout: 120000 });
  for (const m of await received()) {
    assert.equal(m.source, 'scale-lab');
    assert.equal(m.version, 1);
    if (m.type === 'ready') assert.equal(m.lesson, Number(m.frame), `the ready message names the lesson: ${JSON.stringify(m)}`);
  }
  const metrics = (await received()).filter((m) => m.type === 'metrics');
  for (const key of ['t_s', 'window_s', 'sent_rps', 'ok_rps', 'error_ratio', 'p50_ms', 'p99_ms', 'cost_per_month_usd', 'lost_writes', 'alerts_firing']) {
    assert.ok(key in metrics[0], `metrics carry ${key}: ${JSON.stringify(metrics[0])}`);
  }
  // No rate before a whole simulated second has ended; then live numbers.
  for (const m of metrics) if (m.window_s === 0) assert.equal(m.sent_rps, null, JSON.stringify(m));
  await eventually(received, (got) => got.some((m) => m.type === 'metrics' && m.window_s > 0 && m.sent_rps > 0), { what: 'live numbers' });
  // Shown on the page, per frame.
  const second = page.locator('section[data-lesson="4"]');
  await page.waitForFunction(() => /\d s$/.test(document.querySelector('section[data-lesson="4"] [data-field="t_s"]').textContent));
  assert.match(await second.locator('[data-field="ready"]').textContent(), /^yes/);
  // The frames are on the host page's own origin: nothing to warn about.
  for (const l of ['1', '4']) assert.equal(await page.frameLocator(`section[data-lesson="${l}"] iframe`).getByTestId('origin-note').count(), 0);

  // The host sends a design to the second frame (read-only for readers, not for the host).
  const frame = page.frameLocator('section[data-lesson="4"] iframe');
  await second.getByRole('button', { name: 'Send a small design' }).click();
  await page.waitForFunction(() => document.querySelector('section[data-lesson="4"] [data-field="reply"]').textContent === 'done: load');
  await frame.locator('g[data-node="web-b"]').waitFor();
  assert.deepEqual(await frameIds(frame), ['lb', 'users', 'web-a', 'web-b']);
  // Pause and play, once the new design has run a full live window.
  await eventually(async () => numberIn(await frame.getByTestId('sim-time').textContent()), (t) => t >= 6.5, { what: 'the frame running its new design for 6.5 s', timeout: 90000 });
  await second.getByRole('button', { name: 'Pause' }).click();
  await page.waitForFunction(() => document.querySelector('section[data-lesson="4"] [data-field="reply"]').textContent === 'done: pause');
  assert.equal(await frame.getByTestId('play-toggle').textContent(), 'Play');
  // Paused, the frame's figures hold still, and the message about them says
  // what the frame shows: the users node, the Requests/s card and the host's
  // line give one rate over one window.
  const shownAt = numberIn(await frame.getByTestId('sim-time').textContent());
  const message = await eventually(
    async () => (await received()).filter((m) => m.frame === '4' && m.type === 'metrics').at(-1),
    (m) => m && Math.abs(m.t_s - shownAt) < 0.05,
    { what: `a metrics message at t = ${shownAt} s` },
  );
  assert.equal(message.window_s, 5, JSON.stringify(message));
  const usersNode = await frame.locator('[data-testid="node-users"] .node-kind').textContent();
  for (const [where, shown] of [['users node', usersNode], ['Requests/s card', await frame.getByTestId('metric-rps').textContent()]]) {
    const n = numberIn(shown);
    const digits = shown.replace(/,/g, '').match(/\.(\d+)/)?.[1].length ?? 0;
    assert.ok(Math.abs(n - message.sent_rps) <= 0.5 * 10 ** -digits + 1e-9, `${where} ${shown} against sent_rps ${message.sent_rps}`);
  }
  const hostLine = await eventually(
    () => second.locator('[data-field="sent_rps"]').textContent(),
    (s) => s.startsWith(`${message.sent_rps.toFixed(1)} requests/s`),
    { what: 'the host page showing the message' },
  );
  assert.match(hostLine, /\(last 5 s\)$/);
  await second.getByRole('button', { name: 'Play' }).click();
  await page.waitForFunction(() => document.querySelector('section[data-lesson="4"] [data-field="reply"]').textContent === 'done: play');
  assert.equal(await frame.getByTestId('play-toggle').textContent(), 'Pause');
  await screenshot(page, 'embed-example-host');
  assert.deepEqual(errors, []);
  assert.deepEqual(failed, []);
  await context.close();
});

test('messages from an origin that is not allowed are ignored and counted; an allowed one is obeyed', async () => {
  const playground = `${site.baseUrl}${base}?embed=1`;
  const post = (page, message) => page.evaluate((m) => document.querySelector('iframe').contentWindow.postMessage(m, '*'), message);

  // Not in the allow-list: nothing is sent to it, and what it sends changes nothing.
  const stranger = await open(null);
  await stranger.page.goto(`${foreign.origin}/host?src=${encodeURIComponent(playground)}`);
  const frame = stranger.page.frameLocator('iframe');
  await frame.getByTestId('app-ready').waitFor({ timeout: 60000 });
  const before = await frameIds(frame);
  assert.equal(await frame.getByTestId('app-ready').getAttribute('data-ignored-messages'), '0');
  await post(stranger.page, { type: 'load', scenario: SMALL });
  await post(stranger.page, { type: 'pause' });
  // Counted means handled (and ignored): their effects, had they had any, are on screen.
  await frame.locator('[data-ignored-messages="2"]').waitFor();
  assert.deepEqual(await frameIds(frame), before, 'the design did not change');
  assert.equal(await frame.getByTestId('play-toggle').textContent(), 'Pause', 'still playing');
  // Metrics go out once a wall second while the numbers run: let the frame run
  // two simulated seconds (at 1x, at least two wall seconds of live frames),
  // in which an allowed page would have been sent some.
  await simFor(stranger.page.frames().find((f) => f !== stranger.page.mainFrame()), 2);
  assert.deepEqual(await frameIds(frame), before, 'the design did not change');
  assert.equal(await frame.getByTestId('play-toggle').textContent(), 'Pause', 'still playing');
  assert.deepEqual(await stranger.page.evaluate(() => window.got), [], 'no ready, metrics or replies to a page that is not allowed');
  // The frame says so itself, on a line of its own: the host's origin is not
  // listed, so it hears nothing, and the fix.
  const note = frame.getByTestId('origin-note');
  assert.equal(await note.count(), 1);
  const said = await note.textContent();
  assert.ok(said.includes(`Host page ${foreign.origin} is not listed`) && /gets no progress messages/.test(said), said);
  assert.ok(said.includes(`add origin=${foreign.origin} to this frame's address`), said);
  const strip = await note.evaluate((el) => {
    const r = el.getBoundingClientRect();
    const span = el.querySelector('span');
    const lines = Math.round(span.getBoundingClientRect().height / parseFloat(getComputedStyle(span).lineHeight));
    const own = el.querySelector('button');
    const covered = [...document.querySelectorAll('button, input, select, a, [role="button"]')]
      .filter((c) => c !== own && c.getClientRects().length > 0)
      .map((c) => ({ id: c.dataset.testid ?? c.textContent.trim(), b: c.getBoundingClientRect() }))
      .filter(({ b }) => b.left < r.right && r.left < b.right && b.top < r.bottom && r.top < b.bottom)
      .map(({ id }) => id);
    return { lines, covered, width: r.width, right: r.right, viewport: innerWidth };
  });
  assert.equal(strip.lines, 1, `one line in a 900 px frame: ${JSON.stringify(strip)}`);
  assert.deepEqual(strip.covered, [], 'it covers no control');
  assert.ok(strip.right <= strip.viewport, JSON.stringify(strip));
  await screenshot(stranger.page, 'embed-origin-note');
  await note.getByRole('button', { name: 'Dismiss the note about messages' }).click();
  await note.waitFor({ state: 'detached' });
  assert.deepEqual(stranger.errors, []);
  await stranger.context.close();

  // Listed with ?origin=: ready and metrics arrive, load is obeyed and acknowledged.
  const friend = await open(null);
  const allowed = `${playground}&origin=${encodeURIComponent(foreign.origin)}`;
  await friend.page.goto(`${foreign.origin}/host?src=${encodeURIComponent(allowed)}`);
  const frame2 = friend.page.frameLocator('iframe');
  await frame2.getByTestId('app-ready').waitFor({ timeout: 60000 });
  const types = () => friend.page.evaluate(() => window.got.map((g) => g.data.type));
  await friend.page.waitForFunction(() => window.got.some((g) => g.data.type === 'ready') && window.got.some((g) => g.data.type === 'metrics'), null, { timeout: 60000 });
  assert.ok((await friend.page.evaluate(() => window.got)).every((g) => g.origin === site.baseUrl), 'from the playground');
  assert.equal(await frame2.getByTestId('origin-note').count(), 0, 'an allowed page gets no note');
  await post(friend.page, { type: 'load', scenario: JSON.stringify(SMALL) });
  await friend.page.waitForFunction(() => window.got.some((g) => g.data.type === 'ack' && g.data.for === 'load'));
  await frame2.locator('g[data-node="web"]').waitFor();
  assert.deepEqual(await frameIds(frame2), ['users', 'web']);
  // A broken design is refused with the reason, and the design stays.
  await post(friend.page, { type: 'load', scenario: { version: 1, nodes: [{ id: 'a', kind: 'teapot' }], links: [] } });
  await friend.page.waitForFunction(() => window.got.some((g) => g.data.type === 'error'));
  const refusal = (await friend.page.evaluate(() => window.got)).find((g) => g.data.type === 'error').data;
  assert.equal(refusal.for, 'load');
  assert.match(refusal.message, /nodes\[0\]\.kind/);
  assert.deepEqual(await frameIds(frame2), ['users', 'web']);
  assert.equal(await frame2.getByTestId('app-ready').getAttribute('data-ignored-messages'), '0');
  assert.ok((await types()).includes('metrics'));
  assert.deepEqual(friend.errors, []);
  await friend.context.close();
});

test('an embedded design is read-only unless edit=1, but runs, takes traffic and faults', async () => {
  // The user's own design in the full page, autosaved.
  const full = await open(base, { viewport: { width: 900, height: 600 } });
  await ready(full.page);
  await full.page.getByTestId('node-db').click();
  await full.page.keyboard.press('Delete');
  await full.page.waitForFunction(() => !document.querySelector('g[data-node="db"]'));

  // An embed in the same browser: the starter, read-only.
  const { page, errors, context } = full;
  await page.goto(`${site.baseUrl}${base}?embed=1`);
  await running(page);
  const ids = await nodeIds(page);
  assert.deepEqual(ids, ['db', 'lb', 'users', 'web-1', 'web-2'], 'an embed does not open the autosave');
  assert.equal(await page.getByTestId('palette-users').count(), 0, 'no palette');
  await screenshot(page, 'embed-900x600');

  await page.getByTestId('node-web-2').click();
  await page.keyboard.press('Delete');
  assert.match(await notice(page), /read-only: open it in Scale Lab to change it/);
  assert.deepEqual(await nodeIds(page), ids);
  assert.ok(await page.getByTestId('field-size').isDisabled(), 'the inspector does not look editable');
  assert.equal(await page.getByTestId('delete-node').isVisible(), false);
  // In a 900 px frame the inspector opened over the diagram: fold it away.
  await page.getByTestId('drawer-toggle').click();
  // Dragging a node does not move it.
  const box = await page.getByTestId('node-web-2').boundingBox();
  const where = await page.getByTestId('node-web-2').getAttribute('transform');
  await page.mouse.move(box.x + 30, box.y + 30);
  await page.mouse.down();
  await page.mouse.move(box.x + 130, box.y + 90, { steps: 5 });
  await page.mouse.up();
  assert.equal(await page.getByTestId('node-web-2').getAttribute('transform'), where);
  // Pasting and undoing are refused the same way.
  await page.getByTestId('notice').getByRole('button', { name: 'Dismiss' }).click();
  await page.keyboard.press('Control+c');
  await page.keyboard.press('Control+v');
  assert.match(await notice(page), /read-only/);
  assert.deepEqual(await nodeIds(page), ids);

  // Faults, the traffic dial and the run controls still work. (web-2 is
  // still selected, and its inspector was folded away above: open its tab.)
  await page.getByTestId('node-web-2').click();
  await showTab(page, 'tab-inspect');
  await page.getByTestId('fault-fail').click();
  assert.match(await notice(page), /web-2 failed/);
  const traffic = await text(page, 'traffic-value');
  await page.getByTestId('traffic').evaluate((el) => {
    el.value = '650';
    el.dispatchEvent(new Event('change', { bubbles: true }));
  });
  await page.waitForFunction((t) => document.querySelector('[data-testid="traffic-value"]').textContent !== t, traffic);
  await page.getByTestId('play-toggle').click();
  assert.equal(await text(page, 'play-toggle'), 'Play');
  await choose(page, 'reset');
  assert.deepEqual(await nodeIds(page), ids);
  await screenshot(page, 'embed-900x600-read-only');

  // With edit=1 (and the palette asked for) the reader may change it.
  await page.goto(`${site.baseUrl}${base}?embed=1&edit=1&palette=1`);
  await ready(page);
  await page.getByTestId('node-web-2').click();
  await page.keyboard.press('Delete');
  await page.waitForFunction(() => !document.querySelector('g[data-node="web-2"]'));
  await page.getByTestId('palette-cache').focus();
  await page.keyboard.press('Enter');
  await page.locator('g[data-node="cache-1"]').waitFor();

  // None of this touched the user's own design.
  await page.goto(`${site.baseUrl}${base}`);
  await ready(page);
  assert.ok(!(await nodeIds(page)).includes('db'), 'the full page still shows the autosaved design');
  assert.deepEqual(errors, []);
  await context.close();
});

test('at 640x480 the embedded layout still shows the diagram, the controls and the numbers', async () => {
  const { page, errors, context } = await open(`${base}?embed=1`, { viewport: { width: 640, height: 480 } });
  await running(page);
  for (const id of ['play-toggle', 'traffic', 'open-full', 'metric-p99', 'node-web-1']) {
    const b = await page.getByTestId(id).boundingBox();
    assert.ok(b && b.width > 0 && b.x >= 0 && b.x + b.width <= 641, `${id} is on screen: ${JSON.stringify(b)}`);
  }
  await screenshot(page, 'embed-640x480');
  assert.deepEqual(errors, []);
  await context.close();
});

test('Copy embed code gives an iframe for this design (or lesson) and copies it', async () => {
  const { page, errors, context } = await open(base, { permissions: ['clipboard-read', 'clipboard-write'] });
  await ready(page);
  await page.getByTestId('node-web-2').click();
  await page.keyboard.press('Delete');
  await page.waitForFunction(() => !document.querySelector('g[data-node="web-2"]'));
  await choose(page, 'embed-code');
  const snippet = () => page.getByTestId('embed-snippet').inputValue();
  const first = await snippet();
  const prefix = `<iframe src="${site.baseUrl}${base}?embed=1#s=`;
  assert.ok(first.startsWith(prefix), first);
  assert.match(first, /title="Scale Lab: Two web servers and a database" width="900" height="600" loading="lazy"/);
  await page.getByTestId('embed-edit').check();
  assert.ok((await snippet()).startsWith(`<iframe src="${site.baseUrl}${base}?embed=1&amp;edit=1#s=`), 'attribute values are escaped');
  await page.getByTestId('embed-edit').uncheck();
  await page.getByTestId('copy-embed').click();
  await page.waitForFunction(() => /Embed code copied/.test(document.querySelector('[data-testid="notice"]')?.textContent ?? ''));
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), first);
  await screenshot(page, 'embed-code-dialog');
  // Without the course page's address, the dialog says who hears the frame,
  // and what the messages are.
  const dialog = page.getByTestId('embed-dialog');
  assert.match(await text(page, 'embed-origin-note'), /a page on another domain receives nothing until its address is given here/);
  assert.ok((await text(page, 'embed-origin-note')).includes(`only a page on ${site.baseUrl} hears from it`));
  assert.match(await text(page, 'embed-messages'), /"ready" when the playground has loaded.*"metrics" once a second.*goal's progress.*"ack" or "error"/);
  // A page's whole address gives its origin, encoded, in the frame's address.
  const field = page.getByTestId('embed-origin');
  await field.fill('https://Course.Example.edu/week3?unit=2#top');
  await page.keyboard.press('Tab');
  assert.ok((await snippet()).startsWith(`${prefix.replace('?embed=1#s=', '?embed=1&amp;origin=https%3A%2F%2Fcourse.example.edu#s=')}`), await snippet());
  assert.match(await text(page, 'embed-origin-note'), /Messages go to pages on https:\/\/course\.example\.edu /);
  // Anything but an http(s) address is refused in words, and not copied.
  await field.fill('ftp://files.example.edu/week3');
  await page.keyboard.press('Tab');
  assert.match(await dialog.getByRole('alert').textContent(), /only http and https pages can receive messages/);
  assert.equal(await field.getAttribute('aria-invalid'), 'true');
  assert.ok(await page.getByTestId('copy-embed').isDisabled(), 'no copying with a wrong address');
  assert.equal(await snippet(), first, 'the snippet has no origin from it');
  await screenshot(page, 'embed-code-dialog-bad-origin');
  await field.fill('');
  assert.equal(await snippet(), first);
  assert.equal(await dialog.getByRole('alert').count(), 0);
  // The course page on another origin: given its address, the snippet's frame
  // sends it ready and metrics, and shows no note.
  await field.fill(`${foreign.origin}/course/week3`);
  const forCourse = (await snippet()).match(/src="([^"]*)"/)[1].replace(/&amp;/g, '&');
  assert.ok(forCourse.includes(`&origin=${encodeURIComponent(foreign.origin)}#s=`), forCourse);
  await page.keyboard.press('Escape');
  await page.getByTestId('embed-dialog').waitFor({ state: 'detached' });
  const course = await open(null);
  await course.page.goto(`${foreign.origin}/host?src=${encodeURIComponent(forCourse)}`);
  await course.page.waitForFunction(() => window.got.some((g) => g.data.type === 'ready') && window.got.some((g) => g.data.type === 'metrics'), null, { timeout: 60000 });
  assert.deepEqual(await course.page.frameLocator('iframe').locator('g[data-node]').evaluateAll((els) => els.map((e) => e.dataset.node).sort()), ['db', 'lb', 'users', 'web-1']);
  assert.equal(await course.page.frameLocator('iframe').getByTestId('origin-note').count(), 0);
  assert.deepEqual(course.errors, []);
  await course.context.close();

  // The snippet's address opens this design, embedded.
  const src = first.match(/src="([^"]*)"/)[1].replace(/&amp;/g, '&');
  const other = await open(src.slice(site.baseUrl.length));
  await ready(other.page);
  assert.deepEqual(await nodeIds(other.page), ['db', 'lb', 'users', 'web-1']);
  assert.equal(await other.page.locator('.app.embed.read-only').count(), 1);
  assert.deepEqual(other.errors, []);
  await other.context.close();

  // A lesson is embedded by its number (once the lesson is open in the page).
  await page.goto(`${site.baseUrl}${base}?lesson=2`);
  await ready(page);
  await choose(page, 'embed-code');
  const heading = await page.getByTestId('embed-dialog').locator('h2').textContent();
  if (/lesson/.test(heading)) {
    assert.ok((await snippet()).startsWith(`<iframe src="${site.baseUrl}${base}?lesson=2&amp;embed=1"`), await snippet());
    assert.match(await snippet(), /title="Scale Lab: lesson 2"/);
  } else {
    assert.ok((await snippet()).startsWith(prefix));
  }
  assert.deepEqual(errors, []);
  await context.close();
});
