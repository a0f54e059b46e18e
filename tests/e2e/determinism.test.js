// Same scenario + same seed = same numbers, natively and in the browser: the
// report computed by the wasm build in Chromium must equal the native CLI's,
// field for field (except wall_ms, the only measured quantity).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSite, repoRoot } from './harness.js';

let site;
before(async () => {
  site = await startSite();
});
after(async () => {
  await site?.close();
});

const cli = process.env.SCALELAB_CLI || join(repoRoot, 'target', 'release', 'scalelab');

for (const name of ['design-example', 'determinism-mixed']) {
  test(`browser and native reports agree on ${name}`, async () => {
    const file = join(repoRoot, 'engine', 'scenarios', `${name}.json`);
    const json = readFileSync(file, 'utf8');
    const native = JSON.parse(execFileSync(cli, ['run', file], { encoding: 'utf8' }));
    const { page, errors, context } = await site.openPage('/');
    await page.waitForFunction(() => window.wasmBindings !== undefined, null, { timeout: 60000 });
    const browserText = await page.evaluate((j) => window.wasmBindings.run_scenario_report(j), json);
    const browser = JSON.parse(browserText);
    assert.ok(native.events > 100000, `a real run: ${native.events} events`);
    delete native.wall_ms;
    delete browser.wall_ms;
    assert.deepEqual(browser, native);
    assert.deepEqual(errors, []);
    await context.close();
  });
}
