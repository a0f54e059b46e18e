// The A/B comparison: two designs on the very same requests, side by side,
// with a table of differences judged by the engine's intervals. Selectors are
// the data-testids listed in src/panels/compare_panel.rs and src/panels/compare_view.rs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSite, screenshotDir, text, numberIn, repoRoot, nodeIds, simFor, choose, openReady } from './harness.js';

let site;
before(async () => {
  site = await startSite();
});
after(async () => {
  await site?.close();
});

const open = (path) => openReady(site, path);

/** A screenshot of the window as seen (the dialog scrolls inside it). */
async function shot(page, name) {
  await page.screenshot({ path: join(screenshotDir, `${name}.png`) });
}

const simSeconds = async (page, id) => numberIn(await text(page, id));

/**
 * Waits until the comparison has reached `t` simulated seconds. The
 * comparison runs in a worker of its own, which a busy machine can leave
 * slower than the speed asked for ("slower than asked"): the deadline is
 * generous, and no test assumes a simulated second per wall second.
 */
async function reach(page, t, timeout = 180000) {
  await page.waitForFunction(
    (t) => {
      const m = document.querySelector('[data-testid="compare-time"]')?.textContent.match(/t = ([\d.]+)/);
      return m && Number(m[1]) >= t;
    },
    t,
    { timeout },
  );
}

/**
 * Pauses the comparison and waits until the numbers on screen hold still.
 *
 * After the click the comparison's worker publishes once more, as soon as
 * both designs stand at the same time again (engine/src/analysis/compare_session.rs,
 * `pause`), then never while paused. Wall time says nothing about how many
 * frames a loaded machine drew, so this counts frames in the page: nothing
 * in the panel may change for 60 frames and 1.5 s in a row.
 */
async function pause(page) {
  await page.getByTestId('compare-play').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="compare-panel"]')?.dataset.state === 'paused');
  await page.evaluate(
    ({ frames, ms, deadline }) =>
      new Promise((done, fail) => {
        const panel = document.querySelector('[data-testid="compare-panel"]');
        const start = performance.now();
        let changedAt = start;
        let still = 0;
        const seen = new MutationObserver(() => {
          changedAt = performance.now();
          still = 0;
        });
        seen.observe(panel, { subtree: true, childList: true, characterData: true, attributes: true });
        const tick = (t) => {
          still += 1;
          if (still >= frames && t - changedAt >= ms) {
            seen.disconnect();
            done();
          } else if (t - start > deadline) {
            seen.disconnect();
            fail(new Error(`the paused comparison did not hold still for ${frames} frames within ${deadline} ms`));
          } else requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
      }),
    { frames: 60, ms: 1500, deadline: 120000 },
  );
}

/** Everything the results show, read at one instant (one published reading). */
function shown(page) {
  return page.evaluate(() => {
    const t = (el) => el?.textContent.trim() ?? null;
    const side = (s) =>
      Object.fromEntries(
        ['requests', 'throughput', 'throughput-note', 'attempts', 'attempts-note', 'mean', 'p50', 'p99', 'errors', 'causes', 'lost-writes', 'cost', 'mean-note', 'p99-note', 'errors-note'].map((id) => [id, t(document.querySelector(`[data-testid="cmp-${s}-${id}"]`))]),
      );
    const diff = Object.fromEntries(
      [...document.querySelectorAll('[data-testid="compare-diff"] tbody tr')].map((tr) => [
        tr.dataset.testid.replace(/^diff-/, ''),
        {
          verdict: tr.dataset.verdict,
          a: tr.querySelector('[data-testid="diff-a"]').textContent,
          b: tr.querySelector('[data-testid="diff-b"]').textContent,
          delta: tr.querySelector('[data-testid="diff-delta"]').textContent,
          words: tr.querySelector('[data-testid="diff-verdict"]').textContent,
        },
      ]),
    );
    return { time: t(document.querySelector('[data-testid="compare-time"]')), a: side('a'), b: side('b'), diff };
  });
}

/** Waits until the table's rows `keys` have intervals on both sides (a verdict). */
async function judged(page, keys) {
  await page.waitForFunction(
    (keys) => keys.every((k) => {
      const v = document.querySelector(`[data-testid="diff-${k}"]`)?.dataset.verdict;
      return v && v !== 'not-yet';
    }),
    keys,
    { timeout: 180000 },
  );
}

async function play(page) {
  await page.getByTestId('compare-play').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="compare-panel"]')?.dataset.state === 'running');
}

test('lesson 3 against the step before: the same requests, and B clearly better', async () => {
  const { page, errors, context } = await open('/?lesson=3');
  await page.getByTestId('lesson-panel').waitFor();
  await page.waitForFunction(() => document.querySelector('[data-testid="metric-p99"]')?.textContent.includes('ms'), null, { timeout: 60000 });
  const liveBefore = await simSeconds(page, 'sim-time');

  await page.getByTestId('lesson-compare').click();
  const panel = page.getByTestId('compare-panel');
  await panel.waitFor();
  assert.equal(await panel.getAttribute('data-state'), 'running');
  assert.equal(await page.getByTestId('compare-a-source').inputValue(), 'prev-3');
  assert.equal(await page.getByTestId('compare-b-source').inputValue(), 'current');
  assert.match(await panel.locator('.compare-what').textContent(), /Lesson 2's design at lesson 3's traffic/);
  // The pairing says what it did, and which scheduled faults both get.
  assert.ok((await page.getByTestId('compare-notes').locator('li').count()) >= 1);
  assert.equal(await text(page, 'compare-scheduled'), 'A has no scheduled faults.');

  await page.getByTestId('compare-speed').selectOption('100');
  // Five 10 s batches after the 10 s warm-up give the first intervals.
  await judged(page, ['error_rate', 'p99_latency']);
  await reach(page, 90);
  await pause(page);
  await shot(page, 'compare-lesson-3');
  // All numbers from one reading, so that they belong together.
  const r = await shown(page);

  // Identical traffic: both got exactly the same number of requests.
  const sentA = numberIn(r.a.requests);
  const sentB = numberIn(r.b.requests);
  assert.ok(sentA > 50000, `lesson 3's traffic is about 1,000 requests/s: ${sentA}`);
  assert.equal(sentA, sentB);
  assert.equal(r.diff.requests.verdict, 'same');
  assert.equal(r.diff.requests.delta.trim(), '0');

  // Lesson 2's single machine at this traffic fails more and answers later.
  const errA = numberIn(r.a.errors);
  const errB = numberIn(r.b.errors);
  const p99A = numberIn(r.a.p99);
  const p99B = numberIn(r.b.p99);
  assert.ok(errB < errA && p99B < p99A, `errors ${errA}% -> ${errB}%, p99 ${p99A} -> ${p99B} ms`);
  const verdicts = [r.diff.error_rate.verdict, r.diff.p99_latency.verdict];
  assert.ok(verdicts.includes('better'), `the table says B is better: ${verdicts}`);
  assert.ok(!verdicts.includes('worse'), `${verdicts}`);
  for (const key of ['error_rate', 'p99_latency']) {
    if (r.diff[key].verdict === 'better') {
      assert.match(r.diff[key].delta, /^−/, `${key}: B − A is negative`);
      assert.equal(r.diff[key].words.trim(), 'B better');
    }
  }
  // The larger machines cost more: an exact figure, judged as such.
  assert.equal(r.diff.cost.verdict, 'worse');
  // No interval for p50: shown, not judged.
  assert.equal(r.diff.p50_latency.verdict, 'not-judged');
  // The figures the table judges are those under the cards' values, over
  // the same batches; the cards' values are since the warm-up, as they say.
  const squeeze = (s) => s.replace(/\s/g, '');
  for (const [row, note] of [['mean_latency', 'mean-note'], ['p99_latency', 'p99-note'], ['error_rate', 'errors-note']]) {
    for (const side of ['a', 'b']) {
      assert.equal(squeeze(r[side][note].replace(/, last \d+ s$/, '')), squeeze(r.diff[row][side]), `${row}, ${side}: card "${r[side][note]}", table "${r.diff[row][side]}"`);
    }
  }
  assert.match(await text(page, 'cmp-a-window'), /^Since the warm-up/);

  // Paused means paused: nothing moves while the page draws frames (the
  // live run, which goes on behind the dialog, advances half a second).
  const t1 = await text(page, 'compare-time');
  await simFor(page, 0.5);
  assert.equal(await text(page, 'compare-time'), t1);
  // The live playground went on running behind the dialog.
  assert.ok((await simSeconds(page, 'sim-time')) > liveBefore, 'the live run kept going');
  // Escape closes the dialog; the lesson is still open.
  await page.keyboard.press('Escape');
  assert.equal(await page.getByTestId('compare-panel').count(), 0);
  assert.equal(await page.getByTestId('lesson-title').count(), 1);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a design compared with itself differs in nothing', async () => {
  const { page, errors, context } = await open('/?lesson=3');
  await choose(page, 'compare-button');
  await page.getByTestId('compare-panel').waitFor();
  assert.equal(await page.getByTestId('compare-panel').getAttribute('data-state'), 'idle');
  await page.getByTestId('compare-a-source').selectOption('current');
  await page.getByTestId('compare-b-source').selectOption('lesson-3');
  await page.getByTestId('compare-run').click();
  await page.getByTestId('compare-speed').selectOption('100');
  assert.match(await text(page, 'compare-notes'), /nothing was changed/);
  await judged(page, ['mean_latency', 'p99_latency', 'error_rate']);
  await pause(page);
  const rows = await page.getByTestId('compare-diff').locator('tbody tr').evaluateAll((trs) =>
    trs.map((tr) => ({
      key: tr.dataset.testid,
      verdict: tr.dataset.verdict,
      a: tr.querySelector('[data-testid="diff-a"]').textContent,
      b: tr.querySelector('[data-testid="diff-b"]').textContent,
      delta: tr.querySelector('[data-testid="diff-delta"]').textContent,
    })),
  );
  assert.equal(rows.length, 8);
  for (const r of rows) {
    assert.equal(r.delta, '0', `${r.key}: B − A`);
    assert.equal(r.a, r.b, `${r.key}: A and B read the same`);
    assert.ok(['same', 'unclear'].includes(r.verdict), `${r.key}: ${r.verdict}`);
  }
  const r = await shown(page);
  for (const id of ['requests', 'throughput', 'mean', 'p50', 'p99', 'errors', 'causes', 'lost-writes', 'cost']) {
    assert.equal(r.a[id], r.b[id], id);
  }
  await shot(page, 'compare-itself');
  assert.deepEqual(errors, []);
  await context.close();
});

test('failing the database in both raises errors in both, at the same time', async () => {
  const { page, errors, context } = await open('/');
  await choose(page, 'compare-button');
  await page.getByTestId('compare-a-source').selectOption('current');
  await page.getByTestId('compare-b-source').selectOption('lesson-4');
  await page.getByTestId('compare-run').click();
  // B takes A's seed and A's traffic, and says so.
  const notes = await text(page, 'compare-notes');
  assert.match(notes, /seed set to A's \(7\)/);
  assert.match(notes, /users: traffic set to A's/);
  // What can fail in both: what both designs have.
  const targets = await page.getByTestId('compare-fail-target').locator('option').allTextContents();
  assert.deepEqual([...targets].sort(), ['db', 'lb', 'web-1', 'web-2']);
  assert.equal(await page.getByTestId('compare-fail-target').inputValue(), 'db', 'the database is offered first');
  await page.getByTestId('compare-speed').selectOption('50');
  await reach(page, 20);
  await pause(page);
  const r0 = await shown(page);
  const before = [numberIn(r0.a.errors), numberIn(r0.b.errors)];
  assert.ok(before.every((e) => e < 1), `few errors before the fault: ${before}`);
  assert.equal(r0.a.requests, r0.b.requests);

  await page.getByTestId('compare-fail').click();
  await page.getByTestId('compare-fault-log').waitFor({ timeout: 120000 });
  const log = await text(page, 'compare-fault-log');
  assert.match(log, /^t = [\d.]+ s: db failed in both$/);
  const at = numberIn(log);
  assert.ok(at >= 20, log);
  await play(page);
  await reach(page, at + 15);
  await pause(page);
  await shot(page, 'compare-db-failed');
  const r1 = await shown(page);
  const afterFault = [numberIn(r1.a.errors), numberIn(r1.b.errors)];
  assert.ok(afterFault[0] > before[0] + 5 && afterFault[1] > before[1] + 5, `errors rose in both: ${before} -> ${afterFault}`);
  for (const side of ['a', 'b']) {
    assert.notEqual(r1[side].causes, 'none');
  }
  // Still the same requests on both sides.
  assert.equal(r1.a.requests, r1.b.requests);
  // Recovering works the same way.
  await page.getByTestId('compare-recover').click();
  await page.waitForFunction(() => /db recovered in both/.test(document.querySelector('[data-testid="compare-fault-log"]')?.textContent ?? ''), null, { timeout: 120000 });
  assert.deepEqual(errors, []);
  await context.close();
});

test('retrying users: both sides show attempts per request, and the goodput says how much was answered', async () => {
  // Lesson 15's users send up to 4 attempts of 250 ms; side A is the step before (lesson 14's fix: 3 attempts).
  const { page, errors, context } = await open('/?lesson=15');
  await page.getByTestId('lesson-panel').waitFor();
  await page.getByTestId('lesson-compare').click();
  await page.getByTestId('compare-panel').waitFor();
  assert.equal(await page.getByTestId('compare-a-source').inputValue(), 'prev-15');
  await page.getByTestId('compare-speed').selectOption('50');
  await reach(page, 20);
  await page.getByTestId('compare-fail-target').selectOption('db');
  await page.getByTestId('compare-fail').click();
  await page.getByTestId('compare-fault-log').waitFor({ timeout: 120000 });
  const at = numberIn(await text(page, 'compare-fault-log'));
  await reach(page, at + 10);
  await pause(page);
  await shot(page, 'compare-attempts');
  const r = await shown(page);
  // Both sides' users retried the failing database, within their attempts.
  const attempts = {};
  for (const [side, max] of [['a', 3], ['b', 4]]) {
    const m = r[side].attempts?.match(/^×(\d+\.\d\d)$/);
    assert.ok(m, `${side}'s attempts card: ${r[side].attempts}`);
    assert.equal(r[side]['attempts-note'], 'per request sent');
    attempts[side] = Number(m[1]);
    assert.ok(attempts[side] > 1 && attempts[side] <= max, `${side}: ×${attempts[side]}, at most ${max}`);
  }
  // Where answers came after their users gave up, the goodput's note says how many were answered in all.
  for (const side of ['a', 'b']) {
    const note = r[side]['throughput-note'];
    if (note) {
      assert.match(note, /^of [\d,.]+ req\/s answered$/, note);
      const all = numberIn(note);
      assert.ok(all > numberIn(r[side].throughput), `${side}: answered ${all} above the goodput ${r[side].throughput}`);
    }
  }
  assert.deepEqual(errors, []);
  await context.close();
});

test('a bad file for B is refused with a message and changes nothing', async () => {
  const { page, errors, context } = await open('/?lesson=3');
  await choose(page, 'compare-button');
  await page.getByTestId('compare-a-source').selectOption('current');
  await page.getByTestId('compare-b-source').selectOption('lesson-4');
  await page.getByTestId('compare-run').click();
  await page.getByTestId('compare-speed').selectOption('50');
  await reach(page, 15);
  const labels = await page.locator('.compare-what').textContent();
  const diagram = await nodeIds(page);

  const bad = '{"version": 1, "nodes": [{"id": "a", "kind": "teapot"}], "links": []}';
  await page.getByTestId('compare-b-file').setInputFiles({ name: 'bad.json', mimeType: 'application/json', buffer: Buffer.from(bad) });
  const message = page.getByTestId('compare-message');
  await message.waitFor();
  assert.equal(await message.getAttribute('data-error'), 'true');
  const said = await message.textContent();
  assert.match(said, /"bad\.json" is not a Scale Lab design/);
  assert.match(said, /nodes\[0\]\.kind/, 'names the field');
  assert.match(said, /design B is unchanged/);
  // Both choices and the run on screen are as they were, and it goes on.
  assert.equal(await page.getByTestId('compare-a-source').inputValue(), 'current');
  assert.equal(await page.getByTestId('compare-b-source').inputValue(), 'lesson-4');
  assert.equal(await page.locator('.compare-what').textContent(), labels);
  const t = numberIn(await text(page, 'compare-time'));
  await reach(page, t + 5);

  // A design without users cannot set the traffic: the engine's message.
  const noUsers = '{"version": 1, "seed": 1, "duration_s": 10, "nodes": [{"id": "w", "kind": "web_server"}], "links": []}';
  await page.getByTestId('compare-a-file').setInputFiles({ name: 'no-users.json', mimeType: 'application/json', buffer: Buffer.from(noUsers) });
  await page.waitForFunction(() => /Design A is now "no-users\.json"/.test(document.querySelector('[data-testid="compare-message"]')?.textContent ?? ''));
  assert.equal(await page.getByTestId('compare-a-source').inputValue(), 'file');
  await page.getByTestId('compare-run').click();
  await page.waitForFunction(() => /design A has no users/.test(document.querySelector('[data-testid="compare-message"]')?.textContent ?? ''));
  assert.equal(await message.getAttribute('data-error'), 'true');
  assert.equal(await page.locator('.compare-what').textContent(), labels, 'the comparison on screen stays');

  // A good file for B is taken, and a run of it says what pairing changed.
  const lesson2 = readFileSync(join(repoRoot, 'lessons', '02-web-and-data-tiers.json'));
  await page.getByTestId('compare-a-source').selectOption('current');
  await page.getByTestId('compare-b-file').setInputFiles({ name: 'lesson-2.json', mimeType: 'application/json', buffer: lesson2 });
  await page.waitForFunction(() => document.querySelector('[data-testid="compare-b-source"]')?.value === 'file');
  await page.getByTestId('compare-run').click();
  await page.waitForFunction(() => /"lesson-2\.json"/.test(document.querySelector('.compare-what')?.textContent ?? ''));
  assert.match(await text(page, 'compare-notes'), /seed set to A's \(3\)/);
  await shot(page, 'compare-file');
  // The live diagram was never touched.
  assert.deepEqual(await nodeIds(page), diagram);
  assert.deepEqual(errors, []);
  await context.close();
});

test('two autosaved versions: B takes A\'s seed, so both see the same requests; scheduled faults are shared', async () => {
  const { page, errors, context } = await open('/');
  // A second autosaved version of the starter design: another seed.
  await page.getByTestId('view-menu').click();
  await page.getByTestId('seed').fill('11');
  await page.getByTestId('seed').press('Enter');
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => /Seed set to 11/.test(document.querySelector('[data-testid="notice"]')?.textContent ?? ''));
  await choose(page, 'compare-button');
  const saved = page.getByTestId('compare-a-source').locator('option[value^="auto-"]');
  assert.equal(await saved.count(), 2);
  for (const l of await saved.allTextContents()) assert.match(l, /^Autosaved \d\d:\d\d:\d\d · Two web servers and a database$/);
  // Newest first: the older version (seed 7) as A, the newer (seed 11) as B.
  const [newer, older] = await saved.evaluateAll((os) => os.map((o) => o.value));
  await page.getByTestId('compare-a-source').selectOption(older);
  await page.getByTestId('compare-b-source').selectOption(newer);
  await page.getByTestId('compare-run').click();
  // The only difference between the two versions is the seed, and pairing takes it away.
  assert.deepEqual(await page.getByTestId('compare-notes').locator('li').allTextContents(), ["seed set to A's (7)"]);
  await page.getByTestId('compare-speed').selectOption('100');
  await judged(page, ['mean_latency']);
  await pause(page);
  const deltas = await page.getByTestId('compare-diff').locator('[data-testid="diff-delta"]').allTextContents();
  assert.deepEqual(deltas, Array(8).fill('0'));

  // Lesson 11 with a bad deployment of its workers scheduled (a slowdown,
  // then the rollback), opened from a file; lesson 10 has the workers, lesson 4 does not.
  const incident = JSON.parse(readFileSync(join(repoRoot, 'lessons', '11-monitoring-and-automation.json'), 'utf8'));
  incident.faults = [
    { at_s: 90, node: 'photo-workers', fault: 'slow', factor: 5 },
    { at_s: 600, node: 'photo-workers', fault: 'recover' },
  ];
  await page.getByTestId('compare-a-file').setInputFiles({ name: 'incident.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(incident)) });
  await page.waitForFunction(() => document.querySelector('[data-testid="compare-a-source"]')?.value === 'file');
  await page.getByTestId('compare-b-source').selectOption('lesson-10');
  await page.getByTestId('compare-run').click();
  await page.waitForFunction(() => /Lesson 10/.test(document.querySelector('.compare-what')?.textContent ?? ''));
  await page.getByTestId('compare-play').click();
  assert.equal(await text(page, 'compare-scheduled'), 'Scheduled faults, in both: at 90 s: slow down photo-workers (5×); at 600 s: recover photo-workers.');
  await page.getByTestId('compare-b-source').selectOption('lesson-4');
  await page.getByTestId('compare-run').click();
  await page.waitForFunction(() => /Lesson 4/.test(document.querySelector('.compare-what')?.textContent ?? ''));
  await page.getByTestId('compare-play').click();
  assert.match(await text(page, 'compare-notes'), /the fault on photo-workers at 90 s is left out: B has no photo-workers/);
  assert.equal(await text(page, 'compare-scheduled'), 'Only in A (B has nothing they name): at 90 s: slow down photo-workers (5×); at 600 s: recover photo-workers.');
  await shot(page, 'compare-scheduled');
  assert.deepEqual(errors, []);
  await context.close();
});

test('an embedded playground leaves the comparison to the full page', async () => {
  const { page, errors, context } = await open('/?lesson=3&embed=1');
  await page.getByTestId('lesson-panel').waitFor();
  assert.equal(await page.getByTestId('compare-button').count(), 0);
  assert.equal(await page.getByTestId('lesson-compare').count(), 0);
  assert.deepEqual(errors, []);
  await context.close();
});

test('on a phone, the comparison runs in its worker, pauses with a tap, and fits the screen', async () => {
  const phone = { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 };
  const { page, errors, context } = await openReady(site, '/?lesson=4', phone);
  await choose(page, 'compare-button');
  const panel = page.getByTestId('compare-panel');
  await panel.waitFor();
  assert.equal(await page.getByTestId('compare-a-source').inputValue(), 'prev-4');
  await page.getByTestId('compare-run').tap();
  await page.getByTestId('compare-speed').selectOption('100');
  await reach(page, 30);
  await page.getByTestId('compare-play').tap();
  await page.waitForFunction(() => document.querySelector('[data-testid="compare-panel"]')?.dataset.state === 'paused');
  // Paused in the worker: the clock holds while the page draws frames.
  await simFor(page, 0.5);
  const t1 = await text(page, 'compare-time');
  await simFor(page, 0.5);
  assert.equal(await text(page, 'compare-time'), t1);
  // The dialog scrolls inside the screen; nothing is wider than the screen
  // but the table of differences, which scrolls sideways inside its box.
  const wide = await page.evaluate(() =>
    [...document.querySelectorAll('[data-testid="compare-panel"] *')]
      .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1 && el.parentElement.closest('.compare-diff-scroll') === null)
      .map((el) => el.className || el.tagName),
  );
  await page.getByTestId('compare-side-a').scrollIntoViewIfNeeded();
  await shot(page, 'compare-phone');
  await page.locator('.compare-charts').scrollIntoViewIfNeeded();
  await shot(page, 'compare-phone-charts');
  assert.deepEqual(wide, [], 'inside the screen');
  const table = await page.locator('.compare-diff-scroll').evaluate((el) => ({ scrolls: el.scrollWidth > el.clientWidth, right: el.getBoundingClientRect().right }));
  assert.ok(table.scrolls && table.right <= 391, `the table scrolls in a box that ends inside the screen: ${JSON.stringify(table)}`);
  // Its far columns (B − A and the verdict) are reached by scrolling it.
  await page.locator('.compare-diff-scroll').evaluate((el) => el.scrollBy(1000, 0));
  const verdict = await page.getByTestId('diff-cost').getByTestId('diff-verdict').boundingBox();
  assert.ok(verdict.x + verdict.width <= 391, `the verdict column scrolls into view: ${JSON.stringify(verdict)}`);
  await shot(page, 'compare-phone-table');
  assert.deepEqual(errors, []);
  await context.close();
});
