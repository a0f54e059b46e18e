// The back-of-the-envelope panel, used as a person uses it: open it, type
// numbers, read the estimate and the simulation's numbers beside it.
// Selectors are the data-testids listed in src/panels/envelope_panel.rs; the
// arithmetic and the messages are the engine's (engine/src/analysis/envelope.rs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startSite, screenshotDir, text, numberIn, openRunning, simUntil, frames, choose } from './harness.js';

let site;
before(async () => {
  site = await startSite();
});
after(async () => {
  await site?.close();
});

const shot = (page, name) => page.screenshot({ path: join(screenshotDir, `${name}.png`) });

async function openPanel(page) {
  await choose(page, 'envelope-button');
  await page.getByTestId('envelope-panel').waitFor();
}

/** Replaces a field's text the way a person does: select all, type. */
async function type(page, field, value) {
  const input = page.getByTestId(`env-${field}`);
  await input.click();
  await input.press('Control+a');
  if (value === '') await input.press('Backspace');
  else await input.pressSequentially(value);
}

const value = (page, field) => page.getByTestId(`env-${field}`).inputValue();

test('typed numbers give the estimate by the right arithmetic', async () => {
  const { page, errors, context } = await openRunning(site);
  await openPanel(page);
  await type(page, 'daily-users', '8640000');
  await type(page, 'requests-per-user', '10');
  await type(page, 'peak-factor', '3');
  await type(page, 'write-share', '0.1');
  await type(page, 'bytes-per-write', '1000');
  await type(page, 'bytes-per-response', '10000');
  await type(page, 'retention-years', '5');
  // 8,640,000 users x 10 requests / 86,400 s = 1,000/s; at the peak x3.
  assert.equal(await text(page, 'env-average-rps'), '1,000/s');
  assert.equal(await text(page, 'env-peak-rps'), '3,000/s');
  // A tenth of them write, 1 kB each: 8.64 GB a day, 15.8 TB in five years.
  assert.equal(await text(page, 'env-writes'), '100/s');
  assert.equal(await text(page, 'env-storage-day'), '8.64 GB');
  assert.equal(await text(page, 'env-storage-total'), '15.8 TB');
  // 3,000 responses of 10 kB a second: 240 Mbit/s.
  assert.equal(await text(page, 'env-bandwidth'), '240 Mbit/s');
  // Thousands separators and a percent are read as meant; the text stays as typed.
  await type(page, 'daily-users', '86,400,000');
  await type(page, 'write-share', '20%');
  assert.equal(await value(page, 'daily-users'), '86,400,000');
  assert.equal(await text(page, 'env-average-rps'), '10,000/s');
  assert.equal(await text(page, 'env-writes'), '2,000/s');
  await shot(page, 'envelope-1280x800');
  assert.deepEqual(errors, []);
  await context.close();
});

test('bad input shows the engine\'s message beside the field, keeps the text, and shows no estimate', async () => {
  const { page, errors, context } = await openRunning(site);
  await openPanel(page);
  assert.equal(await text(page, 'env-error-daily-users'), '');
  const cases = [
    ['daily-users', '', /^daily users: must be a number from 0 to 10000000000$/],
    ['daily-users', '-5', /^daily users: must be a number from 0 to/],
    ['daily-users', '1e11', /^daily users: must be a number from 0 to/],
    ['daily-users', 'NaN', /^daily users: must be a number/],
    ['daily-users', 'lots', /^daily users: must be a number/],
    ['peak-factor', '0.5', /^peak factor: must be a number from 1 to 100$/],
    ['write-share', '150%', /^write share: must be a number from 0 to 1$/],
    ['retention-years', 'forever', /^retention in years: must be a number from 0 to 100$/],
  ];
  for (const [field, typed, message] of cases) {
    await type(page, field, typed);
    assert.match(await text(page, `env-error-${field}`), message, `${field} = "${typed}"`);
    assert.equal(await value(page, field), typed, 'the typed text stays');
    assert.equal(await page.getByTestId(`env-${field}`).getAttribute('aria-invalid'), 'true');
    for (const id of ['env-average-rps', 'env-peak-rps', 'env-writes', 'env-storage-day', 'env-storage-total', 'env-bandwidth']) {
      assert.equal(await text(page, id), '–', `${id} shows no number while ${field} is "${typed}"`);
    }
  }
  // Several bad fields at once: each says so.
  assert.notEqual(await text(page, 'env-error-daily-users'), '');
  assert.notEqual(await text(page, 'env-error-peak-factor'), '');
  assert.notEqual(await text(page, 'env-error-retention-years'), '');
  await shot(page, 'envelope-errors');
  // Fixed, the messages go and the estimate comes back.
  await type(page, 'daily-users', '8640000');
  await type(page, 'peak-factor', '2');
  await type(page, 'write-share', '0.1');
  await type(page, 'retention-years', '1');
  for (const f of ['daily-users', 'peak-factor', 'write-share', 'retention-years']) assert.equal(await text(page, `env-error-${f}`), '');
  assert.match(await text(page, 'env-peak-rps'), /^[\d,]+\/s$/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('it starts from the design on screen, and the simulated requests/s beside it are the dashboard\'s', async () => {
  const { page, errors, context } = await openRunning(site);
  await openPanel(page);
  // The starter design's users send 300 requests/s, a tenth of them writes:
  // 30,000 daily users with the default habits (432 a day, peak x2).
  assert.equal(await value(page, 'daily-users'), '30,000');
  assert.equal(await value(page, 'requests-per-user'), '432');
  assert.equal(await value(page, 'peak-factor'), '2');
  assert.equal(await value(page, 'write-share'), '0.1');
  assert.equal(await text(page, 'env-peak-rps'), '300/s');
  assert.equal(await text(page, 'env-design-rps'), '300');
  // What the simulation measures, next to the estimate: the same reading as
  // the dashboard's Requests/s, over the same window (the last five whole
  // simulated seconds), read paused so both show one snapshot.
  await simUntil(page, 11);
  await page.getByTestId('play-toggle').click();
  assert.equal(await text(page, 'play-toggle'), 'Play');
  await frames(page, 5);
  const [mine, dashboard] = await page.evaluate(() => [
    document.querySelector('[data-testid="env-sim-rps"]').textContent,
    document.querySelector('[data-testid="metric-rps"]').textContent,
  ]);
  assert.equal(mine, dashboard, 'the panel and the dashboard show one figure');
  // Five seconds of random arrivals at 300/s: 1,500 ± 39 requests, so the
  // rate is 300 ± 7.7/s; 60 is almost eight standard deviations.
  assert.ok(Math.abs(numberIn(mine) - 300) < 60, `about the design's 300/s: ${mine}`);
  await page.getByTestId('play-toggle').click();
  // Once typed in, the fields are the user's; "From the design" fills them again.
  await type(page, 'daily-users', '1000');
  await page.getByTestId('reset').click();
  assert.equal(await value(page, 'daily-users'), '1000');
  await page.getByTestId('env-from-design').click();
  assert.equal(await value(page, 'daily-users'), '30,000');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a lesson\'s users fill the fields in; the panel fits 900 x 600; an embedded frame has no Estimate button', async () => {
  const { page, errors, context } = await site.openPage('/?lesson=5', { viewport: { width: 900, height: 600 } });
  await page.getByTestId('app-ready').waitFor({ timeout: 60000 });
  await openPanel(page);
  assert.equal(await value(page, 'daily-users'), '500,000');
  assert.equal(await value(page, 'write-share'), '0.05');
  // 500,000 x 432 / 86,400 = 2,500/s; the lesson runs at the peak, 5,000/s.
  assert.equal(await text(page, 'env-average-rps'), '2,500/s');
  assert.equal(await text(page, 'env-peak-rps'), '5,000/s');
  assert.equal(await text(page, 'env-design-rps'), '5,000');
  const box = await page.getByTestId('envelope-panel').boundingBox();
  const bar = await page.locator('.toolbar').boundingBox();
  assert.ok(box.x >= 0 && box.x + box.width <= 900 && box.y >= bar.y + bar.height && box.y + box.height <= 600, JSON.stringify(box));
  assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= 900);
  // Every field can be reached and typed in (the panel scrolls inside).
  await type(page, 'retention-years', '2');
  assert.equal(await value(page, 'retention-years'), '2');
  await shot(page, 'envelope-900x600');
  // Only one tool panel at a time: opening the report closes the estimate.
  await choose(page, 'resilience-button');
  await page.getByTestId('envelope-panel').waitFor({ state: 'detached' });
  await page.getByTestId('resilience-panel').waitFor();
  assert.deepEqual(errors, []);
  await context.close();

  const embedded = await site.openPage('/?lesson=4&embed=1', { viewport: { width: 900, height: 600 } });
  await embedded.page.getByTestId('app-ready').waitFor({ timeout: 60000 });
  assert.equal(await embedded.page.getByTestId('envelope-button').count(), 0);
  assert.deepEqual(embedded.errors, []);
  await embedded.context.close();
});
