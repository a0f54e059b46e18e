// Defaults that behave like life (issue 17): a web server from the palette has
// a bounded queue and a timeout and says why; users give up after a client
// timeout they can change; the simulator's in-flight cap is named on the page
// when a design reaches it, and a bounded design never does.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSite, screenshot, text, numberIn, openRunning, sel, settle, choose, showCharts, place } from './harness.js';

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

async function openDesign(page, doc) {
  await page.getByTestId('file-input').setInputFiles({ name: 'design.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(doc)) });
  await page.waitForFunction((n) => document.querySelectorAll('g[data-node]').length === n, doc.nodes.length);
}

/** Sets an inspector field of the selected node, as a person types it. */
async function setField(page, name, value) {
  const field = page.getByTestId(`field-${name}`);
  await field.fill(value);
  await field.blur();
}

/** Errors by cause from the list's items ("rejected1,902/s"): { cause: rate },
 *  0 for the causes the list does not name (it names only those that
 *  occurred in the live window, or says "None in the last 5 s"). */
function causesOf(items) {
  const out = Object.fromEntries(['rejected', 'timeout', 'node down', 'no route', 'partition', 'overflow', 'client timeout'].map((c) => [c, 0]));
  for (const item of items) {
    if (/^None in the last \d s$/.test(item)) continue;
    const m = item.replace(/,/g, '').match(/^([a-z ]+?)(\d+(\.\d+)?)\/s$/);
    assert.ok(m, `a cause and its rate: ${item}`);
    out[m[1]] = Number(m[2]);
  }
  return out;
}
const causes = ['[data-testid="errors-by-cause"] li'];

/** Users at `rps` straight into one worker of 10 ms (100 requests/s). */
const oneWorker = (rps, server = {}, users = {}) => ({
  version: 2, name: 'One worker', seed: 5, duration_s: 86400, warmup_s: 0,
  nodes: [
    { id: 'users', kind: 'users', rps, x: 0, y: 100, ...users },
    { id: 'web', kind: 'web_server', workers: 1, service: { dist: 'constant', mean_ms: 10 }, queue_limit: null, timeout_ms: null, x: 260, y: 100, ...server },
  ],
  links: [{ from: 'users', to: 'web', latency_ms: 1 }],
});

test('a web server from the palette is bounded and says why; overloaded, it turns requests away at once', async () => {
  const { page, errors, context } = await open();
  assert.match(await page.locator('#about-web_server').textContent(), /at most 500 waiting requests and gives each 3 s.*overload shows as errors/);
  assert.match(await page.locator('#about-users').textContent(), /give up waiting for an answer after 10 s/);
  await choose(page, 'new-diagram');
  await page.waitForFunction(() => document.querySelectorAll('g[data-node]').length === 0);
  const area = await page.getByTestId('diagram').boundingBox();
  const users = await place(page, 'users', 120, area.height / 2);
  const web = await place(page, 'web_server', 480, area.height / 2);
  await page.getByTestId(`port-${users}`).dragTo(page.getByTestId(`node-${web}`));
  await page.waitForFunction((id) => !!document.querySelector(`[data-testid="${id}"]`), `link-${users}-${web}`);

  await page.getByTestId(`node-${web}`).click();
  assert.equal(await page.getByTestId('field-queue_limit').inputValue(), '500');
  assert.equal(await page.getByTestId('field-timeout_ms').inputValue(), '3000');
  await page.getByTestId(`node-${users}`).click();
  assert.equal(await page.getByTestId('field-client_timeout_ms').inputValue(), '10000');
  // 230,000 daily users at the default habits: 2,300 requests/s into a
  // "large" server (4 workers of 10 ms: 400/s).
  await setField(page, 'dau', '230000');
  const s = await settle(page, 4, { causes, p99: sel('metric-p99') });
  const c = causesOf(s.causes);
  // About 1,900 of the 2,300 each second are turned away; over the live
  // window (5 s) that rate is within a few percent.
  assert.ok(c.rejected > 1500 && c.rejected < 2300, `rejected at once: ${JSON.stringify(c)}`);
  assert.equal(c['client timeout'], 0, JSON.stringify(c));
  assert.equal(c.overflow, 0, JSON.stringify(c));
  // A full queue of 500 drains in about 1.25 s (1.4 s at the 99th
  // percentile): the longest anyone waits, well inside the 3 s timeout.
  assert.ok(numberIn(s.p99) < 2000, `p99 ${s.p99}`);
  assert.equal(await page.getByTestId('cap-reached').count(), 0);
  await screenshot(page, 'defaults-palette-overloaded');
  assert.deepEqual(errors, []);
  await context.close();
});

test('users give up after their client timeout: its own cause, a line in the log, and empty means they wait for ever', async () => {
  const { page, errors, context } = await open();
  // 150 requests/s into 100/s with an unbounded queue: the wait grows by half
  // a second every second.
  await openDesign(page, oneWorker(150));
  await page.getByTestId('node-users').click();
  assert.equal(await page.getByTestId('field-client_timeout_ms').inputValue(), '10000', 'absent from the file: the default');
  await setField(page, 'client_timeout_ms', '0');
  assert.match(await text(page, 'error-client_timeout_ms'), /more than 0/);
  await setField(page, 'client_timeout_ms', '1000');
  assert.equal(await page.getByTestId('error-client_timeout_ms').count(), 0);
  // From about 2 s on, every request has waited a second: all 150/s given up
  // on (the server still serves them, 100/s, and their answers are dropped).
  let s = await settle(page, 4, { causes });
  let c = causesOf(s.causes);
  assert.ok(c['client timeout'] > 50, `users give up: ${JSON.stringify(c)}`);
  assert.equal(c.timeout + c.rejected + c.overflow, 0, JSON.stringify(c));
  assert.match(await text(page, 'event-log'), /users: giving up on requests: no answer within the client timeout/);

  // Empty: the users wait for ever again, and nobody gives up.
  await setField(page, 'client_timeout_ms', '');
  assert.equal(await page.getByTestId('field-client_timeout_ms').inputValue(), '');
  s = await settle(page, 2, { causes });
  c = causesOf(s.causes);
  assert.equal(c['client timeout'], 0, JSON.stringify(c));
  assert.deepEqual(errors, []);
  await context.close();
});

test('the in-flight cap is named when a design reaches it, and a bounded design never does', async () => {
  const { page, errors, context } = await open();
  // A million requests/s into 100/s. With the palette's queue and timeout:
  // turned away at once, a few hundred in flight, no note.
  await openDesign(page, oneWorker(1_000_000, { queue_limit: 500, timeout_ms: 3000 }));
  let s = await settle(page, 2, { causes });
  let c = causesOf(s.causes);
  assert.ok(c.rejected > 500_000 && c.overflow === 0, JSON.stringify(c));
  assert.equal(await page.getByTestId('cap-reached').count(), 0);

  // Unbounded: half a million requests are in flight within half a second,
  // and the page says what that is.
  await openDesign(page, oneWorker(1_000_000));
  const note = page.getByTestId('cap-reached');
  await note.waitFor({ timeout: 90000 });
  assert.match(await note.textContent(), /500,000 requests are in flight together, so each new one fails immediately \(overflow\).*not part of your design.*Bound the queues and set timeouts/);
  s = await settle(page, 1, { causes });
  c = causesOf(s.causes);
  assert.ok(c.overflow > 500_000, JSON.stringify(c));
  assert.equal(await note.count(), 1, 'it stays while the cap turns requests away');
  await screenshot(page, 'defaults-cap-reached');
  assert.deepEqual(errors, []);
  await context.close();
});
