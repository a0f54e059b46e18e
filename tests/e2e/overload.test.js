// The overload examples, opened with ?example=NAME: each opens like a lesson
// (Undo brings back the design it replaced) and shows its failure in the
// page's own figures.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSite, screenshot, text, numberIn, nodeIds, notice, simUntil, simTime, pauseAt, openRunning, place, settle, sel, showCharts, choose, showTab, openReady } from './harness.js';

let site;
before(async () => {
  site = await startSite();
});
after(async () => {
  await site?.close();
});

const open = (path, options) => openReady(site, path, options);

test('?example=sinkholing opens the example over the autosave, shows more than half the requests failing once web-2 dies, and Undo brings the design back', async () => {
  const { page, errors, context } = await open('/');
  // A design of the user's own, autosaved: the starter without web-2.
  await page.getByTestId('node-web-2').click();
  await page.keyboard.press('Delete');
  await page.waitForFunction(() => !document.querySelector('g[data-node="web-2"]'));
  const mine = await nodeIds(page);

  await page.goto(`${site.baseUrl}/?example=sinkholing`);
  await page.getByTestId('app-ready').waitFor({ timeout: 60000 });
  assert.deepEqual((await nodeIds(page)).sort(), ['lb', 'users', 'web-1', 'web-2', 'web-3', 'web-4']);
  assert.match(await notice(page), /^Opened the Balancer sinkholing example; Undo brings back your previous diagram/);
  // Its note is open beside the design, with the goal the engine judges
  // (its rows appear with the engine's first numbers, a frame or more later).
  assert.equal(await text(page, 'lesson-title'), 'Balancer sinkholing');
  assert.match(await text(page, 'lesson-text'), /Least connections sends each request/);
  await page.getByTestId('goal-check').first().waitFor({ timeout: 60000 });
  assert.equal(await page.getByTestId('goal-check').count(), 2);
  // Fast-forward past the failure at 20 s and the 5 s the cards read.
  await page.getByTestId('speed').selectOption('10');
  await simUntil(page, 32);
  await page.getByTestId('play-toggle').click();
  const share = numberIn(await text(page, 'metric-errors'));
  // Round robin would lose a quarter, the dead server's share; this loses more.
  assert.ok(share > 40, `errors ${await text(page, 'metric-errors')}`);
  await screenshot(page, 'example-sinkholing');

  await page.getByTestId('undo').click();
  await page.waitForFunction(() => !document.querySelector('g[data-node="web-4"]'));
  assert.deepEqual((await nodeIds(page)).sort(), [...mine].sort());
  // The design without the example's goal closes its note, and the panel
  // lists the lessons and the examples: open the other example from there.
  await page.getByTestId('example').waitFor({ state: 'detached' });
  await page.getByTestId('example-item-goodput-collapse').click();
  assert.equal(await text(page, 'lesson-title'), 'Goodput collapse');
  assert.deepEqual(await nodeIds(page), ['api', 'users']);
  assert.deepEqual(errors, []);
  await context.close();
});

test('an unknown example is named in words with the list, and the page opens as it would without it', async () => {
  const { page, errors, context } = await open('/?example=sinkhole');
  assert.match(await notice(page), /There is no example "sinkhole": the examples are sinkholing/);
  assert.ok((await nodeIds(page)).includes('web-2'), 'the starter design');
  assert.deepEqual(errors, []);
  await context.close();
});

test('the inspector injects errors at a share and a latency spike that ends by itself; bad numbers are refused in words', async () => {
  const { page, errors, context } = await open('/');
  await page.getByTestId('node-web-1').click();
  // Nonsense first: nothing is injected, and the reason is said.
  await page.getByTestId('fault-errors-share').fill('');
  await page.getByTestId('fault-errors').click();
  assert.match(await notice(page), /^share of requests that fail: enter a number, not ""/);
  await page.getByTestId('fault-errors-share').fill('150');
  await page.getByTestId('fault-errors').click();
  assert.match(await notice(page), /^the share of requests that fail is a percentage above 0 and at most 100, not 150/);
  assert.equal(await page.getByTestId('live-injected-errors').count(), 0);

  await page.getByTestId('fault-errors-share').fill('40');
  await page.getByTestId('fault-errors').click();
  assert.match(await notice(page), /^web-1: 40.0% of requests fail \(injected errors\)/);
  await page.getByTestId('live-injected-errors').waitFor();
  assert.equal(await text(page, 'live-injected-errors'), '40.0% of arrivals');
  // The errors card, once the 5 s it covers are all after the fault.
  const { errs } = await settle(page, 0, { errs: sel('metric-errors') });
  assert.ok(numberIn(errs) > 5, errs);
  await page.getByTestId('fault-recover').click();
  await page.getByTestId('live-injected-errors').waitFor({ state: 'detached' });

  // A spike of 4x for 3 s: the box is drawn slowed down, then back by itself.
  await page.getByTestId('fault-spike-factor').fill('4');
  await page.getByTestId('fault-spike-seconds').fill('3');
  await page.getByTestId('fault-spike').click();
  assert.match(await notice(page), /^web-1: service 4x slower for 3 s/);
  await page.waitForFunction(() => document.querySelector('[data-testid="node-web-1"]').classList.contains('degraded'));
  await screenshot(page, 'fault-spike');
  const spiked = await simTime(page);
  await simUntil(page, spiked + 3.5);
  await page.waitForFunction(() => !document.querySelector('[data-testid="node-web-1"]').classList.contains('degraded'));
  assert.deepEqual(errors, []);
  await context.close();
});

test('a rate limiter placed from the palette in front of the balancer turns the excess away with 429s, counted as rate limited', async () => {
  const { page, errors, context } = await openRunning(site);
  // Take the users' wire to the balancer out, as a learner does: select it, Delete.
  const mid = await page.getByTestId('link-users-lb').locator('.link-hit').evaluate((path) => {
    const p = path.getPointAtLength(path.getTotalLength() / 2);
    const m = path.getScreenCTM();
    return { x: p.x * m.a + p.y * m.c + m.e, y: p.x * m.b + p.y * m.d + m.f };
  });
  await page.mouse.click(mid.x, mid.y);
  await page.keyboard.press('Delete');
  await page.waitForFunction(() => !document.querySelector('[data-testid="link-users-lb"]'));
  await page.getByTestId('fit').click();
  const area = await page.getByTestId('diagram').boundingBox();
  const limiter = await place(page, 'rate_limiter', 160, area.height - 60);
  assert.equal(limiter, 'limiter-1');
  for (const [from, to] of [['users', limiter], [limiter, 'lb']]) {
    await page.getByTestId(`port-${from}`).dragTo(page.getByTestId(`node-${to}`));
    await page.waitForFunction((id) => !!document.querySelector(`[data-testid="${id}"]`), `link-${from}-${to}`);
  }
  await page.getByTestId(`node-${limiter}`).click();
  // Its burst is left at its default, one second of the rate, which follows the rate.
  assert.equal(await page.getByTestId('field-burst').inputValue(), '');
  assert.equal(await page.getByTestId('field-burst').getAttribute('placeholder'), '1 s of the rate');
  // A rate below the offered load and a small burst (the defaults are 100/s
  // and one second of it), so the figures read after the change are the rate's.
  await page.getByTestId('field-rate_rps').fill('150');
  await page.getByTestId('field-rate_rps').press('Enter');
  await page.getByTestId('field-burst').fill('10');
  await page.getByTestId('field-burst').press('Enter');
  assert.equal(await page.getByTestId('field-rate_rps').inputValue(), '150');
  const now = await settle(page, 1.5, { errs: sel('metric-errors'), here: sel('live-errors'), rps: sel('metric-rps') });
  // 150 of the offered requests a second pass; the rest are refused (the
  // offered load read in the same snapshot and window as the errors).
  const offered = numberIn(now.rps);
  const expected = 100 * (1 - 150 / offered);
  assert.ok(offered > 250, `offered ${offered}/s`);
  assert.ok(Math.abs(numberIn(now.errs) - expected) < 5, `errors ${now.errs}, expected about ${expected.toFixed(0)}% of ${offered}/s`);
  assert.ok(Math.abs(numberIn(now.here) - (offered - 150)) < 0.1 * offered, `refused at the limiter: ${now.here}`);
  await screenshot(page, 'rate-limiter');
  assert.deepEqual(errors, []);
  await context.close();
});

test('queue order can be set to adaptive LIFO and back to FIFO in the inspector, with a maximum wait and dropping abandoned requests', async () => {
  const { page, errors, context } = await open('/');
  await page.getByTestId('node-web-1').click();
  const order = page.getByTestId('field-discipline');
  assert.equal(await order.inputValue(), 'fifo', 'the default is shown although the design leaves it out');
  await order.selectOption('adaptive_lifo');
  await page.waitForFunction(() => document.querySelector('[data-testid="field-discipline"]').value === 'adaptive_lifo');
  await order.selectOption('fifo');
  await page.waitForFunction(() => document.querySelector('[data-testid="field-discipline"]').value === 'fifo');
  assert.equal(await page.locator('.field-error').count(), 0, 'switching back is not refused');
  await page.getByTestId('field-max_wait_ms').fill('250');
  await page.getByTestId('field-max_wait_ms').press('Enter');
  await page.getByTestId('field-drop_abandoned').check();
  // The design holds what was set, redrawn from the document the engine accepted.
  await page.getByTestId('node-web-2').click();
  await page.getByTestId('node-web-1').click();
  assert.equal(await page.getByTestId('field-discipline').inputValue(), 'fifo');
  assert.equal(await page.getByTestId('field-max_wait_ms').inputValue(), '250');
  assert.ok(await page.getByTestId('field-drop_abandoned').isChecked());
  assert.equal(await page.locator('.field-error').count(), 0);
  assert.deepEqual(errors, []);
  await context.close();
});

test('?example=tipping-point: contention in the inspector, the theory names the tipping point, and after the spike goodput falls far below throughput', async () => {
  const { page, errors, context } = await open('/?example=tipping-point');
  await page.getByTestId('node-api').click();
  assert.equal(await page.getByTestId('field-contention').isChecked(), true);
  for (const [field, value] of [['knee', '8'], ['slope', '0.0025'], ['max_factor', '4']]) {
    assert.equal(await page.getByTestId(`field-contention-${field}`).inputValue(), value, field);
  }
  // The theory panel names the tipping point at the rate it measured:
  // n* = knee + (c / (λ S) − 1) / slope, with c = 8 workers and S = 10 ms.
  await page.waitForFunction(
    () => /falls behind beyond about \d+ requests/.test(document.querySelector('[data-testid="theory-model"]')?.textContent ?? ''),
    null,
    { timeout: 60000 },
  );
  const theory = await text(page, 'theory-model');
  assert.ok((await simTime(page)) < 55, 'read before the spike at 60 s');
  const [, rate, beyond] = theory.match(/^Theory does not apply here \(last \d+ s at ([\d,]+)\/s\): .*at this rate it falls behind beyond about (\d+) requests/);
  const expected = 8 + (8 / (numberIn(rate) * 0.01) - 1) / 0.0025;
  // The rate is shown rounded to 1/s, which moves n* by under 1 here.
  assert.ok(Math.abs(Number(beyond) - expected) <= 2, `${theory}: expected about ${expected.toFixed(1)}`);

  // The spike at 60 s tips it over; 30 s later it is still slow, answering
  // requests whose users have left: goodput far below throughput.
  await showCharts(page);
  await page.getByTestId('speed').selectOption('10');
  await simUntil(page, 95);
  await page.getByTestId('play-toggle').click();
  await page.getByTestId('metric-goodput').waitFor();
  const goodput = numberIn(await text(page, 'metric-goodput'));
  const throughput = numberIn(await text(page, 'metric-throughput'));
  assert.ok(throughput > 100 && goodput < 0.2 * throughput, `goodput ${goodput}/s of ${throughput}/s answered`);
  const chart = await page.getByTestId('chart-throughput').locator('figcaption').textContent();
  assert.match(chart, /answered too late/);
  await screenshot(page, 'example-tipping-point');

  // Unticking contention takes its settings away; ticking it again gives the
  // defaults, the knee at the server's workers.
  await page.getByTestId('field-contention').uncheck();
  await page.getByTestId('field-contention-knee').waitFor({ state: 'detached' });
  await page.getByTestId('field-contention').check();
  await page.getByTestId('field-contention-knee').waitFor();
  for (const [field, value] of [['knee', '8'], ['slope', '0.01'], ['max_factor', '5']]) {
    assert.equal(await page.getByTestId(`field-contention-${field}`).inputValue(), value, field);
  }
  assert.deepEqual(errors, []);
  await context.close();
});

test('users who retry: the inspector sets timeouts and retries and says what they cost; at 50% failing attempts the attempts card reads (1 − 0.5⁴)/(1 − 0.5)', async () => {
  const { page, errors, context } = await open('/');
  await page.getByTestId('node-users').click();
  // Off at first: the checkbox alone.
  assert.equal(await page.getByTestId('field-retry').isChecked(), false);
  assert.equal(await page.getByTestId('field-retry-max_attempts').count(), 0);
  await page.getByTestId('field-retry').check();
  await page.getByTestId('field-retry-max_attempts').waitFor();
  // One attempt until asked for more: nothing to say about the load yet.
  assert.equal(await page.getByTestId('field-retry-max_attempts').inputValue(), '1');
  assert.equal(await page.getByTestId('retry-load').count(), 0);
  await page.getByTestId('field-retry-max_attempts').fill('4');
  await page.getByTestId('field-retry-max_attempts').press('Enter');
  await page.getByTestId('retry-load').waitFor();
  assert.equal(
    await text(page, 'retry-load'),
    'Up to ×4 attempts per request: if 10% of attempts fail, what it calls gets ×1.11 the load; at 50%, ×1.88; when all fail, ×4.',
  );
  // An exponential backoff brings its waits and jitter; back to none takes
  // them away again, and nothing is refused on the way.
  await page.getByTestId('field-retry-backoff').selectOption('exponential');
  await page.getByTestId('field-retry-backoff_cap_ms').waitFor();
  assert.equal(await page.getByTestId('field-retry-backoff_ms').inputValue(), '100');
  await page.getByTestId('field-retry-jitter').selectOption('full');
  await page.getByTestId('field-retry-backoff').selectOption('none');
  await page.getByTestId('field-retry-jitter').waitFor({ state: 'detached' });
  assert.equal(await page.getByTestId('field-retry-backoff_ms').count(), 0);
  assert.equal(await page.locator('.field-error').count(), 0);
  // A budget says what it caps.
  await page.getByTestId('field-retry-budget').check();
  await page.getByTestId('field-retry-budget-tokens').waitFor();
  assert.match(await text(page, 'retry-load'), /The budget caps that: at most 10 retries at once, then about one retry per 10 successful attempts\.$/);
  await screenshot(page, 'users-retry');
  await page.getByTestId('field-retry-budget').uncheck();
  await page.getByTestId('field-retry-budget-tokens').waitFor({ state: 'detached' });

  // Half the attempts fail at the balancer, each on its own: 1.875 attempts
  // per request, and 0.5⁴ = 6.25% of requests fail all four.
  await page.getByTestId('node-lb').click();
  await page.getByTestId('fault-errors-share').fill('50');
  await page.getByTestId('fault-errors').click();
  await page.getByTestId('live-injected-errors').waitFor();
  await settle(page, 0);
  await page.getByTestId('play-toggle').click();
  await page.getByTestId('metric-attempts').waitFor();
  // About 1,500 requests in the 5 s the cards cover: the standard error of
  // the mean attempts is 0.027 and of the failed share 0.63 points; the
  // bounds are over 5 of them.
  const attempts = numberIn(await text(page, 'metric-attempts'));
  assert.ok(Math.abs(attempts - 1.875) < 0.15, `attempts ${await text(page, 'metric-attempts')}`);
  const failed = numberIn(await text(page, 'metric-errors'));
  assert.ok(Math.abs(failed - 6.25) < 3.2, `errors ${await text(page, 'metric-errors')}`);

  // The trace shows each attempt. Half the requests retry, so one of the
  // next twenty traced does but with odds of 2⁻²⁰; its rows carry their
  // attempt's number, and each attempt after the first is labelled once.
  await page.getByTestId('play-toggle').click();
  let said = '';
  for (let i = 0; i < 20 && !/attempts/.test(said); i++) {
    await choose(page, 'trace-next');
    await page.waitForFunction(() => ['ok', 'failed'].includes(document.querySelector('[data-testid="trace-outcome"]')?.dataset.state), null, { timeout: 10000 });
    said = await text(page, 'trace-outcome');
  }
  assert.match(said, /[2-4] attempts, each retry sent at once\.$/);
  const n = Number(said.match(/([2-4]) attempts/)[1]);
  const rows = page.getByTestId('trace-panel').locator('tbody tr');
  const seen = await rows.evaluateAll((trs) => [...new Set(trs.map((tr) => Number(tr.dataset.attempt)))]);
  assert.deepEqual(seen, Array.from({ length: n }, (_, i) => i + 1));
  const labels = await page.getByTestId('trace-panel').locator('.attempt').allTextContents();
  assert.deepEqual(labels, seen.slice(1).map((a) => `attempt ${a} · `));
  await screenshot(page, 'trace-attempts');
  assert.deepEqual(errors, []);
  await context.close();
});

test('?example=retry-storm: web servers retrying their database calls stay down after the spike, and a retry budget ticked on each brings them back', async () => {
  const { page, errors, context } = await open('/?example=retry-storm');
  await page.getByTestId('node-web-1').click();
  assert.equal(await page.getByTestId('field-calls').isChecked(), true);
  assert.equal(await page.getByTestId('field-calls-max_attempts').inputValue(), '4');
  assert.equal(await page.getByTestId('field-calls-attempt_timeout_ms').inputValue(), '100');
  assert.match(await text(page, 'retry-load'), /^Up to ×4 attempts per call/);
  // The calls' backoff switches as the users' does: its waits come and go with it.
  await page.getByTestId('field-calls-backoff').selectOption('exponential');
  await page.getByTestId('field-calls-backoff_cap_ms').waitFor();
  await page.getByTestId('field-calls-jitter').selectOption('full');
  await page.getByTestId('field-calls-backoff').selectOption('none');
  await page.getByTestId('field-calls-jitter').waitFor({ state: 'detached' });
  assert.equal(await page.getByTestId('field-calls-backoff_ms').count(), 0);
  assert.equal(await page.locator('.field-error').count(), 0, 'switching back is not refused');

  // The spike is 60–70 s; at 100 s the database is still full of retries.
  await page.getByTestId('speed').selectOption('10');
  await simUntil(page, 100);
  await page.getByTestId('play-toggle').click();
  assert.ok(numberIn(await text(page, 'metric-errors')) > 50, `errors ${await text(page, 'metric-errors')}`);
  assert.ok(numberIn(await text(page, 'live-retries')) > 100, `web-1 retries ${await text(page, 'live-retries')}`);
  assert.ok(numberIn(await text(page, 'live-call-timeouts')) > 0, `web-1 call timeouts ${await text(page, 'live-call-timeouts')}`);
  await screenshot(page, 'example-retry-storm');

  // A budget on every server: the retries stop, the queue drains, the errors end.
  for (const web of ['web-1', 'web-2', 'web-3', 'web-4']) {
    await page.getByTestId(`node-${web}`).click();
    await page.getByTestId('field-calls-budget').check();
    await page.getByTestId('field-calls-budget-tokens').waitFor();
  }
  await page.getByTestId('play-toggle').click();
  const fixed = await simTime(page);
  await simUntil(page, fixed + 40);
  await page.getByTestId('play-toggle').click();
  assert.ok(numberIn(await text(page, 'metric-errors')) < 1, `errors ${await text(page, 'metric-errors')}`);
  assert.deepEqual(errors, []);
  await context.close();
});

/** Every open breaker's words or mark on the diagram clear every box (`seen`: one of them, which must be there). */
async function assertClearOfBoxes(page, seen) {
  await page.getByTestId(seen).waitFor();
  const boxes = await Promise.all((await page.locator('.node .node-box').all()).map((b) => b.boundingBox()));
  for (const label of await page.locator('[data-testid^="breaker-"]').all()) {
    const m = await label.boundingBox();
    for (const b of boxes) {
      const apart = m.x + m.width <= b.x || b.x + b.width <= m.x || m.y + m.height <= b.y || b.y + b.height <= m.y;
      assert.ok(apart, `${await label.getAttribute('data-testid')} at ${JSON.stringify(m)} overlaps a box at ${JSON.stringify(b)}`);
    }
  }
}

test('?example=retry-storm with a circuit breaker ticked on each web server: the database wire shows the breaker open during the storm, and the site recovers', async () => {
  const { page, errors, context } = await open('/?example=retry-storm');
  for (const web of ['web-1', 'web-2', 'web-3', 'web-4']) {
    await page.getByTestId(`node-${web}`).click();
    await page.getByTestId('field-calls-breaker').check();
    await page.getByTestId('field-calls-breaker-trial_calls').waitFor();
  }
  assert.equal(await page.getByTestId('field-calls-breaker-cooldown_s').inputValue(), '5');
  assert.equal(await page.locator('.field-error').count(), 0);
  assert.equal(await page.locator('.link.breaker-open, .link.breaker-half-open').count(), 0, 'closed before the spike');
  // The spike is 60–70 s: a breaker opens in it (each is open for 5 s at a time).
  await page.getByTestId('speed').selectOption('10');
  assert.ok((await pauseAt(page, 50)) < 60, 'paused before the spike');
  assert.equal(await text(page, 'metric-breakers'), 'all closed');
  assert.equal(await text(page, 'metric-breakers-note'), 'of 4 wires');
  await page.getByTestId('play-toggle').click();
  await simUntil(page, 58);
  await page.getByTestId('speed').selectOption('1');
  await page.waitForFunction(() => document.querySelector('.link.breaker-open'), null, { timeout: 60000 });
  await page.getByTestId('play-toggle').click();
  // The headline counts what the diagram marks, from the same snapshot.
  const open_ = await page.locator('.link.breaker-open').count();
  const halfOpen = await page.locator('.link.breaker-half-open').count();
  assert.equal(await text(page, 'metric-breakers'), `${open_} open`);
  assert.equal(await text(page, 'metric-breakers-note'), halfOpen > 0 ? `of 4 wires · ${halfOpen} half-open` : 'of 4 wires');
  const wire = page.locator('.link.breaker-open').first();
  const id = await wire.getAttribute('data-testid');
  assert.match(id, /^link-web-\d-db$/);
  assert.equal(await text(page, id.replace(/^link-/, 'breaker-')), 'circuit open');
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.waitForTimeout(400);
  await screenshot(page, 'breaker-open-1280');
  await assertClearOfBoxes(page, id.replace(/^link-/, 'breaker-'));
  // On a phone the inspector is a sheet over the diagram: folded, the wire shows.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(400);
  if ((await page.getByTestId('drawer-toggle').getAttribute('aria-expanded')) === 'true') await page.getByTestId('drawer-toggle').click();
  await page.getByTestId('fit').click();
  await page.waitForTimeout(400);
  await screenshot(page, 'breaker-open-390');
  // There the columns are too close for words: the wire carries a mark,
  // clear of every box (the words ran into the database's box).
  const mark = page.getByTestId(id.replace(/^link-/, 'breaker-'));
  assert.equal(await mark.getAttribute('aria-label'), 'circuit open');
  await assertClearOfBoxes(page, id.replace(/^link-/, 'breaker-'));
  await page.setViewportSize({ width: 1280, height: 800 });
  // The server whose breaker is open refuses calls, and its inspector counts them.
  await page.getByTestId(`node-${id.match(/^link-(web-\d)-db$/)[1]}`).click();
  if ((await page.getByTestId('drawer-toggle').getAttribute('aria-expanded')) !== 'true') await page.getByTestId('drawer-toggle').click();
  await page.getByTestId('play-toggle').click();
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="live-circuit-open"]')?.textContent.replace(/[^\d.]/g, '') || 0) > 0, null, { timeout: 30000 });
  // The breakers refuse calls, the database drains, the trials close them.
  await page.getByTestId('speed').selectOption('10');
  await simUntil(page, 130);
  await page.getByTestId('play-toggle').click();
  assert.ok(numberIn(await text(page, 'metric-errors')) < 1, `errors ${await text(page, 'metric-errors')}`);
  assert.equal(await page.locator('.link.breaker-open, .link.breaker-half-open').count(), 0, 'all closed again');
  assert.equal(await text(page, 'metric-breakers'), 'all closed');
  assert.deepEqual(errors, []);
  await context.close();
});

test('?example=cache-stampede: a flush sends the database a burst that times out; coalescing misses, ticked in the inspector, makes the next flush harmless', async () => {
  const { page, errors, context } = await open('/?example=cache-stampede');
  await page.getByTestId('speed').selectOption('10');
  assert.ok((await pauseAt(page, 57)) < 60, 'paused before the flush');
  await page.getByTestId('speed').selectOption('1');
  // The flush at 60 s: the database's queue passes its 1 s timeout and requests fail.
  await page.getByTestId('node-db').click();
  assert.equal(numberIn(await text(page, 'live-errors')), 0, 'no timeouts at the database before the flush');
  await page.getByTestId('play-toggle').click();
  await page.waitForFunction(
    () => Number((document.querySelector('[data-testid="live-errors"]')?.textContent ?? '').replace(/,/g, '').match(/[\d.]+/)?.[0] ?? 0) > 20,
    null,
    { timeout: 60000 },
  );
  await page.getByTestId('play-toggle').click();
  await screenshot(page, 'example-cache-stampede');
  assert.ok((await simTime(page)) >= 60, 'the errors came with the flush');
  // The learner's change: one read per key from each web server.
  await page.getByTestId('node-cache').click();
  await page.getByTestId('field-coalesce').check();
  await page.getByTestId('node-web').click();
  await page.getByTestId('live-coalesced').waitFor();
  await page.getByTestId('play-toggle').click();
  await page.getByTestId('speed').selectOption('10');
  await simUntil(page, 178);
  await page.getByTestId('speed').selectOption('1');
  // The flush at 180 s: readers of a missed key wait for one read of it; nothing
  // times out. The figures' 5 s window, read at 184 s, holds the second after it.
  await simUntil(page, 184);
  await page.getByTestId('play-toggle').click();
  assert.ok(numberIn(await text(page, 'live-coalesced')) > 0, `coalesced reads at web: ${await text(page, 'live-coalesced')}`);
  assert.ok(numberIn(await text(page, 'metric-errors')) < 1, `errors after the second flush: ${await text(page, 'metric-errors')}`);
  await page.getByTestId('node-db').click();
  assert.equal(numberIn(await text(page, 'live-errors')), 0, `the database after the second flush: ${await text(page, 'live-errors')}`);
  assert.deepEqual(errors, []);
  await context.close();
});

test('?example=pool-exhaustion: the slowed database leaves the web servers waiting for connections (the breakdown\'s pool wait, the inspector\'s pool rows); pools of 40 set in the inspector stop the rejections', async () => {
  const { page, errors, context } = await open('/?example=pool-exhaustion');
  await showCharts(page);
  await page.getByTestId('speed').selectOption('10');
  await simUntil(page, 100);
  await page.getByTestId('play-toggle').click();
  assert.ok(numberIn(await text(page, 'metric-errors')) > 10, `errors ${await text(page, 'metric-errors')}`);
  // Where the time goes: the wait for a connection, a column of its own, is
  // most of a request's time.
  const panel = page.getByTestId('breakdown');
  const summary = await text(page, 'breakdown-summary');
  assert.match(summary, /largest part is waiting for a connection at web-\d/, summary);
  const mean = numberIn(summary.match(/takes ([\d.,]+) ms/)[1]);
  await screenshot(page, 'example-pool-exhaustion-breakdown');
  let pool = 0;
  for (const web of ['web-1', 'web-2']) pool += numberIn(await panel.getByTestId(`breakdown-row-${web}`).locator('[data-part="pool"]').textContent());
  assert.ok(pool > 0.5 * mean, `pool wait ${pool} ms of ${mean} ms`);
  // The web server's inspector: every connection in use, calls waiting, turned away.
  await page.getByTestId('node-web-1').click();
  if ((await page.getByTestId('drawer-toggle').getAttribute('aria-expanded')) !== 'true') await page.getByTestId('drawer-toggle').click();
  assert.equal(await text(page, 'live-pool-in-use'), '10 of 10');
  assert.ok(numberIn(await text(page, 'live-pool-waiting')) > 100, `waiting ${await text(page, 'live-pool-waiting')}`);
  assert.ok(numberIn(await text(page, 'live-pool-wait')) > 100, `pool wait ${await text(page, 'live-pool-wait')}`);
  assert.ok(numberIn(await text(page, 'live-errors')) > 10, `turned away at web-1: ${await text(page, 'live-errors')}`);
  assert.equal(await page.getByTestId('field-calls-pool').isChecked(), true);
  assert.equal(await page.getByTestId('field-calls-pool-size').inputValue(), '10');
  await page.getByTestId('field-calls-pool-size').scrollIntoViewIfNeeded();
  await screenshot(page, 'example-pool-exhaustion-inspector');
  await page.getByTestId('live-pool-waiting').scrollIntoViewIfNeeded();
  await screenshot(page, 'example-pool-exhaustion-live');
  // A traced request says how long it waited for a connection.
  await page.getByTestId('play-toggle').click();
  let pooled = 0;
  for (let i = 0; i < 10 && pooled === 0; i++) {
    await choose(page, 'trace-next');
    await page.waitForFunction(() => ['ok', 'failed'].includes(document.querySelector('[data-testid="trace-outcome"]')?.dataset.state), null, { timeout: 20000 });
    pooled = await page.getByTestId('trace-pool').count();
  }
  assert.ok(pooled > 0, 'one of ten traced requests waited for a connection');
  assert.match(await text(page, 'trace-pool'), /^· waited [\d,.]+ ms for a connection$/);
  await screenshot(page, 'example-pool-exhaustion-trace');
  await page.getByTestId('play-toggle').click();
  await page.getByTestId('trace-close').click();
  // The learner's change: pools sized for the slow database.
  for (const web of ['web-1', 'web-2']) {
    await page.getByTestId(`node-${web}`).click();
    if ((await page.getByTestId('drawer-toggle').getAttribute('aria-expanded')) !== 'true') await page.getByTestId('drawer-toggle').click();
    await showTab(page, 'tab-inspect');
    await page.getByTestId('field-calls-pool-size').fill('40');
    await page.getByTestId('field-calls-pool-size').press('Enter');
    assert.equal(await page.getByTestId('field-calls-pool-size').inputValue(), '40');
  }
  await page.getByTestId('play-toggle').click();
  // The live figures' window starts after the change: nothing turned away.
  await settle(page, 10);
  await page.getByTestId('play-toggle').click();
  assert.match(await text(page, 'live-pool-in-use'), / of 40$/);
  assert.equal(numberIn(await text(page, 'live-errors')), 0, `web-2 after the change: ${await text(page, 'live-errors')}`);
  assert.equal(numberIn(await text(page, 'live-pool-waiting')), 0);
  assert.ok(numberIn(await text(page, 'metric-errors')) < 1, `errors ${await text(page, 'metric-errors')}`);
  assert.deepEqual(errors, []);
  await context.close();
});
