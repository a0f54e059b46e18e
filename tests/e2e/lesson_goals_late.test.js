// Each lesson's goal in the browser, lessons 10 to 13 (see lesson_goals.test.js).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startSite, simTime, repoRoot } from './harness.js';
import { openLesson as openOn, runUntil, selectNode, setSize, failAndRecover, goalMet, goalNotMet, goalWaitsForDrill, drillState, finish } from './lesson_goal_steps.js';

let site;
before(async () => {
  site = await startSite();
});
after(async () => {
  await site?.close();
});

const openLesson = (n) => openOn(site, n);

test('lesson 10: the backlog grows until the photo workers get bigger machines', async () => {
  const { page, errors, context } = await openLesson(10);
  await runUntil(page, 40);
  await goalNotMet(page);
  await setSize(page, 'photo-workers', '16xlarge');
  await goalMet(page);
  await finish(page, errors, context, 'lesson-10-met');
});

test('lesson 11: the backlog alert fires once the learner slows down the photo workers', async () => {
  const { page, errors, context } = await openLesson(11);
  await runUntil(page, 60);
  await goalWaitsForDrill(page);
  await selectNode(page, 'photo-workers');
  await page.getByTestId('fault-slow').click();
  await goalMet(page);
  assert.equal(await drillState(page), 'passed');
  await finish(page, errors, context, 'lesson-11-met');
});

test('lesson 12: four shards keep the busiest database under 70%, and a failed shard hurts only its users', async () => {
  const { page, errors, context } = await openLesson(12);
  await runUntil(page, 50);
  await goalWaitsForDrill(page);
  await failAndRecover(page, 'shard-2');
  await goalMet(page);
  assert.equal(await drillState(page), 'passed');
  await finish(page, errors, context, 'lesson-12-met');
});

test('lesson 13: the starting design falls short; a design that meets the challenge passes', async () => {
  const { page, errors, context } = await openLesson(13);
  await runUntil(page, 30);
  await goalNotMet(page);
  await page.getByTestId('file-input').setInputFiles(join(repoRoot, 'lessons', 'solutions', '13-one-solution.json'));
  await goalMet(page);
  assert.ok((await simTime(page)) >= 60, 'the checks held for a minute');
  await finish(page, errors, context, 'lesson-13-met');
});
