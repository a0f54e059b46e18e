// The guided lessons in the page: the list, each lesson's text and live goal,
// `?lesson=N`, the before/after table, progress kept across reloads, and
// blocked storage. Selectors are the data-testids listed in src/panels/lesson_panel.rs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startSite, screenshot, screenshotDir, text, nodeIds, repoRoot, choose, showTab, openReady } from './harness.js';
import { failAndRecover } from './lesson_goal_steps.js';

let site;
before(async () => {
  site = await startSite();
});
after(async () => {
  await site?.close();
});

const lessonDir = join(repoRoot, 'lessons');
/** Lesson n's scenario and title, read from lessons/. */
function lessonFiles(n) {
  const prefix = `${String(n).padStart(2, '0')}-`;
  const json = readdirSync(lessonDir).find((f) => f.startsWith(prefix) && f.endsWith('.json'));
  const scenario = JSON.parse(readFileSync(join(lessonDir, json), 'utf8'));
  const md = readFileSync(join(lessonDir, json.replace(/\.json$/, '.md')), 'utf8');
  return { scenario, title: md.split('\n')[0].replace(/^# /, '') };
}

const open = (path, options) => openReady(site, path, options);

/** Blocks localStorage the way a third-party frame does: reading it throws. */
async function blockedContext(viewport = { width: 1280, height: 800 }) {
  const context = await site.browser.newContext({ viewport });
  await context.addInitScript(() => {
    Object.defineProperty(window, 'localStorage', {
      get() {
        throw new DOMException('Access is denied for this document.', 'SecurityError');
      },
    });
  });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  return { context, page, errors };
}

const sorted = (a) => [...a].sort();

/** A screenshot of the window as seen (the panel scrolls inside it). */
async function shot(page, name) {
  await page.screenshot({ path: join(screenshotDir, `${name}.png`) });
}

test('every lesson loads from the list with its title, text, changes and goal checks', async () => {
  const { page, errors, context } = await open('/');
  assert.equal(await page.getByTestId('lesson-panel').count(), 0, 'the panel starts closed');
  await choose(page, 'lessons-button');
  await page.getByTestId('lesson-list').waitFor();
  await screenshot(page, 'lessons-list');
  for (let n = 1; n <= 16; n++) {
    const { scenario, title } = lessonFiles(n);
    if ((await page.getByTestId('lesson-list').count()) === 0) await page.getByTestId('lesson-all').click();
    await page.getByTestId(`lesson-item-${n}`).click();
    await page.waitForFunction((t) => document.querySelector('[data-testid="lesson-title"]')?.textContent === t, title);
    assert.equal(await text(page, 'lesson-title'), title);
    assert.ok((await text(page, 'lesson-text')).length > 200, `lesson ${n} explains`);
    assert.deepEqual(await nodeIds(page), sorted(scenario.nodes.map((x) => x.id)), `lesson ${n}'s design is on the diagram`);
    if (n > 1) assert.match(await text(page, 'lesson-changes'), new RegExp(`What changed from step ${n - 1}`));
    else assert.equal(await page.getByTestId('lesson-changes').count(), 0);
    assert.ok((await page.locator('.lesson-try li').count()) >= 2, `lesson ${n} has things to try`);
    await page.getByTestId('goal-check').first().waitFor({ timeout: 60000 });
    assert.equal(await page.getByTestId('goal-check').count(), scenario.goal.checks.length, `lesson ${n}: one row per check`);
    assert.equal(await page.getByTestId('goal-drill').count(), (scenario.goal.drills ?? []).length, `lesson ${n}: one row per drill`);
    for (const p of await page.getByTestId('goal-check').evaluateAll((els) => els.map((e) => e.dataset.passing))) {
      assert.ok(p === 'true' || p === 'false');
    }
    assert.equal(await page.getByTestId('lesson-prev').isDisabled(), n === 1);
    assert.equal(await page.getByTestId('lesson-next').isDisabled(), n === 16);
    if (n === 4) await screenshot(page, 'lesson-4');
    if (n === 13) {
      await page.getByTestId('lesson-goal').scrollIntoViewIfNeeded();
      await shot(page, 'lesson-13-goal');
    }
  }
  // The list marks the open lesson.
  await page.getByTestId('lesson-all').click();
  assert.equal(await page.getByTestId('lesson-item-16').getAttribute('aria-current'), 'true');
  assert.deepEqual(errors, []);
  await context.close();
});

test('?lesson=5 opens lesson 5; Prev and Next move between lessons; New leaves it', async () => {
  const { page, errors, context } = await open('/?lesson=5');
  await page.getByTestId('lesson-panel').waitFor();
  assert.equal(await text(page, 'lesson-title'), lessonFiles(5).title);
  assert.deepEqual(await nodeIds(page), sorted(lessonFiles(5).scenario.nodes.map((x) => x.id)));
  assert.equal(await page.getByTestId('lessons-button').getAttribute('aria-expanded'), 'true');
  await page.getByTestId('lesson-next').click();
  await page.waitForFunction(() => /^6\. /.test(document.querySelector('[data-testid="lesson-title"]')?.textContent ?? ''));
  assert.ok((await nodeIds(page)).includes('cache'));
  await page.getByTestId('lesson-prev').click();
  await page.waitForFunction(() => /^5\. /.test(document.querySelector('[data-testid="lesson-title"]')?.textContent ?? ''));
  // Editing the lesson's design keeps the lesson open.
  await page.getByTestId('node-web-3').click();
  await page.keyboard.press('Delete');
  await page.waitForFunction(() => !document.querySelector('g[data-node="web-3"]'));
  assert.equal(await page.getByTestId('lesson-title').count(), 1, 'an edited lesson design is still the lesson');
  // A new empty diagram is not the lesson any more: the panel lists the lessons.
  await choose(page, 'new-diagram');
  await page.getByTestId('lesson-list').waitFor();
  assert.equal(await page.getByTestId('lesson-item-5').getAttribute('aria-current'), null);
  // Undo brings the lesson design back; the lesson can be opened again from the list.
  await page.getByTestId('lesson-item-5').click();
  await page.getByTestId('lesson-title').waitFor();
  // Closing the panel and opening it again.
  await page.getByTestId('lesson-close').click();
  await page.getByTestId('lesson-panel').waitFor({ state: 'detached' });
  await choose(page, 'lessons-button');
  await page.getByTestId('lesson-title').waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

test('the before/after table fills with numbers from the engine', async () => {
  const { page, errors, context } = await open('/?lesson=3');
  const table = page.getByTestId('before-after');
  await table.waitFor();
  assert.match(await table.textContent(), /Step 2 design/);
  // Measured in the engine's worker: a busy machine takes longer.
  await page.waitForFunction(() => document.querySelector('[data-testid="before-after"]')?.dataset.state === 'done', null, { timeout: 300000, polling: 250 });
  const cells = await page.locator('[data-testid="ba-before"], [data-testid="ba-after"]').allTextContents();
  const checks = lessonFiles(3).scenario.goal.checks.length;
  assert.equal(cells.length, 2 * checks);
  for (const c of cells) assert.match(c, /\d/, `a measured value: "${c}"`);
  // The step 2 design cannot carry step 3's traffic: some check fails before.
  assert.ok((await page.locator('[data-testid="ba-before"].failing').count()) > 0);
  // The page stayed live while measuring. (A live window in which no request
  // finished shows "–", so look at the next ones too.)
  await page.waitForFunction(() => /ms/.test(document.querySelector('[data-testid="metric-p99"]')?.textContent ?? ''));
  assert.match(await text(page, 'metric-p99'), /ms/);
  await table.scrollIntoViewIfNeeded();
  await shot(page, 'lesson-3-before-after');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a met goal completes the lesson, and progress survives a reload', async () => {
  const { page, errors, context } = await open('/?lesson=1');
  await page.getByTestId('goal-check').first().waitFor({ timeout: 60000 });
  await page.getByTestId('speed').selectOption('100');
  // The goal needs the learner: fail the server, see every request fail, recover it.
  await failAndRecover(page, 'server');
  await page.getByTestId('goal-met').waitFor({ timeout: 300000 });
  assert.match(await text(page, 'goal-met'), /Goal met at t = \d+ s/);
  await page.waitForFunction(() => /"completed":\[1\]/.test(localStorage.getItem('scalelab.lessons') ?? ''));
  await page.getByTestId('goal-met').scrollIntoViewIfNeeded();
  await shot(page, 'lesson-1-met');
  // Reload without ?lesson: the autosaved lesson design comes back with its lesson open.
  await page.goto(`${site.baseUrl}/`);
  await page.getByTestId('app-ready').waitFor({ timeout: 60000 });
  await page.getByTestId('lesson-panel').waitFor();
  assert.equal(await text(page, 'lesson-title'), lessonFiles(1).title);
  await page.getByTestId('lesson-all').click();
  assert.equal(await page.getByTestId('lesson-item-1').getAttribute('data-completed'), 'true');
  assert.equal(await page.getByTestId('lesson-item-2').getAttribute('data-completed'), 'false');
  assert.match(await page.getByTestId('lesson-item-1').textContent(), /✓/);
  // A damaged stored value is empty progress, not a broken page.
  await page.evaluate(() => localStorage.setItem('scalelab.lessons', '{"v":1,"completed":'));
  await page.reload();
  await page.getByTestId('app-ready').waitFor({ timeout: 60000 });
  await choose(page, 'lessons-button');
  await page.getByTestId('lesson-list').waitFor();
  assert.equal(await page.getByTestId('lesson-item-1').getAttribute('data-completed'), 'false');
  assert.deepEqual(errors, []);
  await context.close();
});

test('blocked storage: one notice says so, and the lessons still work', async () => {
  const { page, errors, context } = await blockedContext();
  await page.goto(`${site.baseUrl}/?lesson=2`);
  await page.getByTestId('app-ready').waitFor({ timeout: 60000 });
  await page.getByTestId('lesson-panel').waitFor();
  assert.equal(await page.getByTestId('notice').count(), 1);
  const message = await text(page, 'notice');
  assert.match(message, /autosave is off/);
  assert.match(message, /lesson progress will not be remembered/);
  await page.getByTestId('speed').selectOption('100');
  await failAndRecover(page, 'db');
  await page.getByTestId('goal-met').waitFor({ timeout: 300000 });
  await page.getByTestId('lesson-all').click();
  assert.equal(await page.getByTestId('lesson-item-2').getAttribute('data-completed'), 'true', 'remembered for this visit');
  assert.equal(await page.getByTestId('notice').count() <= 1, true);
  assert.deepEqual(errors, []);
  await context.close();

  // An embedded lesson in a frame without storage: no autosave there, so the
  // lesson's own notice says it, once.
  const framed = await blockedContext({ width: 900, height: 600 });
  await framed.page.goto(`${site.baseUrl}/?embed=1&lesson=4`);
  await framed.page.getByTestId('app-ready').waitFor({ timeout: 60000 });
  // Below 1000 px the lesson waits folded in the drawer (its goal is in the strip).
  await showTab(framed.page, 'tab-lesson');
  await framed.page.getByTestId('lesson-panel').waitFor();
  await framed.page.getByTestId('goal-check').first().waitFor({ timeout: 60000 });
  assert.equal(await framed.page.getByTestId('notice').count(), 1);
  assert.match(await text(framed.page, 'notice'), /Lesson progress will not be remembered/);
  await framed.page.getByTestId('lesson-next').click();
  await framed.page.waitForFunction(() => /^5\. /.test(document.querySelector('[data-testid="lesson-title"]')?.textContent ?? ''));
  assert.ok((await framed.page.getByTestId('notice').count()) <= 1);
  await shot(framed.page, 'lesson-embed-900x600');
  assert.deepEqual(framed.errors, []);
  await framed.context.close();
});
