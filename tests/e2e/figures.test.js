// One figure, one value: every live figure covers the same window (the last
// whole simulated seconds, said on screen), so wherever the page shows a
// figure it shows the same number. Read paused, so every place shows one
// snapshot.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSite, screenshot, text, numberIn, simUntil, frames, sel, choose, showCharts } from './harness.js';

let site;
before(async () => {
  site = await startSite();
});
after(async () => {
  await site?.close();
});

/** Whether a number shown rounded (`shown`, as text) is `exact` rounded:
 *  within half a unit of its last digit. */
function agrees(shown, exact) {
  const t = shown.replace(/,/g, '').match(/-?\d+(\.(\d+))?/);
  const digits = t[2]?.length ?? 0;
  return Math.abs(Number(t[0]) - exact) <= 0.5 * 10 ** -digits + 1e-9;
}

test('one figure reads the same wherever the page shows it', async () => {
  const { page, errors, context } = await site.openPage('/?lesson=9');
  await page.getByTestId('app-ready').waitFor({ timeout: 60000 });
  await showCharts(page);
  await simUntil(page, 12);
  await page.getByTestId('play-toggle').click();
  await frames(page, 10);
  const window = await text(page, 'metrics-window');
  assert.match(window, /last 5 s/, 'the dashboard says which window its figures cover');

  // Requests/s sent: the card, the users node, and the users' wires together.
  const card = numberIn(await text(page, 'metric-rps'));
  const usersNode = (await page.locator(`${sel('node-users')} .node-kind`).textContent()).trim();
  assert.match(usersNode, /\/s$/);
  assert.equal(numberIn(usersNode), card, `users node ${usersNode} against the card ${card}`);
  await choose(page, 'animation-toggle');
  // Zoomed out to fit, boxes draw compact and wire labels give way: zoom in
  // until they are written, as a person would to read them.
  for (let i = 0; i < 12 && !(await page.locator('.flow-label').first().isVisible()); i++) await page.getByRole('button', { name: 'Zoom in' }).click();
  await page.locator('.flow-label').first().waitFor();
  const wires = await page.$$eval('g.link[data-testid^="link-users-"] .flow-label', (els) => els.map((e) => e.textContent.trim()));
  assert.ok(wires.length >= 1);
  const wireSum = wires.reduce((s, w) => s + numberIn(w), 0);
  // Each wire's label is rounded on its own.
  assert.ok(Math.abs(wireSum - card) <= wires.length * 0.5 + 1e-9, `users' wires ${wires.join(' + ')} against the card ${card}`);
  assert.match(await text(page, 'sampling'), /numbers: last 5 s$/);
  await page.getByTestId('fit').click();

  // Requests ended: the users node's throughput in the inspector is the sum
  // of the regions table, and the errors card's failures per second are
  // the sum of the errors by cause.
  await page.getByTestId('node-users').click();
  await page.getByTestId('live-throughput').waitFor();
  assert.match(await text(page, 'node-live-window'), /last 5 s/);
  const ended = numberIn(await text(page, 'live-throughput'));
  const regions = await page.$$eval('[data-testid="regions"] tbody tr td:nth-child(2)', (els) => els.map((e) => e.textContent.trim()));
  assert.ok(regions.length >= 2, `the regions table: ${regions}`);
  const regionSum = regions.reduce((s, r) => s + numberIn(r), 0);
  assert.ok(Math.abs(regionSum - ended) <= (regions.length + 1) * 0.5, `regions ${regions.join(' + ')} against the users' ${ended}/s`);
  const errorsCard = await text(page, 'metric-errors');
  const failedPerS = numberIn(errorsCard.split('(')[1]);
  const causes = await page.$$eval('[data-testid="errors-by-cause"] li.active span:last-child', (els) => els.map((e) => e.textContent.trim()));
  const causeSum = causes.reduce((s, c) => s + numberIn(c), 0);
  assert.ok(Math.abs(causeSum - failedPerS) <= (causes.length + 1) * 0.5, `causes ${causes.join(' + ')} against ${errorsCard}`);
  if (failedPerS === 0) assert.match(await text(page, 'errors-by-cause'), /^None in the last 5 s$/);
  await screenshot(page, 'figures-paused');
  assert.deepEqual(errors, []);
  await context.close();
});

test('before the first whole second no rate is shown, and the page says why', async () => {
  const { page, errors, context } = await site.openPage('/?lesson=1');
  await page.getByTestId('app-ready').waitFor({ timeout: 60000 });
  await showCharts(page);
  // Paused and reset to the start, then stepped 0.1 s at a time.
  await page.getByTestId('play-toggle').click();
  assert.equal(await page.getByTestId('play-toggle').textContent(), 'Play');
  await page.getByTestId('reset').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="sim-time"]').textContent === 't = 0.0 s');
  for (let i = 0; i < 5; i++) await page.getByTestId('step').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="sim-time"]').textContent === 't = 0.5 s');
  assert.equal(await text(page, 'metric-rps'), '–');
  assert.equal(await text(page, 'metric-p99'), '–');
  assert.equal(await text(page, 'metrics-window'), 'none yet');
  assert.match(await page.getByTestId('metrics-window').getAttribute('title'), /none until the first simulated second ends/);
  assert.match(await text(page, 'dashboard'), /Requests, goodput, latency and errors: none until the first simulated second ends/);
  for (let i = 0; i < 7; i++) await page.getByTestId('step').click();
  await page.waitForFunction(() => /t = 1\.[2-9]/.test(document.querySelector('[data-testid="sim-time"]').textContent));
  assert.notEqual(await text(page, 'metric-rps'), '–');
  assert.match(await text(page, 'metrics-window'), /last 1 s/);
  assert.deepEqual(errors, []);
  await context.close();
});
