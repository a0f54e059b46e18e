// Same scenario + same seed = same numbers, natively and in the browser: the
// report computed by the wasm build in Chromium must equal the native CLI's,
// field for field (except wall_ms, the only measured quantity). That holds for
// the page's own module and for the engine's worker (worker/), which is spoken
// to here in its own protocol (engine/src/analysis/job.rs), as the page does.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

/** A report's text from the browser equals the CLI's report, but for wall_ms. */
function assertSameReport(browserText, native) {
  const browser = JSON.parse(browserText);
  assert.ok(native.events > 100000, `a real run: ${native.events} events`);
  delete native.wall_ms;
  delete browser.wall_ms;
  assert.deepEqual(browser, native);
}

for (const name of ['design-example', 'determinism-mixed']) {
  test(`browser and native reports agree on ${name}`, async () => {
    const file = join(repoRoot, 'engine', 'scenarios', `${name}.json`);
    const json = readFileSync(file, 'utf8');
    const native = JSON.parse(execFileSync(cli, ['run', file], { encoding: 'utf8' }));
    const { page, errors, context } = await site.openPage('/');
    await page.waitForFunction(() => window.wasmBindings !== undefined, null, { timeout: 60000 });
    assertSameReport(await page.evaluate((j) => window.wasmBindings.run_scenario_report(j), json), native);
    assert.deepEqual(errors, []);
    await context.close();
  });
}

/**
 * Runs one job in the engine's worker, started from the page as the page
 * starts it, and returns its answer (progress replies are counted).
 */
async function inWorker(page, job) {
  return page.evaluate(
    (job) =>
      new Promise((resolve, reject) => {
        const worker = new Worker(new URL('scalelab-worker_loader.js', document.baseURI));
        let working = 0;
        worker.onerror = (e) => reject(new Error(`the worker stopped: ${e.message}`));
        worker.onmessage = (m) => {
          const reply = JSON.parse(m.data);
          if (reply.reply === 'ready') worker.postMessage(JSON.stringify(job));
          else if (reply.reply === 'working') working += 1;
          else {
            worker.terminate();
            resolve({ reply, working });
          }
        };
      }),
    job,
  );
}

test('the engine worker\'s report equals the CLI\'s', async () => {
  const file = join(repoRoot, 'engine', 'scenarios', 'determinism-mixed.json');
  const native = JSON.parse(execFileSync(cli, ['run', file], { encoding: 'utf8' }));
  const { page, errors, context } = await site.openPage('/');
  const { reply } = await inWorker(page, { job: 'report', scenario: readFileSync(file, 'utf8') });
  assert.equal(reply.reply, 'report', JSON.stringify(reply));
  assertSameReport(reply.text, native);
  assert.deepEqual(errors, []);
  await context.close();
});

test('the engine worker\'s resilience report equals the CLI\'s, on lesson 5 and on a design with data centers', async () => {
  // The global site blueprint at a tenth of its users: three data centers
  // (so trials of kind "data center"), small enough to run twice here.
  const global = JSON.parse(readFileSync(join(repoRoot, 'blueprints', 'global-site.json'), 'utf8'));
  global.nodes.find((n) => n.kind === 'users').dau /= 10;
  const small = join(mkdtempSync(join(tmpdir(), 'scalelab-det-')), 'global-small.json');
  writeFileSync(small, JSON.stringify(global));
  const { page, errors, context } = await site.openPage('/');
  for (const file of [join(repoRoot, 'lessons', '05-database-replication.json'), small]) {
    const native = JSON.parse(execFileSync(cli, ['resilience', file], { encoding: 'utf8' }));
    const { reply, working } = await inWorker(page, { job: 'resilience', scenario: readFileSync(file, 'utf8') });
    assert.equal(reply.reply, 'resilience', JSON.stringify(reply));
    assert.ok(working >= 2, `progress was reported along the way (${working} replies)`);
    assert.ok(native.trials.length >= 8, `a real report: ${native.trials.length} trials`);
    assert.deepEqual(reply.report, native);
  }
  const kinds = (await inWorker(page, { job: 'resilience', scenario: JSON.stringify(global) })).reply.report.trials.map((t) => t.kind);
  assert.ok(kinds.includes('data center') && kinds.includes('load_balancer'), kinds.join(', '));
  // A document the engine refuses comes back as words, not as a stuck worker.
  const { reply } = await inWorker(page, { job: 'resilience', scenario: '{"version": 1}' });
  assert.equal(reply.reply, 'failed');
  assert.match(reply.message, /^the design was refused: /);
  assert.deepEqual(errors, []);
  await context.close();
});

test('the engine worker\'s A/B comparison, paced by its clock, ends where the CLI\'s does', async () => {
  // Lesson 3's design and a copy with 64 workers per web server, 60 s: the
  // same users and seed, so the pairing has nothing to change and the worker
  // can be given the two files as they are (the page gives it paired designs).
  const lesson = JSON.parse(readFileSync(join(repoRoot, 'lessons', '03-vertical-scaling.json'), 'utf8'));
  const a = { ...lesson, duration_s: 60 };
  const b = structuredClone(a);
  for (const n of b.nodes.filter((n) => n.kind === 'web_server')) {
    delete n.size;
    n.workers = 64;
  }
  const dir = mkdtempSync(join(tmpdir(), 'scalelab-det-'));
  const [fa, fb] = [join(dir, 'a.json'), join(dir, 'b.json')];
  writeFileSync(fa, JSON.stringify(a));
  writeFileSync(fb, JSON.stringify(b));
  const native = JSON.parse(execFileSync(cli, ['compare', fa, fb], { encoding: 'utf8' }));
  assert.deepEqual(native.notes, []);
  const { page, errors, context } = await site.openPage('/');
  // As the page does: start it, let it run on its clock (as fast as it can),
  // and read every reading it publishes until the one at the end.
  const readings = await page.evaluate(
    (job) =>
      new Promise((resolve, reject) => {
        const worker = new Worker(new URL('scalelab-worker_loader.js', document.baseURI));
        const seen = [];
        worker.onerror = (e) => reject(new Error(`the worker stopped: ${e.message}`));
        worker.onmessage = (m) => {
          const reply = JSON.parse(m.data);
          if (reply.reply === 'ready') worker.postMessage(JSON.stringify(job));
          else if (reply.reply !== 'compared') reject(new Error(m.data));
          else {
            seen.push(reply.reading);
            if (reply.reading.finished) {
              worker.terminate();
              resolve(seen);
            }
          }
        };
      }),
    { job: 'compare', a: JSON.stringify(a), b: JSON.stringify(b), speed: 1e6 },
  );
  assert.ok(readings.length >= 2, `readings as it went: ${readings.length}`);
  assert.ok(readings.every((r) => r.a.now_s === r.b.now_s), 'read only while both stand together');
  assert.deepEqual(readings.at(-1), native.reading);
  assert.deepEqual(errors, []);
  await context.close();
});

test('the engine worker\'s live run, steered by the page\'s messages, reads what the CLI\'s session reads', async () => {
  // What the page sends the live run: lesson 5, paused, watched (the
  // breakdown, web-1's theory, one request in two for the dots), stepped 5 s,
  // then a change of design (web-2 a size larger, the editor's version 2), a
  // fault, two refused commands, a followed request and 3 s more of steps.
  const lesson = JSON.parse(readFileSync(join(repoRoot, 'lessons', '05-database-replication.json'), 'utf8'));
  const larger = structuredClone(lesson);
  larger.nodes.find((n) => n.id === 'web-2').size = '8xlarge';
  const steps = (n) => Array.from({ length: n }, () => ({ job: 'step' }));
  const jobs = [
    { job: 'live', scenario: JSON.stringify(lesson), version: 1, playing: false, speed: 1 },
    { job: 'watch', watch: { breakdown: true, trace: false, theory: 'web-1', sample: { taken: 1, every: 2 } } },
    ...steps(50),
    { job: 'sync', scenario: JSON.stringify(larger), version: 2 },
    { job: 'fault', id: 'replica-1', fault: { fault: 'fail' } },
    { job: 'fault', id: 'users', fault: { fault: 'fail' } },
    { job: 'partition', a: 'web-1', b: 'web-2', cut: true },
    { job: 'watch', watch: { breakdown: true, trace: true, theory: 'web-1', sample: { taken: 1, every: 2 } } },
    { job: 'trace_next' },
    ...steps(30),
  ];
  const dir = mkdtempSync(join(tmpdir(), 'scalelab-det-'));
  const file = join(dir, 'session.json');
  writeFileSync(file, JSON.stringify(jobs));
  const native = execFileSync(cli, ['session', file], { encoding: 'utf8', maxBuffer: 1 << 28 })
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  const { page, errors, context } = await site.openPage('/');
  const heard = await page.evaluate(
    (jobs) =>
      new Promise((resolve, reject) => {
        const worker = new Worker(new URL('scalelab-worker_loader.js', document.baseURI));
        const replies = [];
        const hops = [];
        worker.onerror = (e) => reject(new Error(`the worker stopped: ${e.message}`));
        worker.onmessage = (m) => {
          if (m.data instanceof ArrayBuffer) {
            // The dots' hops: the simulated time, then 32-byte records.
            const view = new DataView(m.data);
            const records = [];
            for (let at = 8; at + 32 <= m.data.byteLength; at += 32) {
              records.push({ start: view.getBigUint64(at + 8, true), end: view.getBigUint64(at + 16, true) });
            }
            hops.push({ now: String(view.getBigUint64(0, true)), bytes: m.data.byteLength, records });
            return;
          }
          const reply = JSON.parse(m.data);
          if (reply.reply === 'ready') {
            for (const job of jobs) worker.postMessage(JSON.stringify(job));
            return;
          }
          replies.push(reply);
          if (reply.reply === 'live' && reply.reading.published.snapshot.now_s === 8) {
            worker.terminate();
            resolve({
              replies,
              hops: hops.map((h) => ({
                now: h.now,
                whole: (h.bytes - 8) % 32 === 0,
                count: h.records.length,
                ordered: h.records.every((r) => r.start <= r.end),
              })),
            });
          }
        };
      }),
    jobs,
  );
  const live = (replies) => replies.filter((r) => r.reply === 'live').map((r) => r.reading);
  const refused = (replies) => replies.filter((r) => r.reply === 'refused').map((r) => r.message);
  const [mine, theirs] = [live(heard.replies), live(native)];
  // Readings may come fewer in the browser (commands heard together are
  // read together), so the last reading and the log they add up to compare.
  const last = (readings) => {
    const { published, ...rest } = readings.at(-1);
    const { log, ...shown } = published;
    return { ...rest, shown, log: readings.flatMap((r) => r.published.log) };
  };
  assert.equal(theirs.at(-1).published.snapshot.now_s, 8);
  assert.deepEqual(last(mine), last(theirs));
  const end = last(mine);
  assert.equal(end.version, 2, 'the reading says it reflects the changed design');
  assert.ok(end.shown.breakdown && end.shown.trace && end.theory, 'what was watched is read');
  const said = end.log.map((e) => e.text);
  assert.ok(said.includes('web-2 settings changed') && said.includes('replica-1 failed'), said.join('; '));
  assert.deepEqual(refused(heard.replies), refused(native));
  assert.equal(refused(native).length, 2);
  assert.match(refused(native)[0], /users cannot fail/);
  // The dots' hops came as buffers of whole records, the last at the end.
  assert.ok(heard.hops.length >= 2 && heard.hops.every((h) => h.whole && h.ordered), JSON.stringify(heard.hops.slice(0, 3)));
  assert.ok(heard.hops.reduce((n, h) => n + h.count, 0) > 1000, 'one request in two followed');
  assert.equal(heard.hops.at(-1).now, '8000000000');
  assert.deepEqual(errors, []);
  await context.close();
});
