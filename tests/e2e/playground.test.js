// The playground, used the way a person uses it: with the mouse, and with the
// keyboard alone. Every assertion reads what is on screen.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSite, screenshot, text, numberIn, sleep, nodeIds, linkIds, notice, openRunning, simTime, simUntil, simFor, eventually, sel, nextSnapshot, settle, meanOver, frames, choose, showCharts } from './harness.js';

let site;
before(async () => {
  site = await startSite();
});
after(async () => {
  await site?.close();
});


const open = (options = {}) => openRunning(site, options);

/** Presses Tab (or Shift+Tab, if that is shorter) until the focused element
 *  matches `selector`: the keyboard only, as a person without a mouse would. */
async function tabTo(page, selector, max = 40) {
  const focused = () => page.evaluate((s) => !!document.activeElement?.matches(s), selector);
  // Which way is shorter, judged by document order.
  const back = await page.evaluate((s) => {
    const target = document.querySelector(s);
    const active = document.activeElement;
    if (!target || !active || active === document.body) return false;
    return !!(target.compareDocumentPosition(active) & Node.DOCUMENT_POSITION_FOLLOWING);
  }, selector);
  for (let i = 0; i < max; i++) {
    if (await focused()) return;
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
  }
  throw new Error(`could not Tab to ${selector}`);
}

test('live numbers appear, change while playing, freeze when paused; more users load the servers', async () => {
  const { page, errors, context } = await open();
  await showCharts(page);
  const t1 = await text(page, 'sim-time');
  assert.ok(numberIn(await text(page, 'metric-rps')) > 0);
  // However slowly this machine runs it, the clock moves on.
  await page.waitForFunction((t) => document.querySelector('[data-testid="sim-time"]')?.textContent.trim() !== t, t1);
  assert.notEqual(await text(page, 'sim-time'), t1, 'simulated time advances while playing');

  await page.getByTestId('play-toggle').click();
  assert.equal(await text(page, 'play-toggle'), 'Play');
  // Paused, nothing may change however long we look: after the frame that
  // saw the click, at least 1.2 s and 72 frames (1.2 s at 60 fps) of looking.
  await frames(page, 2);
  const frozen = await page.locator('.dashboard').innerText();
  const frozenNode = await page.getByTestId('node-web-1').textContent();
  const frozenClock = await text(page, 'sim-time');
  await Promise.all([sleep(1200), frames(page, 72)]);
  assert.equal(await page.locator('.dashboard').innerText(), frozen, 'the dashboard stands still while paused');
  assert.equal(await page.getByTestId('node-web-1').textContent(), frozenNode);
  assert.equal(await text(page, 'sim-time'), frozenClock, 'the clock stands still while paused');
  // Step advances a tenth of a second while paused. The first step also
  // publishes what ran between the last snapshot and the pause.
  await page.getByTestId('step').click();
  await page.waitForFunction((t) => document.querySelector('[data-testid="sim-time"]')?.textContent.trim() !== t, frozenClock);
  const before = await simTime(page);
  await page.getByTestId('step').click();
  await page.getByTestId('step').click();
  // Paused, only the steps move the clock: once it shows both it stays there.
  const stepped = await eventually(() => simTime(page), (t) => t >= before + 0.2 - 0.051, { what: 'the clock to show two steps', timeout: 10000, interval: 50 });
  assert.ok(Math.abs(stepped - (before + 0.2)) < 0.051, `two steps = 0.2 s: ${before} -> ${stepped}`);
  await page.getByTestId('play-toggle').click();

  // Turn the users up with the keyboard on the dial: utilisation rises.
  // web-1's utilisation (the diagram shows it over the live window), averaged over
  // 2 simulated seconds of snapshots.
  const util = () => meanOver(page, `${sel('node-web-1')} .node-kind`, 2);
  const utilBefore = await util();
  const dial = page.getByTestId('traffic');
  await dial.focus();
  // 40 steps of a log dial (100 a decade): 2.5 times the users.
  for (let i = 0; i < 40; i++) await page.keyboard.press('ArrowRight');
  await dial.dispatchEvent('change');
  const shown = await text(page, 'traffic-value');
  assert.ok(numberIn(shown.split('·')[1]) > 500, `dial now implies ${shown}`);
  // The same average once the live window starts after the change.
  await settle(page, 0);
  const utilAfter = await util();
  assert.ok(utilAfter > utilBefore * 1.5, `web-1 utilisation rose from ${utilBefore}% to ${utilAfter}%`);
  // The charts are drawn from the engine's per-second series.
  const caption = await page.getByTestId('chart-latency').locator('figcaption').textContent();
  assert.match(caption, /Latency, at \d+ seconds: p50 [\d.]+ ms, p95 [\d.]+ ms, p99 [\d.]+ ms/);
  const painted = await page.getByTestId('chart-throughput').locator('canvas').evaluate((c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let coloured = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i + 1] > d[i] + 40 && d[i + 1] > d[i + 2]) coloured++;
    return coloured;
  });
  assert.ok(painted > 50, `the ok line is drawn in green (${painted} pixels)`);
  await screenshot(page, 'playground-light');
  assert.deepEqual(errors, []);
  await context.close();
});

test('drag from the palette, undo, redo, click-to-place, connect by dragging a port, refused connection', async () => {
  const { page, errors, context } = await open();
  const start = await nodeIds(page);
  const area = await page.getByTestId('diagram').boundingBox();
  // Empty corners of the diagram (the starter design is fitted to the middle).
  await page.getByTestId('palette-web_server').dragTo(page.getByTestId('diagram'), { targetPosition: { x: area.width - 110, y: area.height - 45 } });
  await page.waitForFunction((n) => document.querySelectorAll('g[data-node]').length === n, start.length + 1);
  assert.ok((await nodeIds(page)).includes('web-3'));
  assert.match(await text(page, 'announcer'), /Added web server "web-3"/);

  await page.keyboard.press('Control+z');
  await page.waitForFunction((n) => document.querySelectorAll('g[data-node]').length === n, start.length);
  await page.keyboard.press('Control+Shift+z');
  await page.waitForFunction((n) => document.querySelectorAll('g[data-node]').length === n, start.length + 1);

  // Click a palette item, then click the diagram: placed where clicked.
  await page.getByTestId('palette-database').click();
  await page.getByTestId('diagram').click({ position: { x: 90, y: area.height - 45 } });
  await page.waitForFunction(() => !!document.querySelector('g[data-node="db-1"]'));

  // Connect web-3 to db by dragging from its port.
  await page.getByTestId('port-web-3').dragTo(page.getByTestId('node-db'));
  await page.waitForFunction(() => !!document.querySelector('[data-testid="link-web-3-db"]'));
  // And lb to web-3, so it takes traffic.
  await page.getByTestId('port-lb').dragTo(page.getByTestId('node-web-3'));
  await page.waitForFunction(() => !!document.querySelector('[data-testid="link-lb-web-3"]'));
  // 1.5 simulated seconds after the wiring, a snapshot wholly after it.
  const { load } = await settle(page, 1.5, { load: `${sel('node-web-3')} .node-kind` });
  assert.ok(numberIn(load) > 0, `the new server takes requests: ${load}`);

  // A connection that makes no sense is refused, with the reason.
  await page.getByTestId('port-users').dragTo(page.getByTestId('node-db-1'));
  assert.match(await notice(page), /Cannot connect users to db-1: users cannot call a database directly; put a web server in between/);
  assert.ok(!(await linkIds(page)).includes('link-users-db-1'));
  await screenshot(page, 'playground-edited');
  assert.deepEqual(errors, []);
  await context.close();
});

test('select, box-select, delete, copy and paste, undo of each', async () => {
  const { page, errors, context } = await open();
  const start = await nodeIds(page);
  await page.getByTestId('node-web-2').click();
  await page.keyboard.press('Delete');
  await page.waitForFunction(() => !document.querySelector('g[data-node="web-2"]'));
  assert.ok(!(await linkIds(page)).includes('link-lb-web-2'), 'its links go with it');
  await page.keyboard.press('Control+z');
  await page.waitForFunction(() => !!document.querySelector('[data-testid="link-lb-web-2"]'));

  // Box-select the two web servers (shift-drag on empty space), copy, paste.
  const box = await page.getByTestId('diagram').boundingBox();
  const w1 = await page.getByTestId('node-web-1').boundingBox();
  const w2 = await page.getByTestId('node-web-2').boundingBox();
  await page.keyboard.down('Shift');
  await page.mouse.move(w1.x - 15, w1.y - 15);
  await page.mouse.down();
  await page.mouse.move(w2.x + w2.width + 15, w2.y + w2.height + 15, { steps: 5 });
  await page.mouse.up();
  await page.keyboard.up('Shift');
  assert.match(await text(page, 'announcer'), /2 nodes selected/);
  await page.keyboard.press('Control+c');
  await page.keyboard.press('Control+v');
  await page.waitForFunction((n) => document.querySelectorAll('g[data-node]').length === n, start.length + 2);
  const after = await nodeIds(page);
  assert.ok(after.includes('web-3') && after.includes('web-4'), after.join());
  await page.keyboard.press('Control+z');
  await page.waitForFunction((n) => document.querySelectorAll('g[data-node]').length === n, start.length);
  assert.deepEqual(errors, []);
  await context.close();
});

test('keyboard only: build users -> load balancer -> two web servers from an empty diagram', async () => {
  const { page, errors, context } = await open();
  // New sits in the File menu: Enter opens it on its first command.
  await tabTo(page, '[data-testid="file-menu"]');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.activeElement?.dataset.testid === 'new-diagram');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelectorAll('g[data-node]').length === 0);

  const add = async (kind, id) => {
    await tabTo(page, `[data-testid="palette-${kind}"]`);
    await page.keyboard.press('Enter');
    await page.waitForFunction((i) => document.activeElement?.getAttribute('data-node') === i, id);
  };
  const connect = async (from, to) => {
    await tabTo(page, `g[data-node="${from}"]`);
    await page.keyboard.press('c');
    await tabTo(page, `g[data-node="${to}"]`);
    await page.keyboard.press('Enter');
    await page.waitForFunction(([f, t]) => !!document.querySelector(`[data-testid="link-${f}-${t}"]`), [from, to]);
  };
  await add('users', 'users-1');
  await page.keyboard.press('ArrowUp'); // arrows move the focused node
  await add('load_balancer', 'lb-1');
  await add('web_server', 'web-1');
  await add('web_server', 'web-2');
  await connect('users-1', 'lb-1');
  await connect('lb-1', 'web-1');
  await connect('lb-1', 'web-2');
  assert.deepEqual(await linkIds(page), ['link-lb-1-web-1', 'link-lb-1-web-2', 'link-users-1-lb-1']);
  assert.match(await text(page, 'announcer'), /Connected lb-1 to web-2/);
  // 2 simulated seconds after the last wire, a snapshot wholly after it; both
  // servers read from that same snapshot.
  const seen = await settle(page, 2, { 'web-1': `${sel('node-web-1')} .node-kind`, 'web-2': `${sel('node-web-2')} .node-kind` });
  for (const id of ['web-1', 'web-2']) {
    assert.match(await page.getByTestId(`node-${id}`).getAttribute('aria-label'), /web server .*busy/);
    assert.ok(numberIn(seen[id]) > 0, `${id} is serving: ${seen[id]} at ${seen.t} s`);
  }
  // The help lists the shortcuts.
  await page.keyboard.press('?');
  await page.getByTestId('help-dialog').waitFor();
  await page.keyboard.press('Escape');
  await screenshot(page, 'playground-keyboard-built');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a parameter edit changes the numbers; bad input is refused inline; failing a node shows errors, recovering clears them', async () => {
  const { page, errors, context } = await open();
  await showCharts(page);
  await page.getByTestId('node-web-1').click();
  const workers = page.getByTestId('field-workers');
  await workers.fill('0');
  await workers.press('Enter');
  await workers.blur();
  assert.match(await text(page, 'error-workers'), /at least 1/);
  assert.equal((await page.getByTestId('node-web-1').getAttribute('aria-label')).includes('web server'), true);

  // (The refused edit left the run alone.) Before: the live figure averaged
  // over 1.5 simulated seconds of snapshots. After: once the live window
  // (the last 5 whole seconds) lies wholly after the change.
  const utilBefore = await meanOver(page, sel('live-utilization'), 1.5);
  await workers.fill('1');
  await workers.blur();
  const utilAfter = numberIn((await settle(page, 2.5, { util: sel('live-utilization') })).util);
  assert.ok(utilAfter > utilBefore * 3, `one worker instead of eight: ${utilBefore}% -> ${utilAfter}%`);
  await workers.fill('8');
  await workers.blur();

  await page.getByTestId('fault-fail').click();
  // While web-1 is down and before the balancer's probes (every 2 s, 3 in a
  // row) take it out of rotation: a snapshot wholly after the failure,
  // ending about 1.2 to 2 simulated seconds after it.
  const { causes } = await settle(page, 1.2, { causes: sel('errors-by-cause') });
  assert.ok(numberIn(causes.split('node down')[1]) > 0, `node_down errors while failed: ${causes}`);
  assert.match(await page.getByTestId('node-web-1').textContent(), /DOWN/);
  assert.match(await text(page, 'event-log'), /web-1 failed/);
  await screenshot(page, 'playground-node-down');

  await page.getByTestId('fault-recover').click();
  // 1.5 simulated seconds after the recovery, a snapshot wholly after it.
  const after = await settle(page, 1.5, { causes: sel('errors-by-cause') });
  assert.equal(after.causes, 'None in the last 5 s', `no errors after recovery: ${after.causes}`);
  assert.match(await text(page, 'event-log'), /web-1 recovered/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('with reduced motion, flow is shown as link thickness and counters', async () => {
  const { page, errors, context } = await open({ reducedMotion: 'reduce', colorScheme: 'dark' });
  assert.equal(await text(page, 'animation-toggle'), 'Show animation');
  // A simulated second into the run, the label of a fresh snapshot.
  await simUntil(page, 1);
  const flow = await nextSnapshot(page, { label: `${sel('link-users-lb')} .flow-label` });
  const label = flow.label;
  assert.ok(numberIn(label) > 100, `users -> lb carries ${label}`);
  const width = Number(await page.getByTestId('link-users-lb').locator('.link-line').getAttribute('stroke-width'));
  assert.ok(width > 3, `a busy link is drawn thick (${width})`);
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(bg, 'rgb(17, 20, 26)', 'dark palette');
  await screenshot(page, 'playground-dark-reduced-motion');
  assert.deepEqual(errors, []);
  await context.close();
});

test('charts follow a theme switch while paused', async () => {
  const { page, errors, context } = await open({ colorScheme: 'light' });
  await showCharts(page);
  // Charts with a few seconds of the per-second series on them.
  await simUntil(page, 1.2);
  await page.getByTestId('play-toggle').click();
  const corner = () => page.getByTestId('chart-latency').locator('canvas').evaluate((c) => Array.from(c.getContext('2d').getImageData(2, 2, 1, 1).data));
  const light = await corner();
  await choose(page, 'theme-toggle'); // system (light here) -> dark
  await page.waitForFunction(() => document.documentElement.getAttribute('data-theme') === 'dark');
  // Paused: nothing else draws, so wait for the repaint itself.
  const dark = await eventually(corner, (px) => px[0] < 60, { what: 'the chart repainted dark', timeout: 10000, interval: 50 });
  assert.ok(light[0] > 200 && dark[0] < 60, `chart background went from ${light} to ${dark}`);
  assert.deepEqual(errors, []);
  await context.close();
});

test('fits a 900 x 600 frame: no sideways scrolling, the diagram and controls in view', async () => {
  const { page, errors, context } = await open({ viewport: { width: 900, height: 600 } });
  const [scrollWidth] = await page.evaluate(() => [document.documentElement.scrollWidth]);
  assert.ok(scrollWidth <= 900, `page is ${scrollWidth} px wide`);
  const diagram = await page.getByTestId('diagram').boundingBox();
  assert.ok(diagram.height >= 300 && diagram.width >= 450, `diagram ${diagram.width} x ${diagram.height}`);
  // Below 920 px the toolbar is Play, the dial and "☰" for the rest.
  for (const id of ['play-toggle', 'traffic', 'traffic-users', 'more']) {
    const box = await page.getByTestId(id).boundingBox();
    assert.ok(box && box.y >= 0 && box.y + box.height <= 600 && box.x + box.width <= 900, `${id} in view: ${JSON.stringify(box)}`);
  }
  // Every node of the starter design is inside the diagram after fitting.
  for (const id of ['users', 'lb', 'web-1', 'web-2', 'db']) {
    const box = await page.getByTestId(`node-${id}`).boundingBox();
    assert.ok(box.x >= diagram.x && box.x + box.width <= diagram.x + diagram.width, `${id} inside horizontally`);
  }
  await screenshot(page, 'playground-900x600');
  assert.deepEqual(errors, []);
  await context.close();
});

test('after a minute of simulated time the headline numbers carry 95% intervals from batch means', async () => {
  const { page, errors, context } = await open();
  assert.equal(await text(page, 'metric-p99-interval'), '', 'no interval before five 10 s batches');
  await page.getByTestId('speed').selectOption('25');
  // 62 simulated seconds, however long they take here.
  await simUntil(page, 62);
  await page.getByTestId('metric-p99-interval').filter({ hasText: '±' }).waitFor();
  const p99 = await text(page, 'metric-p99-interval');
  const m = p99.match(/^([\d.,]+) ms ± ([\d.,]+) ms, last (\d+) s$/);
  assert.ok(m, `p99 interval reads "${p99}"`);
  const [mean, half, span] = [numberIn(m[1]), numberIn(m[2]), Number(m[3])];
  assert.ok(span >= 50 && span % 10 === 0, `batches of 10 s: ${span}`);
  assert.ok(mean > 0 && half >= 0 && half < mean, `${mean} ± ${half}`);
  assert.match(await text(page, 'metric-p50-interval'), /^mean [\d.,]+ ms ± [\d.,]+ ms, last \d+ s$/);
  // A share gets a range inside 0-100%, not a ± that can run below zero.
  const errorsNote = await text(page, 'metric-errors-interval');
  const e = errorsNote.match(/^([<\d.]+)% \(95%: ([<\d.]+)–([<\d.]+)%\), last (\d+) s$/);
  assert.ok(e, `errors interval reads "${errorsNote}"`);
  const [est, low, high] = e.slice(1, 4).map((x) => (x.startsWith('<') ? 0 : Number(x)));
  assert.ok(low >= 0 && low <= est && est <= high && high <= 100, errorsNote);
  await screenshot(page, 'playground-intervals');
  assert.deepEqual(errors, []);
  await context.close();
});

/** A chart's caption, read as a screen reader reads it: its window, the
 *  latest value of each line, and each line's range over the window
 *  ("From lowest to highest: web server 12.0 to 88.0 %, workers 40.0 to 100 %."). */
async function readChart(page, id) {
  const figure = page.getByTestId(id);
  const windowNote = (await figure.locator('.chart-window').textContent()).trim();
  const caption = (await figure.locator('figcaption').textContent()).trim();
  const ranges = caption.split('From lowest to highest: ')[1];
  assert.ok(ranges, `${id} reads its ranges: "${caption}"`);
  const lines = ranges.replace(/\.$/, '').split(', ').map((item) => {
    const m = item.match(/^(.+?) (-?[\d.,]+)(?: to (-?[\d.,]+))?(?: (\S+))?$/);
    assert.ok(m, `${id}: "${item}" in "${caption}"`);
    const lo = numberIn(m[2]);
    return { name: m[1], lo, hi: m[3] === undefined ? lo : numberIn(m[3]) };
  });
  return { windowNote, caption, lines };
}

test('lesson 13 under autoscaling: utilisation stays within 100%; each chart names its lines and states its window', async () => {
  const { page, errors, context } = await site.openPage('/?lesson=13');
  await page.getByTestId('app-ready').waitFor({ timeout: 60000 });
  await showCharts(page);
  // The photo workers boot in 5 s and may shrink 10 s after the load falls:
  // the pool grows while the backlog is long, then lets machines go while
  // every worker is still busy finishing a job (where a pool read 162%
  // before, busy time over the size it had shrunk to).
  await page.getByTestId('node-photo-workers').click();
  await page.getByTestId('node-panel').waitFor();
  for (const [field, value] of [['field-autoscale-boot_s', '5'], ['field-autoscale-cooldown_s', '10']]) {
    await page.getByTestId(field).fill(value);
    await page.getByTestId(field).blur();
  }
  await page.getByTestId('speed').selectOption('100');
  await page.waitForFunction(() => /photo-workers: scaling in/.test(document.querySelector('[data-testid="event-log"]')?.textContent ?? ''), null, { timeout: 600000, polling: 'raf' });
  // A few seconds on, so the seconds of the scale-in are on the charts.
  await simFor(page, 3, 600000);
  await page.getByTestId('play-toggle').click();

  const util = await readChart(page, 'chart-utilization');
  // One line per kind that has workers (NoSQL stores too, which the chart once left out).
  assert.deepEqual(util.lines.map((l) => l.name), ['web server', 'cache', 'database', 'NoSQL store', 'workers'], util.caption);
  for (const l of util.lines) assert.ok(l.lo >= 0 && l.hi <= 100, `${l.name} within 0-100%: ${util.caption}`);
  const workers = util.lines.find((l) => l.name === 'workers');
  assert.ok(workers.hi >= 90, `the pool was busy, as much as it could be, at times: ${util.caption}`);

  // Every chart on the dashboard: its window on screen, and a name for each
  // line (the legend draws what the caption names; charts.rs tests that).
  const t = await simTime(page);
  const expected = {
    'chart-throughput': ['goodput', 'failed'],
    'chart-latency': ['p50', 'p95', 'p99'],
    'chart-utilization': ['web server', 'cache', 'database', 'NoSQL store', 'workers'],
    'chart-backlog': ['queue'],
  };
  const ids = await page.locator('.dashboard figure.chart').evaluateAll((els) => els.map((e) => e.dataset.testid));
  assert.ok(ids.length >= 6, `charts: ${ids}`);
  const nodes = await nodeIds(page);
  for (const id of ids) {
    const chart = await readChart(page, id);
    const m = chart.windowNote.match(/^One point per simulated second, last (\d+) s$/);
    assert.ok(m && Math.abs(Number(m[1]) - Math.min(600, t)) <= 2, `${id} states its window: "${chart.windowNote}" at ${t} s`);
    const names = chart.lines.map((l) => l.name);
    assert.equal(new Set(names).size, names.length, `${id}: ${names}`);
    if (expected[id]) assert.deepEqual(names, expected[id], chart.caption);
    else if (id === 'chart-errors') {
      // Only causes that failed a request in the window are named.
      for (const l of chart.lines) assert.ok(l.name === 'all causes' || l.hi > 0, `${id} names ${l.name}, which never occurred: ${chart.caption}`);
    } else {
      // Per-node charts: one line per node of the diagram.
      for (const name of names) assert.ok(nodes.includes(name), `${id}: ${name} is a node (${nodes})`);
    }
  }
  await screenshot(page, 'playground-lesson-13-charts');
  assert.deepEqual(errors, []);
  await context.close();
});

test('users in several regions get a per-region table: far from every data center means slower', async () => {
  const plain = await open();
  await showCharts(plain.page);
  assert.equal(await plain.page.getByTestId('regions').count(), 0, 'no regions, no table');
  await plain.context.close();
  const { page, errors, context } = await site.openPage('/?lesson=9');
  await page.getByTestId('app-ready').waitFor({ timeout: 60000 });
  await showCharts(page);
  await page.getByTestId('regions').waitFor({ timeout: 60000 });
  await page.getByTestId('speed').selectOption('5');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="regions"] tbody tr').length === 4, null, { timeout: 60000 });
  const labels = await page.locator('[data-testid="regions"] tbody th').allTextContents();
  assert.deepEqual(labels, ['North America (east)', 'North America (west)', 'Europe', 'Asia']);
  // 7.5 simulated seconds on (1.5 s at 5x), both rows from one snapshot wholly at 5x.
  const cells = (r) => [`${sel(`region-${r}`)} td`];
  const { eu, asia } = await settle(page, 7.5, { eu: cells('eu'), asia: cells('asia') });
  assert.ok(numberIn(asia[0]) > 0 && numberIn(eu[0]) > numberIn(asia[0]), `35% of users in Europe, 15% in Asia: ${eu[0]} vs ${asia[0]}`);
  assert.ok(numberIn(asia[2]) > numberIn(eu[2]) + 50, `Asia's median ${asia[2]} is far above Europe's ${eu[2]}`);
  await screenshot(page, 'playground-regions');
  assert.deepEqual(errors, []);
  await context.close();
});
