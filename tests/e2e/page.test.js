// The first page, used the way a person uses it: open it, watch the numbers,
// pause, turn the traffic up.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSite, screenshot, text, numberIn } from './harness.js';

let site;
before(async () => {
  site = await startSite();
});
after(async () => {
  await site?.close();
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test('the page boots, shows live engine numbers, pauses, and reacts to traffic', async () => {
  const { page, errors, context } = await site.openPage('/');
  await page.getByTestId('app-ready').waitFor({ timeout: 20000 });

  // Numbers appear (the first snapshot comes after a quarter of a second).
  await page.waitForFunction(() => document.querySelector('[data-testid="metric-p99"]')?.textContent.includes('ms'), null, { timeout: 10000 });
  const t1 = await text(page, 'sim-time');
  const rps1 = numberIn(await text(page, 'metric-rps'));
  assert.ok(rps1 > 0, `requests/s shown: ${rps1}`);
  assert.match(await text(page, 'metric-p50'), /ms$/);
  assert.match(await text(page, 'metric-errors'), /%/);
  for (const id of ['web-1', 'web-2', 'db']) {
    const util = numberIn(await text(page, `util-${id}`));
    assert.ok(util >= 0 && util <= 100, `${id} utilisation ${util}`);
  }

  // They change while playing.
  await sleep(1200);
  const t2 = await text(page, 'sim-time');
  assert.notEqual(t2, t1, 'simulated time advances while playing');

  // They stop changing when paused.
  await page.getByTestId('play-toggle').click();
  assert.equal(await text(page, 'play-toggle'), 'Play');
  await sleep(400); // let a snapshot that was already due land
  const frozen = await page.locator('.app').innerText();
  await sleep(1200);
  assert.equal(await page.locator('.app').innerText(), frozen, 'nothing changes while paused');

  // Raising the traffic raises the utilisation shown.
  await page.getByTestId('play-toggle').click();
  await sleep(2500);
  const utilBefore = numberIn(await text(page, 'util-web-1')) + numberIn(await text(page, 'util-web-2'));
  const slider = page.getByTestId('traffic');
  await slider.focus();
  for (let i = 0; i < 120; i++) await page.keyboard.press('ArrowRight');
  const shown = numberIn(await text(page, 'traffic-value'));
  assert.ok(shown > 300, `traffic raised to ${shown} requests/s`);
  await sleep(3000);
  const utilAfter = numberIn(await text(page, 'util-web-1')) + numberIn(await text(page, 'util-web-2'));
  assert.ok(utilAfter > utilBefore * 1.3, `utilisation rose from ${utilBefore} to ${utilAfter}`);

  await screenshot(page, 'first-page-light');
  assert.deepEqual(errors, []);
  await context.close();
});

test('dark mode renders the same page with the dark palette', async () => {
  const { page, errors, context } = await site.openPage('/', { colorScheme: 'dark' });
  await page.getByTestId('app-ready').waitFor({ timeout: 20000 });
  await page.waitForFunction(() => document.querySelector('[data-testid="metric-p99"]')?.textContent.includes('ms'), null, { timeout: 10000 });
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(bg, 'rgb(18, 21, 27)');
  await screenshot(page, 'first-page-dark');
  assert.deepEqual(errors, []);
  await context.close();
});
