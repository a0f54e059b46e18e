// The components of the journey, placed from the palette and wired by hand
// the way a learner does it, then read on the dashboard and in the inspector.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSite, screenshot, text, numberIn, openRunning, simUntil, simFor, sel, nextSnapshot, settle, meanOver, showCharts, place } from './harness.js';

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

async function connect(page, from, to) {
  await page.getByTestId(`port-${from}`).dragTo(page.getByTestId(`node-${to}`));
  await page.waitForFunction((id) => !!document.querySelector(`[data-testid="${id}"]`), `link-${from}-${to}`);
}

test('a cache placed between the web servers and the database takes reads off the database', async () => {
  const { page, errors, context } = await open();
  await page.getByTestId('fit').click();
  // The database's load, averaged over 1.5 simulated seconds of snapshots.
  const dbLoad = async () => {
    await page.getByTestId('node-db').click();
    return meanOver(page, sel('live-throughput'), 1.5);
  };
  const dbBefore = await dbLoad();
  assert.equal(await page.getByTestId('chart-hit-ratio').count(), 0, 'no cache, no hit-ratio chart');
  const area = await page.getByTestId('diagram').boundingBox();
  const cache = await place(page, 'cache', area.width - 120, area.height - 50);
  assert.equal(cache, 'cache-1');
  await connect(page, 'web-1', cache);
  await connect(page, 'web-2', cache);
  // The hit-ratio chart appears only now that the design has a cache.
  await page.getByTestId('chart-hit-ratio').waitFor();
  // Speed up so the cold cache fills: 100,000 keys, the popular ones first;
  // 30 simulated seconds of it, however long they take here (a loaded
  // machine drops frames, and each frame makes up at most 100 ms: a higher
  // speed gets there sooner).
  await page.getByTestId('speed').selectOption('25');
  await simFor(page, 30);
  await page.getByTestId('speed').selectOption('1');
  await page.getByTestId(`node-${cache}`).click();
  // The hit ratio (over the live window, the last 5 whole seconds), averaged
  // over the next 2 simulated seconds at 1x, after the 30 s of warm-up.
  const hits = await meanOver(page, sel('live-hit-ratio'), 2);
  assert.ok(hits > 30, `the cache answers reads: ${hits}% hits`);
  const dbAfter = await dbLoad();
  assert.ok(dbAfter < dbBefore * 0.8, `database load fell from ${dbBefore}/s to ${dbAfter}/s`);
  assert.match(await text(page, 'metric-cost'), /^\$[\d,]+\/month$/);
  const caption = await page.getByTestId('chart-hit-ratio').locator('figcaption').textContent();
  assert.match(caption, /Cache hit ratio, at \d+ seconds: cache-1 [\d.]+ %/);

  // Flushing the cache: the next seconds miss more.
  await page.getByTestId(`node-${cache}`).click();
  await page.getByTestId('fault-flush').click();
  assert.match(await text(page, 'notice'), /cache-1 flushed: it starts cold/);
  await screenshot(page, 'component-cache');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a read replica takes the reads; failing the primary promotes it and counts lost writes', async () => {
  const { page, errors, context } = await open();
  await page.getByTestId('fit').click();
  const area = await page.getByTestId('diagram').boundingBox();
  const replica = await place(page, 'database', area.width - 120, area.height - 50);
  assert.equal(replica, 'db-1');
  await connect(page, 'db', replica);
  await connect(page, 'web-1', replica);
  await connect(page, 'web-2', replica);
  await page.getByTestId(`node-${replica}`).click();
  // 2.5 simulated seconds on, a snapshot that covers only time after the wiring.
  const { served } = await settle(page, 2.5, { served: sel('live-throughput') });
  assert.ok(numberIn(served) > 100, `the replica serves the reads: ${served}`);
  assert.match(await text(page, 'live-replication-lag'), /ms$/);
  await page.getByTestId('chart-replication-lag').waitFor();
  assert.equal(await text(page, 'metric-lost-writes'), '0');

  // The replica's failover settings live on the primary.
  await page.getByTestId('node-db').click();
  const failover = page.getByTestId('field-failover_s');
  await failover.fill('2');
  await failover.press('Enter');
  await failover.dispatchEvent('change');
  await page.getByTestId('fault-fail').click();
  // Promotion comes 2 simulated seconds after the failure: no wall deadline of its own.
  await page.waitForFunction(() => /promoted to primary/.test(document.querySelector('[data-testid="event-log"]')?.textContent ?? ''), null, { timeout: 90000 });
  const lost = numberIn(await text(page, 'metric-lost-writes'));
  assert.ok(lost >= 0, `lost writes shown: ${lost}`);
  assert.match(await text(page, 'event-log'), /db-1 promoted to primary in place of db; \d+ acknowledged writes that had not reached it are lost/);
  // 1.5 simulated seconds after the promotion, in a snapshot that starts after it.
  const { errs } = await settle(page, 1.5, { errs: sel('metric-errors') });
  assert.ok(numberIn(errs) < 1, `after the promotion the site works again: ${errs}`);
  await screenshot(page, 'component-replica');
  assert.deepEqual(errors, []);
  await context.close();
});

test('health checks take a dead server out of rotation; async waiting is a setting', async () => {
  const { page, errors, context } = await open();
  await page.getByTestId('node-lb').click();
  assert.equal(await page.getByTestId('field-health_check').isChecked(), true, 'balancers probe by default');
  await page.getByTestId('node-web-2').click();
  // Probes every 2 simulated seconds, 3 in a row: 4 to 6 simulated seconds,
  // run at 10x (the reading below then covers 2.5 simulated seconds, not 0.25).
  await page.getByTestId('speed').selectOption('10');
  await page.getByTestId('fault-fail').click();
  await page.waitForFunction(() => /web-2 failed 3 health checks in a row; taken out of rotation/.test(document.querySelector('[data-testid="event-log"]')?.textContent ?? ''), null, { timeout: 90000 });
  // 1.5 simulated seconds later, in a snapshot that starts after it was taken out.
  const { errs } = await settle(page, 1.5, { errs: sel('metric-errors') });
  assert.ok(numberIn(errs) < 1, `errors stop once the dead server is out: ${errs}`);

  await page.getByTestId('node-web-1').click();
  await page.getByTestId('field-waiting').selectOption('async');
  assert.match(await text(page, 'notice'), /web-1: while calling set to async/);
  await page.getByTestId('field-size').selectOption('2xlarge');
  // The cost is what the node costs as it runs: read from a snapshot taken after the change.
  const { cost } = await nextSnapshot(page, { cost: sel('live-cost') });
  assert.equal(await page.getByTestId('field-workers').inputValue(), '16', 'the size sets the workers');
  assert.match(cost, /\$560\/month/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a message queue and a worker pool take the jobs; the backlog is charted', async () => {
  const { page, errors, context } = await open();
  await page.getByTestId('fit').click();
  const area = await page.getByTestId('diagram').boundingBox();
  const queue = await place(page, 'queue', area.width - 300, area.height - 50);
  const pool = await place(page, 'workers', area.width - 120, area.height - 50);
  assert.deepEqual([queue, pool], ['queue-1', 'workers-1']);
  await connect(page, 'web-1', queue);
  await connect(page, 'web-2', queue);
  await connect(page, queue, pool);
  // Half the requests become jobs (photo processing, say).
  await page.getByTestId('node-users').click();
  const jobs = page.getByTestId('field-mix-job');
  await jobs.fill('1');
  await jobs.dispatchEvent('change');
  await page.getByTestId('chart-backlog').waitFor();
  await page.getByTestId(`node-${pool}`).click();
  // Workers only answer: neither a port on the diagram nor "Connect to…" in the inspector.
  await page.getByTestId('node-panel').waitFor();
  assert.equal(await page.getByTestId(`port-${pool}`).count(), 0, 'a worker pool has no output port');
  assert.equal(await page.getByTestId('connect-from').count(), 0, 'nor a "Connect to…" button');
  // 3 simulated seconds after the jobs started, a snapshot wholly after the change.
  const { busy } = await settle(page, 3, { busy: sel('live-utilization') });
  assert.ok(numberIn(busy) > 10, `the workers are busy: ${busy}`);
  await page.getByTestId(`node-${queue}`).click();
  assert.equal(await page.getByTestId('connect-from').count(), 1, 'a queue links on to its workers: "Connect to…" is offered');
  // The backlog is the queue's length now; read it with the clock of the same snapshot.
  const first = await nextSnapshot(page, { backlog: sel('live-backlog') });
  assert.match(first.backlog, /^[\d,]+ jobs$/);
  // 4 workers of 200 ms take 20 jobs/s; about 150/s arrive, so the backlog grows:
  // 1.5 simulated seconds later it is longer.
  await simUntil(page, first.t + 1.5);
  const later = await nextSnapshot(page, { backlog: sel('live-backlog'), errs: sel('metric-errors') });
  assert.ok(numberIn(later.backlog) > numberIn(first.backlog), `the backlog grows: ${first.backlog} at ${first.t} s, ${later.backlog} at ${later.t} s`);
  assert.ok(numberIn(later.errs) < 1, `users are answered at once: ${later.errs}`);
  await screenshot(page, 'component-queue');
  assert.deepEqual(errors, []);
  await context.close();
});

test('shards behind a shard router share the load; adding a shard reports the keys that move; local sessions are counted', async () => {
  const { page, errors, context } = await open();
  await page.getByTestId('node-db').click();
  await page.keyboard.press('Delete');
  await page.waitForFunction(() => !document.querySelector('g[data-node="db"]'));
  await page.getByTestId('fit').click();
  const area = await page.getByTestId('diagram').boundingBox();
  const router = await place(page, 'shard_router', area.width - 330, area.height - 60);
  const a = await place(page, 'database', area.width - 120, 60);
  const b = await place(page, 'database', area.width - 120, area.height - 60);
  // A node dropped where another sits lands beside it, maybe out of view: frame them all.
  await page.getByTestId('fit').click();
  await connect(page, 'web-1', router);
  await connect(page, 'web-2', router);
  await connect(page, router, a);
  await connect(page, router, b);
  // 2 simulated seconds after the wiring, then each shard's load over a
  // simulated second of snapshots wholly after it.
  await settle(page, 2);
  for (const shard of [a, b]) {
    await page.getByTestId(`node-${shard}`).click();
    const share = await meanOver(page, sel('live-throughput'), 1);
    assert.ok(share > 50, `${shard} takes its share: ${share}/s`);
  }
  const c = await place(page, 'database', area.width - 330, 60);
  await page.getByTestId('fit').click();
  await connect(page, router, c);
  await page.waitForFunction(() => /2 -> 3 shards with modulo: 67% of the keys move/.test(document.querySelector('[data-testid="event-log"]')?.textContent ?? ''));

  // Local sessions: with sticky balancing a user always returns to the same
  // server, so no session is lost; with round robin they bounce and lose it.
  await page.getByTestId('node-lb').click();
  await page.getByTestId('field-algorithm').selectOption('sticky');
  for (const web of ['web-1', 'web-2']) {
    await page.getByTestId(`node-${web}`).click();
    await page.getByTestId('field-sessions').selectOption('local');
  }
  await page.getByTestId('metric-sessions-lost').waitFor();
  await page.getByTestId('speed').selectOption('25');
  // 20 simulated seconds of sticky balancing (the count is since the start).
  await simFor(page, 20);
  assert.equal(numberIn(await text(page, 'metric-sessions-lost')), 0, 'sticky: nobody loses a session');
  await page.getByTestId('node-lb').click();
  await page.getByTestId('field-algorithm').selectOption('round_robin');
  // And 20 of round robin.
  await simFor(page, 20);
  assert.ok(numberIn(await text(page, 'metric-sessions-lost')) > 0, 'round robin: users bounce between servers and lose their sessions');
  await screenshot(page, 'component-shards');
  assert.deepEqual(errors, []);
  await context.close();
});

test('an autoscaling group grows with the traffic; a traffic spike is a setting of the users', async () => {
  const { page, errors, context } = await open();
  await page.getByTestId('node-web-1').click();
  await page.getByTestId('field-autoscale').check();
  await page.getByTestId('live-machines').waitFor();
  const { machines } = await nextSnapshot(page, { machines: sel('live-machines') });
  assert.match(machines, /^2 running/);
  assert.equal(await page.getByTestId('field-autoscale-max').inputValue(), '10');
  // Ten times the users, at 25x speed so the 30 s boot passes quickly.
  await page.getByTestId('traffic').evaluate((el) => {
    el.value = String(Number(el.value) + 100);
    el.dispatchEvent(new Event('change', { bubbles: true }));
  });
  await page.getByTestId('speed').selectOption('25');
  // Conditions the simulation reaches in its own time (a 30 s boot): wall
  // deadlines generous enough for a machine far slower than real time.
  await page.waitForFunction(() => /web-1: scaling out/.test(document.querySelector('[data-testid="event-log"]')?.textContent ?? ''), null, { timeout: 90000 });
  await page.getByTestId('node-web-1').click();
  await page.waitForFunction(() => {
    const t = document.querySelector('[data-testid="live-machines"]')?.textContent ?? '';
    return Number(t.match(/^(\d+)/)?.[1] ?? 0) > 2;
  }, null, { timeout: 90000 });
  assert.match(await page.getByTestId('node-web-1').locator('.node-kind').textContent(), /^×\d+/);
  await screenshot(page, 'component-autoscaling');

  await page.getByTestId('node-users').click();
  await page.getByTestId('field-profile-shape').selectOption('spike');
  await page.getByTestId('field-profile-multiplier').waitFor();
  assert.equal(await page.getByTestId('field-profile-multiplier').inputValue(), '5');
  assert.deepEqual(errors, []);
  await context.close();
});

test('DNS in front of the balancer: users resolve the name, then connect', async () => {
  const { page, errors, context } = await open();
  // Click the middle of the wire (a curve: the middle of its box may miss it).
  const mid = await page.getByTestId('link-users-lb').locator('.link-hit').evaluate((path) => {
    const p = path.getPointAtLength(path.getTotalLength() / 2);
    const m = path.getScreenCTM();
    return { x: p.x * m.a + p.y * m.c + m.e, y: p.x * m.b + p.y * m.d + m.f };
  });
  await page.mouse.click(mid.x, mid.y);
  assert.match(await text(page, 'announcer'), /Link from users to lb selected/);
  await page.keyboard.press('Delete');
  await page.waitForFunction(() => !document.querySelector('[data-testid="link-users-lb"]'));
  await page.getByTestId('fit').click();
  const area = await page.getByTestId('diagram').boundingBox();
  const dns = await place(page, 'dns', 120, area.height - 50);
  assert.equal(dns, 'dns-1');
  await connect(page, 'users', dns);
  await connect(page, dns, 'lb');
  await page.getByTestId(`node-${dns}`).click();
  assert.equal(await page.getByTestId('field-ttl_s').inputValue(), '60');
  // 1.5 simulated seconds after the wiring, a snapshot wholly after it.
  const now = await settle(page, 1.5, { through: sel('live-throughput'), errs: sel('metric-errors') });
  assert.ok(numberIn(now.through) > 100, `requests pass through DNS: ${now.through}`);
  assert.ok(numberIn(now.errs) < 1, now.errs);
  await screenshot(page, 'component-dns');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a CDN takes the static files; failing it falls back to the origin', async () => {
  const { page, errors, context } = await open();
  await page.getByTestId('fit').click();
  const area = await page.getByTestId('diagram').boundingBox();
  const cdn = await place(page, 'cdn', 120, area.height - 50);
  assert.equal(cdn, 'cdn-1');
  await connect(page, 'users', cdn);
  await connect(page, cdn, 'lb');
  await page.getByTestId('chart-cdn-hit-ratio').waitFor();
  await page.getByTestId('speed').selectOption('10');
  await page.getByTestId(`node-${cdn}`).click();
  // 25 simulated seconds at 10x for the edges to fill, then a snapshot wholly after them.
  const { edge } = await settle(page, 25, { edge: sel('live-hit-ratio') });
  assert.ok(numberIn(edge) > 20, `static files come from the edge: ${edge}`);
  assert.match(await page.getByTestId(`node-${cdn}`).locator('.node-kind').textContent(), /% from the edge/);
  await page.getByTestId('fault-fail').click();
  // 15 simulated seconds after the failure (still 10x), a snapshot wholly after it.
  const { errs } = await settle(page, 15, { errs: sel('metric-errors') });
  assert.ok(numberIn(errs) < 1, `falls back to the origin: ${errs}`);
  await screenshot(page, 'component-cdn');
  assert.deepEqual(errors, []);
  await context.close();
});

test('data centers in regions: nodes placed in them, users far away pay the distance, an outage takes a center down', async () => {
  const { page, errors, context } = await open();
  const area = await page.getByTestId('diagram').boundingBox();
  await page.getByTestId('diagram').click({ position: { x: 20, y: area.height - 20 } }); // nothing selected: the overview
  await page.getByTestId('add-dc').click();
  await page.getByTestId('add-dc').click();
  await page.getByTestId('dc-region-dc-2').selectOption('eu');
  for (const [node, dc] of [['lb', 'dc-1'], ['web-1', 'dc-1'], ['web-2', 'dc-1'], ['db', 'dc-1']]) {
    await page.getByTestId(`node-${node}`).click();
    await page.getByTestId('field-dc').selectOption(dc);
  }
  await page.getByTestId('dc-area-dc-1').waitFor();
  assert.match(await page.getByTestId('dc-area-dc-1').textContent(), /dc-1 · North America \(east\)/);
  // Each p50 is read 1.5 / 2 simulated seconds after its change, from a
  // snapshot that covers only time after it.
  const near = numberIn((await settle(page, 1.5, { p50: sel('metric-p50') })).p50);
  // The users move to Europe: every request crosses the ocean both ways.
  await page.getByTestId('node-users').click();
  await page.getByTestId('field-regions').fill('eu 100');
  await page.getByTestId('field-regions').dispatchEvent('change');
  const far = numberIn((await settle(page, 2, { p50: sel('metric-p50') })).p50);
  assert.ok(far > near + 60, `p50 from ${near} ms to ${far} ms`);
  // A bad region is refused with a suggestion; the design keeps its regions.
  await page.getByTestId('field-regions').fill('europe 100');
  await page.getByTestId('field-regions').dispatchEvent('change');
  assert.match(await text(page, 'error-regions'), /did you mean "eu"/);

  await page.getByTestId('diagram').click({ position: { x: 20, y: area.height - 20 } });
  assert.match(await text(page, 'alert-rules'), /high error rate: error rate above 1% for 10 s/);
  await page.getByTestId('dc-cut-dc-1').click();
  await page.waitForFunction(() => /network partition: dc-1 and dc-2 cannot reach each other/.test(document.querySelector('[data-testid="event-log"]')?.textContent ?? ''));
  await page.getByTestId('dc-heal-dc-1').click();
  await page.getByTestId('dc-fail-dc-1').click();
  await page.waitForFunction(() => /data center dc-1: outage/.test(document.querySelector('[data-testid="event-log"]')?.textContent ?? ''));
  assert.match(await page.getByTestId('node-web-1').locator('.node-kind').textContent(), /DOWN/);
  await screenshot(page, 'component-data-centers');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a NoSQL store keeps shared sessions, so any server can take any user', async () => {
  const { page, errors, context } = await open();
  await page.getByTestId('fit').click();
  const area = await page.getByTestId('diagram').boundingBox();
  const store = await place(page, 'nosql', area.width - 120, area.height - 50);
  assert.equal(store, 'nosql-1');
  await connect(page, 'web-1', store);
  await connect(page, 'web-2', store);
  for (const web of ['web-1', 'web-2']) {
    await page.getByTestId(`node-${web}`).click();
    await page.getByTestId('field-sessions').selectOption('shared');
  }
  await page.getByTestId(`node-${store}`).click();
  // 2 simulated seconds after the change, a snapshot wholly after it.
  const { reads } = await settle(page, 2, { reads: sel('live-throughput') });
  assert.ok(numberIn(reads) > 100, `every request reads its session: ${reads}`);
  assert.equal(await page.getByTestId('metric-sessions-lost').count(), 0, 'no local sessions, nothing to lose');
  assert.match(await page.getByTestId(`node-${store}`).locator('.node-kind').textContent(), /% · \d+ waiting/);
  assert.deepEqual(errors, []);
  await context.close();
});
