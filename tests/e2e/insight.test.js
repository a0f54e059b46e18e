// Seeing why: queueing theory beside a node's simulated numbers, where the
// time of requests goes, and one request traced hop by hop (from the button
// and from a click on a moving dot). Every check reads what is on screen.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSite, screenshot, text, numberIn, sleep, openRunning } from './harness.js';

let site;
before(async () => {
  site = await startSite();
});
after(async () => {
  await site?.close();
});

const open = (options = {}) => openRunning(site, options);

/** Numbers in a text, in order ("simulated 27% · theory 26%" -> [27, 26]). */
const numbers = (s) => [...s.replaceAll(',', '').matchAll(/-?\d+(\.\d+)?/g)].map((m) => Number(m[0]));

/** A design where the database is the bottleneck: 200/s into one worker of
 *  4 ms (80% busy); the web server has workers to spare. */
const dbBound = {
  version: 1, name: 'Database-bound', seed: 3, duration_s: 86400, warmup_s: 0,
  nodes: [
    { id: 'users', kind: 'users', rps: 200, mix: { read: 1 }, x: 0, y: 100 },
    { id: 'web', kind: 'web_server', workers: 64, service: { dist: 'exponential', mean_ms: 5 }, x: 240, y: 100 },
    { id: 'db', kind: 'database', workers: 1, service: { dist: 'exponential', mean_ms: 4 }, x: 480, y: 100 },
  ],
  links: [
    { from: 'users', to: 'web', latency_ms: 1 },
    { from: 'web', to: 'db', latency_ms: 0.5 },
  ],
};

async function openDesign(page, doc) {
  await page.getByTestId('file-input').setInputFiles({ name: 'design.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(doc)) });
  await page.waitForFunction((n) => document.querySelectorAll('g[data-node]').length === n, doc.nodes.length);
}

/** The parts of the rows of a table, by `data-part`, summed over the rows. */
async function partsSum(rows, parts) {
  let sum = 0;
  for (const row of await rows.all()) {
    for (const p of parts) sum += numberIn(await row.locator(`[data-part="${p}"]`).textContent());
  }
  return sum;
}

test('the inspector puts queueing theory beside the simulation, and says where it does not apply', async () => {
  const { page, errors, context } = await open();
  await openDesign(page, dbBound);
  await page.getByTestId('speed').selectOption('10');
  await page.getByTestId('node-db').click();
  const model = page.getByTestId('theory-model');
  await page.waitForFunction(() => /M\/M\/1/.test(document.querySelector('[data-testid="theory-model"]')?.textContent ?? ''), null, { timeout: 20000 });
  assert.match(await model.textContent(), /Pollaczek/);
  // Thirty simulated seconds (the inspector's window) of an M/M/1 near 80%:
  // utilisation within a few points; the mean wait (16 ms at exactly 200/s,
  // 10 to 25 ms at the rates 30 s of Poisson arrivals give) within 40%: a
  // queue this busy swings slowly, so a half-minute mean is rough.
  await page.waitForFunction(() => /last 30 s/.test(document.querySelector('[data-testid="theory-model"]')?.textContent ?? ''), null, { timeout: 20000 });
  const [simU, theoryU] = numbers(await text(page, 'theory-utilization'));
  assert.ok(Math.abs(simU - theoryU) < 6 && Math.abs(theoryU - 80) < 6, `utilisation ${simU}% vs ${theoryU}%`);
  const [simW, theoryW] = numbers(await text(page, 'theory-wait'));
  assert.ok(theoryW > 10 && theoryW < 25 && Math.abs(simW / theoryW - 1) < 0.4, `wait ${simW} vs ${theoryW} ms`);
  assert.match(await page.getByTestId('theory-assumptions').textContent(), /Poisson/i);
  await screenshot(page, 'insight-theory');

  // The web server waits on the database while it holds a worker: no formula for that.
  await page.getByTestId('node-web').click();
  await page.waitForFunction(() => /does not apply/.test(document.querySelector('[data-testid="theory-model"]')?.textContent ?? ''));
  assert.match(await text(page, 'theory-model'), /call|wait/i);
  assert.deepEqual(errors, []);
  await context.close();
});

test('where the time goes: the parts add up to the mean, and the database queue sets the slowest 1%', async () => {
  const { page, errors, context } = await open();
  await openDesign(page, dbBound);
  await page.getByTestId('speed').selectOption('25');
  const panel = page.getByTestId('breakdown');
  await page.waitForFunction(() => /mean request takes/.test(document.querySelector('[data-testid="breakdown-summary"]')?.textContent ?? ''), null, { timeout: 20000 });
  // Wait for a thousand traced requests (about 40 simulated seconds), so
  // the slowest 1% holds ten or more of them.
  await page.waitForFunction(() => {
    const note = document.querySelector('.breakdown-note')?.textContent ?? '';
    return Number((note.match(/From ([\d,]+) traced/)?.[1] ?? '0').replaceAll(',', '')) >= 1000;
  }, null, { timeout: 60000 });
  await page.getByTestId('play-toggle').click();
  const summary = await text(page, 'breakdown-summary');
  const mean = numbers(summary.match(/takes ([\d.,]+) ms/)[1])[0];
  const rows = panel.locator('tbody tr');
  assert.deepEqual(await rows.evaluateAll((trs) => trs.map((tr) => tr.dataset.testid)), ['breakdown-row-web', 'breakdown-row-db']);
  const sum = await partsSum(rows, ['network', 'queueing', 'service']);
  assert.ok(Math.abs(sum - mean) <= 0.02 * mean + 0.05, `parts ${sum} vs mean ${mean}`);
  // M/M/1 at 80% with 4 ms service: 16 ms queued, 4 ms served, on average.
  const db = panel.getByTestId('breakdown-row-db');
  const dbQueue = numberIn(await db.locator('[data-part="queueing"]').textContent());
  assert.ok(dbQueue > 8 && dbQueue < 28, `db queueing ${dbQueue} ms`);
  // The web server waits for exactly the database's parts.
  const dbOwn = await partsSum(db, ['network', 'queueing', 'service']);
  const webWait = numberIn(await panel.getByTestId('breakdown-row-web').locator('[data-part="waiting"]').textContent());
  assert.ok(Math.abs(webWait - dbOwn) <= 0.02 * dbOwn + 0.05, `web waits ${webWait}, db parts ${dbOwn}`);

  await page.getByTestId('breakdown-tail').click();
  const tail = await text(page, 'breakdown-summary');
  assert.match(tail, /slowest 1%.*largest part is queueing at db/, tail);
  const tailMean = numbers(tail.match(/take ([\d.,]+) ms/)[1])[0];
  // An M/M/1 at 80% (20 ms mean sojourn): its p99 is 20 ln 100 = 92 ms, so
  // the slowest 1% average over 100 ms against a mean near 27 ms.
  assert.ok(tailMean > 2.5 * mean, `the slowest 1% (${tailMean} ms) are far slower than the mean (${mean} ms)`);
  await panel.scrollIntoViewIfNeeded();
  await screenshot(page, 'insight-breakdown');
  assert.deepEqual(errors, []);
  await context.close();
});

test('trace a request: its hops add up to its latency, and a failed one says where and why', async () => {
  const { page, errors, context } = await open();
  await page.getByTestId('trace-next').click();
  const outcome = page.getByTestId('trace-outcome');
  await page.waitForFunction(() => ['ok', 'failed'].includes(document.querySelector('[data-testid="trace-outcome"]')?.dataset.state), null, { timeout: 10000 });
  const said = await outcome.textContent();
  assert.match(said, /answered in [\d.,]+ ms/);
  const latency = numbers(said.match(/in ([\d.,]+) ms/)[1])[0];
  const rows = page.getByTestId('trace-panel').locator('tbody tr');
  const hops = await rows.evaluateAll((trs) => trs.map((tr) => tr.dataset.testid));
  assert.equal(hops[0], 'trace-hop-lb');
  assert.match(hops[1], /trace-hop-web-[12]/);
  const sum = await partsSum(rows, ['network', 'queued', 'service']);
  assert.ok(Math.abs(sum - latency) <= 0.01 * latency + 0.05, `parts ${sum} vs latency ${latency}`);
  await screenshot(page, 'insight-trace');

  // With the database down, reads and writes fail there; trace until one does.
  await page.getByTestId('trace-close').click();
  await page.getByTestId('node-db').click();
  await page.getByTestId('fault-fail').click();
  let failed = '';
  for (let i = 0; i < 20 && !failed; i++) {
    await page.getByTestId('trace-next').click();
    await page.waitForFunction(() => ['ok', 'failed'].includes(document.querySelector('[data-testid="trace-outcome"]')?.dataset.state), null, { timeout: 10000 });
    if ((await outcome.getAttribute('data-state')) === 'failed') failed = await outcome.textContent();
  }
  assert.match(failed, /failed after [\d.,]+ ms: the node was down at db/);
  assert.match(await page.getByTestId('trace-hop-db').textContent(), /node down/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('paused, a click on a dot traces that request', async () => {
  const { page, errors, context } = await open();
  // Slow motion keeps dots on the wires; pause so they hold still.
  await page.getByTestId('speed').selectOption('0.1');
  await sleep(1500);
  await page.getByTestId('play-toggle').click();
  await sleep(200);
  // Find a drawn dot: a coloured pixel of the dots' canvas.
  const dot = await page.evaluate(() => {
    const c = document.querySelector('canvas.particles');
    const ctx = c.getContext('2d');
    const { data, width, height } = ctx.getImageData(0, 0, c.width, c.height);
    const dpr = c.width / c.getBoundingClientRect().width;
    const r = c.getBoundingClientRect();
    for (let y = 2; y < height - 2; y += 2) {
      for (let x = 2; x < width - 2; x += 2) {
        const i = (y * width + x) * 4;
        // The middle of a dot: it and its neighbours are opaque.
        const opaque = (k) => data[k + 3] > 200;
        if (opaque(i) && opaque(i + 8) && opaque(i - 8) && opaque(i + 8 * width) && opaque(i - 8 * width)) {
          return { x: r.left + x / dpr, y: r.top + y / dpr };
        }
      }
    }
    return null;
  });
  assert.ok(dot, 'a dot is drawn');
  await page.mouse.click(dot.x, dot.y);
  await page.getByTestId('trace-panel').waitFor();
  await page.waitForFunction(() => /Request #/.test(document.querySelector('[data-testid="trace-panel"] h3')?.textContent ?? ''));
  const state = await page.getByTestId('trace-outcome').getAttribute('data-state');
  assert.ok(['in_flight', 'ok', 'failed'].includes(state), state);
  assert.ok((await page.getByTestId('trace-panel').locator('tbody tr').count()) >= 1, 'its hops so far');
  // Paused, the dot wins over the wire it rides on.
  assert.equal(await page.locator('g.link.selected').count(), 0);
  // Playing on, an in-flight request ends.
  await page.getByTestId('speed').selectOption('1');
  await page.getByTestId('play-toggle').click();
  await page.waitForFunction(() => ['ok', 'failed'].includes(document.querySelector('[data-testid="trace-outcome"]')?.dataset.state), null, { timeout: 10000 });
  await screenshot(page, 'insight-dot');
  assert.deepEqual(errors, []);
  await context.close();
});
