// Smoke test: the release build boots in headless Chromium, renders the
// element the app shows once it is ready, and logs no error on the way.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSite, screenshot } from './harness.js';

let site;
before(async () => {
  site = await startSite();
});
after(async () => {
  await site?.close();
});

test('the page boots without errors', async () => {
  const { page, errors, context } = await site.openPage('/');
  await page.getByTestId('app-ready').waitFor({ state: 'attached', timeout: 60000 });
  assert.equal(await page.title(), 'Scale Lab');
  // The wasm exports are reachable from page scripts (trunk sets window.wasmBindings).
  assert.equal(await page.evaluate(() => typeof window.wasmBindings), 'object');
  await screenshot(page, 'smoke');
  assert.deepEqual(errors, []);
  await context.close();
});
