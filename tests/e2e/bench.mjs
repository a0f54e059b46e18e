// Browser half of `cargo xtask bench`: runs each scenario file given on the
// command line in the release wasm build, in headless Chromium, and prints one
// JSON line per file with the events per second (median of BENCH_REPEATS runs).
// `FILE@SECONDS` runs the file with its duration_s set to SECONDS (the design
// unchanged), as the native `scalelab-bench run FILE --duration SECONDS` does.
// Each run is a report job in the page's engine worker (where the live run and
// every report run), timed in the page from sending the job to hearing the
// report: the engine's run, and one message each way.
import { readFileSync } from 'node:fs';
import { reportsInWorker, startSite } from './harness.js';

const files = process.argv.slice(2);
const repeats = Number(process.env.BENCH_REPEATS || 3);
const site = await startSite();
try {
  const { page, errors } = await site.openPage('/');
  // Pause the live page so its own worker does not share the cores.
  await page.getByTestId('play-toggle').click();
  for (const arg of files) {
    const [file, duration] = arg.split('@');
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    if (duration) doc.duration_s = Number(duration);
    const json = JSON.stringify(doc);
    const runs = await reportsInWorker(page, Array.from({ length: repeats }, () => json));
    const rates = runs.map(({ text, ms }) => JSON.parse(text).events / (ms / 1000));
    rates.sort((a, b) => a - b);
    console.log(JSON.stringify({ file: arg, events_per_s: rates[Math.floor(rates.length / 2)], runs: rates }));
  }
  if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
} finally {
  await site.close();
}
