// Seeing why: queueing theory beside a node's simulated numbers, where the
// time of requests goes, and one request traced hop by hop (from the button
// and from a click on a moving dot). Every check reads what is on screen.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSite, screenshot, text, numberIn, openRunning, simUntil, frames, choose, showCharts } from './harness.js';

let site;
before(async () => {
  site = await startSite();
});
after(async () => {
  await site?.close();
});

// These tests read the dashboard's charts and lists: they unfold them first.
const open = async (options = {}) => {
  const opened = await openRunning(site, options);
  await showCharts(opened.page);
  return opened;
};

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

/** `dbBound` run for `seconds` only: the run stops there, so the numbers read
 *  at its end cover the same simulated seconds on every run. */
const dbBoundFor = (seconds) => ({ ...dbBound, duration_s: seconds });

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
  await openDesign(page, dbBoundFor(40));
  await page.getByTestId('speed').selectOption('10');
  await page.getByTestId('node-db').click();
  const model = page.getByTestId('theory-model');
  await page.waitForFunction(() => /M\/M\/1/.test(document.querySelector('[data-testid="theory-model"]')?.textContent ?? ''), null, { timeout: 30000 });
  assert.match(await model.textContent(), /Pollaczek/);
  // Thirty simulated seconds (the inspector's window) of an M/M/1 near 80%:
  // utilisation within a few points; the mean wait (16 ms at exactly 200/s,
  // 10 to 25 ms at the rates 30 s of Poisson arrivals give) within 40%: a
  // queue this busy swings slowly, so a half-minute mean is rough. The run
  // ends at 40 s, so the window read is seconds 10 to 40 every time.
  await simUntil(page, 40);
  await page.waitForFunction(() => /last 30 s/.test(document.querySelector('[data-testid="theory-model"]')?.textContent ?? ''), null, { timeout: 30000 });
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

test('where the time goes is traced only while it is unfolded: opened again, it starts from the requests traced since and says so', async () => {
  const { page, errors, context } = await open();
  await openDesign(page, dbBoundFor(600));
  await page.getByTestId('speed').selectOption('25');
  await simUntil(page, 40);
  const before = await page.locator('.breakdown-note').textContent();
  assert.match(before, /in the last \d+ simulated seconds/, before);
  // Folded away from 40 s to 80 s: nothing is traced for it meanwhile.
  await page.getByTestId('dashboard-toggle').click();
  await page.getByTestId('breakdown').waitFor({ state: 'detached' });
  await simUntil(page, 80);
  await page.getByTestId('play-toggle').click();
  await page.getByTestId('dashboard-toggle').click();
  assert.equal(await text(page, 'breakdown-summary'), 'No traced request has finished yet.');
  // Running again slowly, the first traced requests fill it, over the
  // seconds since it was opened, not the 30 to 60 before.
  await page.getByTestId('speed').selectOption('1');
  await page.getByTestId('play-toggle').click();
  await page.waitForFunction(() => /From [\d,]+ traced/.test(document.querySelector('.breakdown-note')?.textContent ?? ''), null, { timeout: 30000 });
  await page.getByTestId('play-toggle').click();
  const note = await page.locator('.breakdown-note').textContent();
  const span = Number(note.match(/in the last (\d+) simulated seconds/)[1]);
  assert.ok(span < 10, `the breakdown covers ${span} s since it was opened: ${note}`);
  assert.match(note, /traced while this panel is open/, note);
  assert.deepEqual(errors, []);
  await context.close();
});

test('where the time goes: the parts add up to the mean, and the database queue sets the slowest 1%', async () => {
  const { page, errors, context } = await open();
  // The run ends at 60 s, so what is read covers the same requests every time.
  await openDesign(page, dbBoundFor(60));
  await page.getByTestId('speed').selectOption('25');
  const panel = page.getByTestId('breakdown');
  await simUntil(page, 60);
  // A thousand traced requests or more (one in eight of 200/s over the last
  // 30 to 60 s), so the slowest 1% holds ten or more of them.
  await page.waitForFunction(() => {
    const note = document.querySelector('.breakdown-note')?.textContent ?? '';
    return Number((note.match(/From ([\d,]+) traced/)?.[1] ?? '0').replaceAll(',', '')) >= 1000;
  }, null, { timeout: 30000 });
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
  await choose(page, 'trace-next');
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
    await choose(page, 'trace-next');
    await page.waitForFunction(() => ['ok', 'failed'].includes(document.querySelector('[data-testid="trace-outcome"]')?.dataset.state), null, { timeout: 10000 });
    if ((await outcome.getAttribute('data-state')) === 'failed') failed = await outcome.textContent();
  }
  assert.match(failed, /failed after [\d.,]+ ms: the node was down at db/);
  assert.match(await page.getByTestId('trace-hop-db').textContent(), /node down/);
  assert.deepEqual(errors, []);
  await context.close();
});

/**
 * The dots drawn on the diagram's canvas that stand alone (a blob of opaque
 * pixels the size of one dot, no other dot within 16 px), each with its centre
 * in page coordinates and what a press there lands on: a node's output
 * `port`, a `node`'s box, one `wire`, several `wires`, or the `background`;
 * `node` names the node, `link` the wire. Dots over the users node are left
 * out (a trace lists the nodes a request visits, not where it came from).
 */
async function lonelyDots(page) {
  return page.evaluate(() => {
    const c = document.querySelector('canvas.particles');
    const { data, width, height } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
    const box = c.getBoundingClientRect();
    const dpr = c.width / box.width;
    const seen = new Uint8Array(width * height);
    const blobs = [];
    for (let start = 0; start < width * height; start++) {
      if (seen[start] || data[start * 4 + 3] < 128) continue;
      seen[start] = 1;
      const stack = [start];
      let n = 0, sx = 0, sy = 0, x0 = width, x1 = 0, y0 = height, y1 = 0;
      while (stack.length) {
        const k = stack.pop();
        const x = k % width, y = (k - x) / width;
        n++; sx += x; sy += y;
        x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
        for (const [nx, ny] of [[x + 1, y], [x - 1, y], [x, y + 1], [x, y - 1]]) {
          const j = ny * width + nx;
          if (nx >= 0 && ny >= 0 && nx < width && ny < height && !seen[j] && data[j * 4 + 3] >= 128) {
            seen[j] = 1;
            stack.push(j);
          }
        }
      }
      blobs.push({ n, cx: sx / n, cy: sy / n, w: x1 - x0 + 1, h: y1 - y0 + 1 });
    }
    // Every dot has the same size: the smallest round blob is one dot, and
    // two dots that overlap make a blob longer one way or with a bite out.
    const round = blobs.filter((b) => Math.abs(b.w - b.h) <= 1 && b.n >= 0.8 * Math.PI * (b.w / 2) ** 2);
    const size = Math.min(...round.map((b) => b.w));
    const single = round.filter((b) => b.w <= size + 1);
    const css = (b) => ({ x: box.left + (b.cx + 0.5) / dpr, y: box.top + (b.cy + 0.5) / dpr });
    return single
      .filter((b) => blobs.every((o) => o === b || Math.hypot(o.cx - b.cx, o.cy - b.cy) / dpr > 16))
      .map((b) => {
        const { x, y } = css(b);
        const el = document.elementFromPoint(x, y);
        const node = el?.closest('g[data-node]')?.getAttribute('data-node');
        if (el?.closest('circle.port')) return { x, y, on: 'port', node };
        if (node) return { x, y, on: 'node', node };
        // Where wires meet (at a node's input), a press can land on
        // several: only a dot over one wire says which wire it rides.
        const links = new Set(document.elementsFromPoint(x, y).map((e) => e.closest('g.link')?.getAttribute('data-testid')).filter(Boolean));
        if (links.size === 1) return { x, y, on: 'wire', link: [...links][0] };
        if (links.size > 1) return { x, y, on: 'wires' };
        return { x, y, on: 'background' };
      })
      // The users node is where requests come from, not a hop of their trace.
      .filter((d) => d.node !== 'users');
  });
}

test('paused, a click on a dot traces that request, over a port, a node or a wire', async () => {
  const { page, errors, context } = await open();
  const nodes = await page.$$eval('g[data-node]', (els) => els.map((e) => e.getAttribute('data-node')));
  // Slow motion shows every request as a dot; pause so they hold still. A
  // step moves the dots on by its 0.1 s as if played at 1x, so they spread
  // along the wires as they do while playing: at 3,000 daily users (about
  // 28 requests/s) a step starts a few requests, whose dots stand apart.
  const users = page.getByTestId('traffic-users');
  await users.fill('3000');
  await users.press('Enter');
  await page.waitForFunction(() => /3,000 users/.test(document.querySelector('[data-testid="traffic-value"]').textContent));
  await page.getByTestId('speed').selectOption('0.1');
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="sampling"]')?.textContent.match(/([\d,]+) dots/)?.[1].replace(/,/g, '')) >= 1,
    null, { timeout: 30000 });
  await page.getByTestId('play-toggle').click();
  await frames(page, 2);
  // Step 0.1 s at a time until a lone dot lies over a port, one over a
  // node's box and one on a bare wire (the simulation is paused between
  // steps, so the dots found are where they stay).
  const want = ['port', 'node', 'wire'];
  let found = {};
  for (let steps = 0; steps < 200 && want.some((w) => !found[w]); steps++) {
    found = {};
    for (const d of await lonelyDots(page)) found[d.on] ??= d;
    if (want.every((w) => found[w])) break;
    await page.getByTestId('step').click();
    await frames(page, 2);
  }
  assert.ok(want.every((w) => found[w]), `lone dots over a port, a node and a wire: found ${JSON.stringify(found)}`);

  for (const on of want) {
    const dot = found[on];
    await page.mouse.click(dot.x, dot.y);
    const heading = page.getByTestId('trace-panel').locator('h3');
    await page.waitForFunction(() => /Request #/.test(document.querySelector('[data-testid="trace-panel"] h3')?.textContent ?? ''));
    const number = (await heading.textContent()).match(/Request #([\d,]+)/)[1];
    // The press went to the dot, not to what it is drawn over.
    assert.equal(await page.locator('g.node.selected').count(), 0, `a click on the dot over ${on} selects no node`);
    assert.equal(await page.locator('g.link.selected').count(), 0, `a click on the dot over ${on} selects no wire`);
    assert.equal(await page.evaluate(() => document.activeElement?.closest('g[data-node]') ?? null), null, 'no node took the focus');
    // Its trace is of a request that was there: over a node or its port, it
    // has visited that node; on a wire, both its ends.
    const hops = await page.getByTestId('trace-panel').locator('tbody tr').evaluateAll((trs) => trs.map((tr) => tr.dataset.testid.replace(/^trace-hop-/, '')));
    const there = dot.node ? [dot.node] : nodes.filter((n) => n !== 'users' && (dot.link.startsWith(`link-${n}-`) || dot.link.endsWith(`-${n}`)));
    assert.ok(there.length > 0, `the nodes at ${JSON.stringify(dot)}`);
    for (const n of there) assert.ok(hops.includes(n), `request #${number}, clicked over ${on} at ${n}, has visited it: ${hops}`);
    await page.getByTestId('trace-close').click();
    await page.getByTestId('trace-panel').waitFor({ state: 'detached' });
  }

  // A plain click on a node away from any dot still selects it.
  await page.getByTestId('node-db').click({ position: { x: 30, y: 12 } });
  assert.equal(await page.locator('g.node.selected').getAttribute('data-node'), 'db');

  // Traced again and played on, an in-flight request ends.
  await page.mouse.click(found.wire.x, found.wire.y);
  await page.getByTestId('trace-panel').waitFor();
  await page.getByTestId('speed').selectOption('1');
  await page.getByTestId('play-toggle').click();
  await page.waitForFunction(() => ['ok', 'failed'].includes(document.querySelector('[data-testid="trace-outcome"]')?.dataset.state), null, { timeout: 30000 });
  await screenshot(page, 'insight-dot');
  assert.deepEqual(errors, []);
  await context.close();
});
