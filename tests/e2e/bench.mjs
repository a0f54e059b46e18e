// Browser half of `cargo xtask bench`: runs each scenario file given on the
// command line in the release wasm build, in headless Chromium, and prints one
// JSON line per file with the events per second (median of BENCH_REPEATS runs).
// `FILE@SECONDS` runs the file with its duration_s set to SECONDS (the design
// unchanged), as the native `scalelab-bench run FILE --duration SECONDS` does.
// The timing is taken inside the page around one synchronous engine call, so it
// measures the engine, not the test harness.
import { readFileSync } from 'node:fs';
import { startSite } from './harness.js';

const files = process.argv.slice(2);
const repeats = Number(process.env.BENCH_REPEATS || 3);
const site = await startSite();
try {
  const { page, errors } = await site.openPage('/');
  await page.waitForFunction(() => window.wasmBindings !== undefined, null, { timeout: 30000 });
  // Pause the live page so its animation frames do not share the main thread.
  await page.getByTestId('play-toggle').click();
  for (const arg of files) {
    const [file, duration] = arg.split('@');
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    if (duration) doc.duration_s = Number(duration);
    const json = JSON.stringify(doc);
    const rates = [];
    for (let i = 0; i < repeats; i++) {
      const { events, ms } = await page.evaluate((j) => {
        const t0 = performance.now();
        const events = window.wasmBindings.run_scenario_events(j);
        return { events, ms: performance.now() - t0 };
      }, json);
      rates.push(events / (ms / 1000));
    }
    rates.sort((a, b) => a - b);
    console.log(JSON.stringify({ file: arg, events_per_s: rates[Math.floor(rates.length / 2)], runs: rates }));
  }
  if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
} finally {
  await site.close();
}
