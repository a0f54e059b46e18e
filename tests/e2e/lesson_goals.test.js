// Each lesson's goal in the browser, judged by the engine: open the lesson by
// its link, make the change the lesson teaches through the page (a bigger
// machine, a failed node, more workers, a whole design opened from a file), and
// watch the goal turn to met; where the lesson says its preset falls short,
// the untouched preset does not pass. The native test
// engine/tests/integration/lesson_goals.rs runs the same plans.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startSite, screenshot, text, numberIn, repoRoot } from './harness.js';

let site;
before(async () => {
  site = await startSite();
});
after(async () => {
  await site?.close();
});

/** Opens lesson `n` from its link, running at the fastest speed. */
async function openLesson(n) {
  const opened = await site.openPage(`/?lesson=${n}`);
  const { page } = opened;
  await page.getByTestId('app-ready').waitFor({ timeout: 20000 });
  await page.getByTestId('lesson-panel').waitFor({ timeout: 10000 });
  assert.match(await text(page, 'lesson-title'), new RegExp(`^${n}\\. `));
  await page.getByTestId('goal-check').first().waitFor({ timeout: 10000 });
  await page.getByTestId('speed').selectOption('100');
  return opened;
}

const simTime = async (page) => numberIn(await text(page, 'sim-time'));

/** Waits until the simulation clock reaches `s` seconds. */
async function runUntil(page, s, timeout = 120000) {
  await page.waitForFunction(
    (t) => Number((document.querySelector('[data-testid="sim-time"]')?.textContent ?? '').replace(/[^\d.]/g, '')) >= t,
    s,
    { timeout, polling: 200 },
  );
}

async function selectNode(page, id) {
  await page.getByTestId(`node-${id}`).click();
  await page.getByTestId('node-panel').waitFor();
}

async function failNode(page, id) {
  await selectNode(page, id);
  await page.getByTestId('fault-fail').click();
}

async function setSize(page, id, size) {
  await selectNode(page, id);
  await page.getByTestId('field-size').selectOption(size);
}

async function goalMet(page, timeout = 120000) {
  await page.getByTestId('goal-met').waitFor({ timeout });
}

/** The goal has not been met, and some check or drill says why. */
async function goalNotMet(page) {
  assert.equal(await page.getByTestId('goal-met').count(), 0, 'the goal must not be met');
  const failing = await page.locator('[data-testid="goal-check"][data-passing="false"], [data-testid="goal-drill"][data-state="failed"]').count();
  assert.ok(failing > 0, 'a check or drill shows what falls short');
}

async function drillState(page) {
  return page.getByTestId('goal-drill').first().getAttribute('data-state');
}

async function finish(page, errors, context, name) {
  await screenshot(page, name);
  assert.deepEqual(errors, []);
  await context.close();
}

test('lessons 1 and 2 meet their goals as given', async () => {
  for (const n of [1, 2]) {
    const { page, errors, context } = await openLesson(n);
    await goalMet(page, 60000);
    const checks = await page.getByTestId('goal-check').count();
    assert.equal(await page.locator('[data-testid="goal-check"][data-passing="true"]').count(), checks);
    await finish(page, errors, context, `lesson-${n}-met`);
  }
});

test('lesson 3: the preset server is overloaded until a bigger machine is chosen', async () => {
  const { page, errors, context } = await openLesson(3);
  await runUntil(page, 40);
  await goalNotMet(page);
  await setSize(page, 'web', '2xlarge');
  await goalMet(page);
  await finish(page, errors, context, 'lesson-3-met');
});

test('lesson 4: failing web-1 shows the balancer routing around it', async () => {
  const { page, errors, context } = await openLesson(4);
  await runUntil(page, 45);
  assert.equal(await drillState(page), 'not_tried');
  assert.equal(await page.getByTestId('goal-met').count(), 0, 'the goal waits for the drill');
  await failNode(page, 'web-1');
  await goalMet(page);
  assert.equal(await drillState(page), 'passed');
  await finish(page, errors, context, 'lesson-4-met');
});

test('lesson 5: failing the primary promotes a replica with few lost writes', async () => {
  const { page, errors, context } = await openLesson(5);
  await runUntil(page, 45);
  await failNode(page, 'primary');
  await goalMet(page);
  await finish(page, errors, context, 'lesson-5-met');
});

test('lessons 6 and 7: the cache and the CDN meet their hit ratios', async () => {
  for (const n of [6, 7]) {
    const { page, errors, context } = await openLesson(n);
    await goalMet(page);
    await finish(page, errors, context, `lesson-${n}-met`);
  }
});

test('lesson 8: a failed web group loses no shared sessions', async () => {
  const { page, errors, context } = await openLesson(8);
  await runUntil(page, 45);
  await failNode(page, 'web-a');
  await goalMet(page, 180000);
  await finish(page, errors, context, 'lesson-8-met');
});

test('lesson 9: Europe cannot carry everyone until its session store and replica grow', async () => {
  // As given: the outage of east never settles.
  {
    const { page, errors, context } = await openLesson(9);
    await runUntil(page, 45);
    await page.getByTestId('diagram').click({ position: { x: 5, y: 5 } });
    await page.getByTestId('dc-fail-east').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="goal-drill"]')?.dataset.state === 'failed', null, { timeout: 180000, polling: 250 });
    await goalNotMet(page);
    await finish(page, errors, context, 'lesson-9-not-met');
  }
  const { page, errors, context } = await openLesson(9);
  await selectNode(page, 'sessions-eu');
  await page.getByTestId('field-partitions').fill('8');
  await page.getByTestId('field-partitions').press('Enter');
  await setSize(page, 'replica-eu', '16xlarge');
  const changedAt = await simTime(page);
  await runUntil(page, changedAt + 45);
  await page.getByTestId('diagram').click({ position: { x: 5, y: 5 } });
  await page.getByTestId('dc-fail-east').click();
  await goalMet(page, 180000);
  await finish(page, errors, context, 'lesson-9-met');
});

test('lesson 10: the backlog grows until the photo workers get bigger machines', async () => {
  const { page, errors, context } = await openLesson(10);
  await runUntil(page, 40);
  await goalNotMet(page);
  await setSize(page, 'photo-workers', '16xlarge');
  await goalMet(page);
  await finish(page, errors, context, 'lesson-10-met');
});

test('lesson 11: the backlog alert fires during the scripted slowdown', async () => {
  const { page, errors, context } = await openLesson(11);
  await goalMet(page, 180000);
  assert.equal(await drillState(page), 'passed');
  await finish(page, errors, context, 'lesson-11-met');
});

test('lesson 12: four shards keep the busiest database under 70%', async () => {
  const { page, errors, context } = await openLesson(12);
  await goalMet(page);
  await finish(page, errors, context, 'lesson-12-met');
});

test('lesson 13: the starting design falls short; a design that meets the challenge passes', async () => {
  const { page, errors, context } = await openLesson(13);
  await runUntil(page, 30);
  await goalNotMet(page);
  await page.getByTestId('file-input').setInputFiles(join(repoRoot, 'lessons', 'solutions', '13-one-solution.json'));
  await goalMet(page, 180000);
  assert.ok((await simTime(page)) >= 60, 'the checks held for a minute');
  await finish(page, errors, context, 'lesson-13-met');
});
