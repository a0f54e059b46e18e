// Each overload lesson's goal in the browser, lessons 14 to 16 (see
// lesson_goals.test.js): the preset falls short, and the change the lesson
// teaches, made in the inspector as a learner makes it, meets the goal.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSite, simTime, simUntil, text } from './harness.js';
import { openLesson as openOn, runUntil, selectNode, setField, goalMet, goalNotMet, goalWaitsForDrill, drillState, finish, RUN_MS } from './lesson_goal_steps.js';

let site;
before(async () => {
  site = await startSite();
});
after(async () => {
  await site?.close();
});

const openLesson = (n) => openOn(site, n);

test('lesson 14: a server failing one request in five costs goodput until the users retry, with a budget', async () => {
  const { page, errors, context } = await openLesson(14);
  await runUntil(page, 30);
  await goalNotMet(page);
  // Paused while the policy is put together, as a learner may: retries alone
  // already meet the checks (web-3 fails one in five of a third of the
  // requests), and a goal met brings the lesson to the front, over the
  // inspector. At 100x on a busy machine that came between two clicks.
  await page.getByTestId('play-toggle').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="play-toggle"]').getAttribute('aria-pressed') === 'false');
  await selectNode(page, 'users');
  await page.getByTestId('field-retry').check();
  await setField(page, 'users', 'retry-max_attempts', 3);
  await page.getByTestId('field-retry-budget').check();
  await page.getByTestId('field-retry-budget-tokens').waitFor();
  await page.getByTestId('play-toggle').click();
  await goalMet(page);
  await finish(page, errors, context, 'lesson-14-met');
});

/** Slows the database 4x for 10 s from its inspector, as the drill asks. */
async function spikeDb(page) {
  await selectNode(page, 'db');
  await page.getByTestId('fault-spike-factor').fill('4');
  await page.getByTestId('fault-spike-seconds').fill('10');
  await page.getByTestId('fault-spike').click();
}

test('lesson 15: a 10 s slowdown of the database leaves it overloaded for good until the retries have a budget', async () => {
  const { page, errors, context } = await openLesson(15);
  await runUntil(page, 20);
  await goalWaitsForDrill(page);
  // The storm: the drill sees the database back to speed, and goodput stays down.
  await spikeDb(page);
  await page.waitForFunction(() => document.querySelector('[data-testid="goal-drill"]')?.dataset.state === 'failed', null, { timeout: RUN_MS, polling: 250 });
  assert.match(await text(page, 'goal-drill'), /goodput still/);
  // Retries within a budget end it; a second slowdown is survived.
  await selectNode(page, 'users');
  await page.getByTestId('field-retry-budget').check();
  await page.getByTestId('field-retry-budget-tokens').waitFor();
  await simUntil(page, (await simTime(page)) + 30, RUN_MS);
  await spikeDb(page);
  await goalMet(page);
  assert.equal(await drillState(page), 'passed');
  await finish(page, errors, context, 'lesson-15-met');
});

test('lesson 16: twice the traffic the database can serve gives no goodput until the limiter lets in what it can serve', async () => {
  const { page, errors, context } = await openLesson(16);
  await runUntil(page, 30);
  await goalNotMet(page);
  await setField(page, 'limiter', 'rate_rps', 1000);
  await goalMet(page);
  await finish(page, errors, context, 'lesson-16-met');
});
