// The steps the lesson-goal tests share (lesson_goals*.test.js): the lessons
// are split over two files so that the two test workers run them side by side.
import assert from 'node:assert/strict';
import { screenshot, text, simUntil } from './harness.js';

/** Opens lesson `n` from its link on `site`, running at the fastest speed. */
export async function openLesson(site, n) {
  const opened = await site.openPage(`/?lesson=${n}`);
  const { page } = opened;
  await page.getByTestId('app-ready').waitFor({ timeout: 60000 });
  await page.getByTestId('lesson-panel').waitFor();
  assert.match(await text(page, 'lesson-title'), new RegExp(`^${n}\\. `));
  // The checks appear with the first numbers the running lesson publishes.
  await page.getByTestId('goal-check').first().waitFor({ timeout: 60000 });
  await page.getByTestId('speed').selectOption('100');
  return opened;
}

/**
 * Deadlines in wall time for what is judged in simulated time. At 100x a
 * frame gets 30 ms of engine work, so a busy machine (or a heavy lesson) runs
 * far slower than 100 simulated seconds a second; every wait below is on the
 * simulated clock or on the goal itself, and these only bound how long.
 */
export const RUN_MS = 600000;

/** Waits until the simulation clock reaches `s` seconds. */
export const runUntil = (page, s) => simUntil(page, s, RUN_MS);

export async function selectNode(page, id) {
  await page.getByTestId(`node-${id}`).click();
  await page.getByTestId('node-panel').waitFor();
}

export async function failNode(page, id) {
  await selectNode(page, id);
  await page.getByTestId('fault-fail').click();
}

export async function recoverNode(page, id) {
  await selectNode(page, id);
  await page.getByTestId('fault-recover').click();
}

/**
 * An outage drill: fails `id`, leaves it down until the drill has measured
 * the errors (five whole seconds, from a second after the one it failed in)
 * and says they are as expected, then recovers it. The wait is on the
 * engine's verdict, since the clock on screen is read a snapshot late.
 */
export async function failAndRecover(page, id) {
  await failNode(page, id);
  await page.waitForFunction(
    () => {
      const d = document.querySelector('[data-testid="goal-drill"]');
      return d && (d.dataset.state === 'failed' || /as expected/.test(d.textContent));
    },
    null,
    { timeout: RUN_MS, polling: 250 },
  );
  assert.equal(await drillState(page), 'running');
  assert.match(await page.getByTestId('goal-drill').first().textContent(), /as expected: now recover it/);
  await recoverNode(page, id);
}

/** Types a number into a field of node `id`'s inspector, as a learner does. */
export async function setField(page, id, field, value) {
  await selectNode(page, id);
  await page.getByTestId(`field-${field}`).fill(String(value));
  await page.getByTestId(`field-${field}`).press('Enter');
}

export async function setSize(page, id, size) {
  await selectNode(page, id);
  await page.getByTestId('field-size').selectOption(size);
}

export async function goalMet(page, timeout = RUN_MS) {
  await page.getByTestId('goal-met').waitFor({ timeout });
}

/** The checks pass, and the goal waits for the learner's drill. */
export async function goalWaitsForDrill(page) {
  assert.equal(await page.getByTestId('goal-met').count(), 0, 'the goal must not be met');
  const checks = await page.getByTestId('goal-check').count();
  assert.equal(await page.locator('[data-testid="goal-check"][data-passing="true"]').count(), checks, 'every check passes');
  assert.equal(await drillState(page), 'not_tried');
}

/** The goal has not been met, and some check or drill says why. */
export async function goalNotMet(page) {
  assert.equal(await page.getByTestId('goal-met').count(), 0, 'the goal must not be met');
  const failing = await page.locator('[data-testid="goal-check"][data-passing="false"], [data-testid="goal-drill"][data-state="failed"]').count();
  assert.ok(failing > 0, 'a check or drill shows what falls short');
}

export async function drillState(page) {
  return page.getByTestId('goal-drill').first().getAttribute('data-state');
}

export async function finish(page, errors, context, name) {
  await screenshot(page, name);
  assert.deepEqual(errors, []);
  await context.close();
}
