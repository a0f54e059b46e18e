// Each lesson's goal in the browser, judged by the engine: open the lesson by
// its link, see that the untouched preset has not met its goal (a check falls
// short, or the checks pass and a drill waits), make the change the lesson
// teaches through the page (a bigger machine or cache, a failed node, a node
// failed and recovered, more workers, a whole design opened from a file), and
// watch the goal turn to met. The native test
// engine/tests/integration/lesson_goals.rs runs the same plans after leaving
// each preset alone for five simulated minutes. Lessons 1 to 9 here, 10 to 13
// in lesson_goals_late.test.js.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSite, simTime, showTab } from './harness.js';
import {
  openLesson as openOn,
  RUN_MS,
  runUntil,
  selectNode,
  failNode,
  failAndRecover,
  setField,
  setSize,
  goalMet,
  goalNotMet,
  goalWaitsForDrill,
  drillState,
  finish,
} from './lesson_goal_steps.js';

let site;
before(async () => {
  site = await startSite();
});
after(async () => {
  await site?.close();
});

const openLesson = (n) => openOn(site, n);

test('lessons 1 and 2: the goal waits until the learner fails the server (the database) and recovers it', async () => {
  for (const [n, id] of [
    [1, 'server'],
    [2, 'db'],
  ]) {
    const { page, errors, context } = await openLesson(n);
    await runUntil(page, 80);
    await goalWaitsForDrill(page);
    await failAndRecover(page, id);
    await goalMet(page);
    assert.equal(await drillState(page), 'passed');
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
  assert.equal(await drillState(page), 'not_tried');
  assert.equal(await page.getByTestId('goal-met').count(), 0, 'the goal waits for the drill');
  await failNode(page, 'primary');
  await goalMet(page);
  await finish(page, errors, context, 'lesson-5-met');
});

test('lessons 6 and 7: the cache and the CDN meet their hit ratios once they are big enough', async () => {
  for (const [n, id, capacity] of [
    [6, 'cache', 200000],
    [7, 'cdn', 100000],
  ]) {
    const { page, errors, context } = await openLesson(n);
    await runUntil(page, 40);
    await goalNotMet(page);
    const hit = page.locator('[data-testid="goal-check"]', { hasText: 'hit ratio' });
    assert.equal(await hit.getAttribute('data-passing'), 'false', 'the hit ratio falls short');
    await setField(page, id, 'capacity', capacity);
    await goalMet(page);
    await finish(page, errors, context, `lesson-${n}-met`);
  }
});

test('lesson 8: a failed web group loses no shared sessions', async () => {
  const { page, errors, context } = await openLesson(8);
  await runUntil(page, 45);
  assert.equal(await drillState(page), 'not_tried');
  assert.equal(await page.getByTestId('goal-met').count(), 0, 'the goal waits for the drill');
  await failNode(page, 'web-a');
  await goalMet(page);
  await finish(page, errors, context, 'lesson-8-met');
});

test('lesson 9: Europe cannot carry everyone until its session store and replica grow', async () => {
  // As given: the outage of east never settles.
  {
    const { page, errors, context } = await openLesson(9);
    await runUntil(page, 45);
    await page.getByTestId('diagram').click({ position: { x: 5, y: 5 } });
    // The design's overview (data centers) is the Inspect tab's, beside the lesson.
    await showTab(page, 'tab-inspect');
    await page.getByTestId('dc-fail-east').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="goal-drill"]')?.dataset.state === 'failed', null, { timeout: RUN_MS, polling: 250 });
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
  // The design's overview (data centers) is the Inspect tab's, beside the lesson.
  await showTab(page, 'tab-inspect');
  await page.getByTestId('dc-fail-east').click();
  await goalMet(page);
  await finish(page, errors, context, 'lesson-9-met');
});
