// Completions for a course page, across two origins: the course page
// (public/course-host.html) on http://localhost:PORT embeds lesson 6 from the
// playground on http://127.0.0.1:PORT, which lists the course page's origin in
// `?origin=`. The learner makes the lesson's change inside the frame, the
// engine meets the goal, and the course page records `goal-met` with the goal
// panel's figures and a share link that opens the same design; Undo takes the
// goal back and `goal-lost` is recorded. A page on an origin that is not listed
// receives nothing, though the goal is met in its frame too.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { startSite, screenshot, simUntil, choose } from './harness.js';
import { RUN_MS } from './lesson_goal_steps.js';

let site;
let stranger;
before(async () => {
  site = await startSite();
  stranger = await startStrangerServer();
});
after(async () => {
  await site?.close();
  stranger?.close();
});

/** A page on yet another origin that frames `?src=` and keeps every message it receives in `window.got`. */
function startStrangerServer() {
  return new Promise((ok) => {
    const server = createServer((req, res) => {
      const url = new URL(req.url, 'http://x');
      const attr = (url.searchParams.get('src') ?? '').replace(/&/g, '&amp;').replace(/"/g, '&quot;');
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!DOCTYPE html><html><head><link rel="icon" href="data:,"><title>Not listed</title></head><body>
<script>window.got = []; addEventListener('message', (e) => got.push({ origin: e.origin, data: e.data }));</script>
<iframe src="${attr}" width="1000" height="600"></iframe></body></html>`);
    });
    server.listen(0, '127.0.0.1', () => ok({ origin: `http://127.0.0.1:${server.address().port}`, close: () => server.close() }));
  });
}

const LESSON = 6;

/** The embedded lesson's frame once its app is up and its goal panel shows checks. */
async function lessonFrame(page) {
  const handle = await page.waitForSelector('iframe', { timeout: 60000 });
  const frame = await handle.contentFrame();
  await frame.getByTestId('app-ready').waitFor({ timeout: 60000 });
  return frame;
}

/** Lesson 6's change, made as a learner makes it: a cache big enough for the hot keys. */
async function growTheCache(frame) {
  await frame.getByTestId('node-cache').click();
  const field = frame.getByTestId('field-capacity');
  if (!(await field.isVisible())) await frame.getByTestId('tab-inspect').click();
  await field.fill('200000');
  await field.press('Enter');
}

/** The goal panel's rows in the frame: each check's words and value, as shown. */
async function panelChecks(frame) {
  const tab = frame.getByTestId('tab-lesson');
  if ((await tab.count()) && (await tab.getAttribute('aria-selected')) !== 'true') await tab.click();
  await frame.getByTestId('goal-check').first().waitFor();
  return frame.getByTestId('goal-check').evaluateAll((rows) =>
    rows.map((r) => ({
      name: r.querySelector('.goal-label').textContent,
      value_text: r.querySelector('.goal-value').textContent,
      passing: r.dataset.passing === 'true',
    })),
  );
}

/**
 * The course page on http://localhost:PORT (another origin than the
 * playground's 127.0.0.1), asked for `query` (`lesson=6`, `blueprint=NAME`)
 * from this site's playground, with its console errors collected and its
 * frame's app up.
 */
async function openCourse(query) {
  const hostOrigin = `http://localhost:${new URL(site.baseUrl).port}`;
  const host = await site.browser.newContext({ viewport: { width: 1280, height: 1100 } });
  const page = await host.newPage();
  const errors = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => errors.push(`page: ${e.message}`));
  await page.goto(`${hostOrigin}/public/course-host.html?${query}&playground=${encodeURIComponent(`${site.baseUrl}/`)}`);
  return { hostOrigin, host, page, errors, frame: await lessonFrame(page) };
}

test('a course page on another origin records goal-met with the engine figures and a working link, then goal-lost', async () => {
  const { hostOrigin, host, page, errors, frame } = await openCourse(`lesson=${LESSON}`);
  const src = new URL(frame.url());
  assert.equal(src.origin, site.baseUrl, 'the lesson comes from the other origin');
  assert.equal(src.searchParams.get('origin'), hostOrigin, 'and lists the course page');
  assert.equal(src.searchParams.get('lesson'), String(LESSON));
  await page.waitForFunction(() => /is ready/.test(document.querySelector('[data-field="status"]').textContent), null, { timeout: 60000 });
  const rows = page.locator('[data-testid="completions"] tbody tr[data-type]');
  await simUntil(frame, 12, RUN_MS);
  assert.equal(await rows.count(), 0, 'nothing recorded before the goal is met');

  await growTheCache(frame);
  // The engine meets the goal after 30 s of passing windows; the host hears it.
  await rows.first().waitFor({ timeout: RUN_MS });
  // Hold the frame still within the window whose figures met the goal (the
  // next window closes 10 simulated seconds later; at 1x that is 10 s of wall time).
  await frame.getByTestId('play-toggle').click();
  const met = await page.evaluate(() => window.scaleLabCompletions.at(-1));
  assert.equal(met.type, 'goal-met');
  assert.equal(met.lesson, LESSON);
  assert.equal(met.example, null);
  const shownAt = Number((await frame.getByTestId('sim-time').textContent()).match(/[\d.]+/)[0]);
  assert.ok(shownAt < met.met_at_s + 10, `paused at ${shownAt} s, within the window that met the goal at ${met.met_at_s} s`);
  const banner = await frame.getByTestId('goal-met').textContent();
  assert.ok(banner.includes(`t = ${met.met_at_s} s`), `${banner} against met_at_s ${met.met_at_s}`);
  assert.ok(Math.abs(Date.parse(met.at) - Date.now()) < 120000, `wall time ${met.at}`);
  // The figures are the goal panel's, check by check.
  const panel = await panelChecks(frame);
  assert.deepEqual(
    met.checks.map(({ name, value_text, passing }) => ({ name, value_text, passing })),
    panel,
  );
  assert.equal(panel.length, 5);
  const hit = met.checks.find((c) => c.metric === 'hit_ratio');
  assert.equal(hit.above, 0.6);
  assert.ok(hit.value >= 0.6 && hit.value <= 1, JSON.stringify(hit));
  // The host's row shows them.
  const row = rows.first();
  const cells = await row.locator('td').allTextContents();
  assert.equal(cells[0], `Lesson ${LESSON}`);
  assert.equal(cells[1], 'Goal met');
  assert.equal(cells[2], `met at t = ${met.met_at_s} s`);
  for (const c of panel) assert.ok(cells[4].includes(`${c.name}: ${c.value_text}`), `${c.name} in ${cells[4]}`);
  await screenshot(page, 'course-host-completion');

  // The share link opens the design that met the goal: the cache as grown.
  const href = await row.getByRole('link', { name: 'Open the design' }).getAttribute('href');
  assert.ok(href.startsWith(`${site.baseUrl}/#s=`), href);
  const shared = await site.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const view = await shared.newPage();
  await view.goto(href);
  await view.getByTestId('app-ready').waitFor({ timeout: 60000 });
  await view.getByTestId('node-cache').click();
  await view.getByTestId('field-capacity').waitFor();
  assert.equal(Number((await view.getByTestId('field-capacity').inputValue()).replace(/[^\d]/g, '')), 200000);
  const frameIds = await frame.locator('g[data-node]').evaluateAll((els) => els.map((e) => e.dataset.node).sort());
  assert.deepEqual(await view.locator('g[data-node]').evaluateAll((els) => els.map((e) => e.dataset.node).sort()), frameIds);
  await shared.close();

  // Undo in the frame: the cache is small again, the engine starts the goal over.
  await frame.getByTestId('play-toggle').click();
  await choose(frame, 'undo');
  await rows.nth(1).waitFor({ timeout: 60000 });
  const lost = await page.evaluate(() => window.scaleLabCompletions.at(-1));
  assert.equal(lost.type, 'goal-lost');
  assert.equal(lost.lesson, LESSON);
  assert.equal(lost.met_at_s, met.met_at_s, 'names the meeting it takes back');
  assert.equal(await rows.nth(1).getAttribute('data-type'), 'goal-lost');
  assert.match(await rows.nth(1).locator('td').nth(1).textContent(), /Goal lost/);
  assert.equal(await frame.getByTestId('goal-met').count(), 0, 'the frame no longer says met');
  assert.equal((await page.evaluate(() => window.scaleLabCompletions)).length, 2, 'one met, one lost');
  await screenshot(page, 'course-host-lost');
  assert.deepEqual(errors, []);
  await host.close();
});

test('a page whose origin is not listed receives nothing, though the goal is met in its frame', async () => {
  const context = await site.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  // The frame lists another origin (the course page's), not this page's.
  const src = `${site.baseUrl}/?lesson=${LESSON}&embed=1&edit=1&origin=${encodeURIComponent(`http://localhost:${new URL(site.baseUrl).port}`)}`;
  await page.goto(`${stranger.origin}/?src=${encodeURIComponent(src)}`);
  const frame = await lessonFrame(page);
  await simUntil(frame, 12, RUN_MS);
  await growTheCache(frame);
  await frame.getByTestId('goal-met').waitFor({ timeout: RUN_MS });
  // Give a message time to arrive: the frame runs on a while (at 1x, wall seconds).
  await simUntil(frame, Number((await frame.getByTestId('sim-time').textContent()).match(/[\d.]+/)[0]) + 2, RUN_MS);
  assert.deepEqual(await page.evaluate(() => window.got), [], 'no message to a page that is not listed');
  await context.close();
});

test('a course page embedding a blueprint records its goal-met under the blueprint\'s name', async () => {
  // The URL shortener meets its goal as shipped (blueprints/README.md): left
  // alone at 100x, the frame tells the course page which blueprint it was.
  const { host, page, errors, frame } = await openCourse('blueprint=url-shortener');
  const src = new URL(frame.url());
  assert.equal(src.searchParams.get('blueprint'), 'url-shortener');
  assert.equal(src.searchParams.get('lesson'), null, 'a blueprint instead of a lesson');
  await frame.getByTestId('speed').selectOption('100');
  const rows = page.locator('[data-testid="completions"] tbody tr[data-type]');
  await rows.first().waitFor({ timeout: RUN_MS });
  const met = await page.evaluate(() => window.scaleLabCompletions.at(-1));
  assert.equal(met.type, 'goal-met');
  assert.deepEqual([met.lesson, met.example, met.blueprint], [null, null, 'url-shortener']);
  assert.equal(met.name, 'URL shortener');
  assert.ok(met.checks.length > 0 && met.checks.every((c) => c.passing), JSON.stringify(met.checks));
  assert.match((await rows.first().locator('td').allTextContents())[0], /^Blueprint url-shortener$/);
  assert.deepEqual(errors, []);
  await host.close();
});
