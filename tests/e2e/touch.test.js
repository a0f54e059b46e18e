// The playground with fingers: Chromium with touch emulation (hasTouch,
// isMobile), touches sent through the DevTools protocol as a touch screen
// sends them (Input.dispatchTouchEvent), so the page sees real touch pointer
// events, several at once for two fingers. Every figure is read from the page:
// node positions from the SVG, the zoom from the diagram's transform, links
// and faults as the diagram draws them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSite, openRunning, text, nodeIds, linkIds, frames } from './harness.js';

// Phone upright, tablet upright and phone on its side.
const VIEWPORTS = [
  [390, 844],
  [820, 1180],
  [844, 390],
];

// The editor's grid and node size (src/editor/mod.rs: GRID, NODE_W, NODE_H),
// in diagram units: a placed or moved node snaps to the grid.
const GRID = 20;
const NODE_W = 150;
const NODE_H = 64;

let site;
before(async () => {
  site = await startSite();
});
after(async () => {
  await site?.close();
});

async function openTouch([width, height]) {
  const opened = await openRunning(site, { viewport: { width, height }, hasTouch: true, isMobile: true });
  const cdp = await opened.page.context().newCDPSession(opened.page);
  const diagram = await opened.page.getByTestId('diagram').boundingBox();
  assert.ok(diagram && diagram.height > 100 && diagram.width > 100, `the diagram has room at ${width}x${height}: ${JSON.stringify(diagram)}`);
  return { ...opened, cdp };
}

// ---- Fingers ----
// `fingers` is a list of [id, x, y] in page (viewport) pixels. For
// touchStart and touchMove: every finger down after the event (one left out
// is lifted); for touchEnd: the fingers lifted, or [] for all of them.
const touch = (cdp, type, fingers) =>
  cdp.send('Input.dispatchTouchEvent', { type, touchPoints: fingers.map(([id, x, y]) => ({ id, x, y })) });

async function tap(cdp, [x, y]) {
  await touch(cdp, 'touchStart', [[0, x, y]]);
  await touch(cdp, 'touchEnd', []);
}

/** One finger from `a` to `b` in `steps` moves, lifted at `b` unless `lift` is false. */
async function drag(cdp, a, b, { steps = 8, lift = true } = {}) {
  await touch(cdp, 'touchStart', [[0, a[0], a[1]]]);
  for (let i = 1; i <= steps; i++) {
    await touch(cdp, 'touchMove', [[0, a[0] + ((b[0] - a[0]) * i) / steps, a[1] + ((b[1] - a[1]) * i) / steps]]);
  }
  if (lift) await touch(cdp, 'touchEnd', []);
}

/** Chromium hands moves to the page at its next frame (releases at once):
 *  two animation frames later, the last move has been handled. */
const handled = (page) => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));

/** Two fingers moving together from [a0, b0] to [a1, b1]; left down, their
 *  last move handled. */
async function twoFingers(page, cdp, [a0, b0], [a1, b1], steps = 8) {
  await touch(cdp, 'touchStart', [[0, ...a0], [1, ...b0]]);
  for (let i = 1; i <= steps; i++) {
    const at = (p, q) => [p[0] + ((q[0] - p[0]) * i) / steps, p[1] + ((q[1] - p[1]) * i) / steps];
    await touch(cdp, 'touchMove', [[0, ...at(a0, a1)], [1, ...at(b0, b1)]]);
  }
  await handled(page);
}

// ---- Reading the diagram ----

/** The pan and zoom as drawn: the diagram group's translate(tx ty) scale(s). */
async function viewOf(page) {
  const t = await page.$eval('svg.diagram > g[transform]', (g) => g.getAttribute('transform'));
  const m = t.match(/translate\(([-\d.e]+)[ ,]+([-\d.e]+)\)\s*scale\(([-\d.e]+)\)/);
  assert.ok(m, `diagram transform: ${t}`);
  return { tx: Number(m[1]), ty: Number(m[2]), scale: Number(m[3]) };
}

/** A node's place in the design (diagram units), from its translate(x y). */
async function worldOf(page, id) {
  const t = await page.getByTestId(`node-${id}`).getAttribute('transform');
  const m = t.match(/translate\(([-\d.e]+)[ ,]+([-\d.e]+)\)/);
  return { x: Number(m[1]), y: Number(m[2]) };
}

/** A node's box on the page. */
const boxOf = (page, id) =>
  page.$eval(`[data-testid="node-${id}"] .node-box`, (el) => {
    const r = el.getBoundingClientRect();
    return { x: r.x, y: r.y, w: r.width, h: r.height, cx: r.x + r.width / 2, cy: r.y + r.height / 2 };
  });

/** Where to press a node: the middle of its box (its name; the port is on the right edge). */
const centreOf = async (page, id) => {
  const b = await boxOf(page, id);
  return [b.cx, b.cy];
};

/** The middle of an element's box on the page. */
async function middle(page, testid) {
  const b = await page.getByTestId(testid).boundingBox();
  return [b.x + b.width / 2, b.y + b.height / 2];
}

/** Points of the diagram that are bare background, in view and clear of
 *  nodes (by `clear` px), wires and anything laid over the diagram. */
async function emptyPoints(page, clear = 40) {
  return page.evaluate((clear) => {
    const svg = document.querySelector('svg.diagram').getBoundingClientRect();
    const x0 = Math.max(svg.left, 0) + 12;
    const y0 = Math.max(svg.top, 0) + 12;
    const x1 = Math.min(svg.right, innerWidth) - 12;
    const y1 = Math.min(svg.bottom, innerHeight) - 12;
    const nodes = [...document.querySelectorAll('g[data-node]')].map((g) => g.getBoundingClientRect());
    const out = [];
    for (let y = y0; y <= y1; y += 10) {
      for (let x = x0; x <= x1; x += 10) {
        const el = document.elementFromPoint(x, y);
        if (!el || !el.matches('rect.grid-bg')) continue;
        if (nodes.some((r) => x > r.left - clear && x < r.right + clear && y > r.top - clear && y < r.bottom + clear)) continue;
        out.push([x, y]);
      }
    }
    return out;
  }, clear);
}

/** The page itself did not zoom or scroll: a pinch on the diagram is the diagram's. */
const pageState = (page) => page.evaluate(() => ({ zoom: visualViewport.scale, x: scrollX, y: scrollY }));

/** Presses a node until its actions menu opens (waiting for the menu, not a
 *  set time), the finger drifting 3 px as fingers do, then lifts it. */
async function longPress(page, cdp, id) {
  const [x, y] = await centreOf(page, id);
  await touch(cdp, 'touchStart', [[0, x, y]]);
  await touch(cdp, 'touchMove', [[0, x + 2, y + 2]]);
  await page.getByTestId('node-actions').waitFor({ timeout: 10000 });
  assert.equal(await page.getByTestId('node-actions').getAttribute('data-node'), id);
  await touch(cdp, 'touchEnd', []);
}

for (const viewport of VIEWPORTS) {
  const name = viewport.join('x');

  test(`${name}: tap a palette item, then tap the diagram: the component is placed where tapped`, async () => {
    const { page, context, cdp, errors } = await openTouch(viewport);
    const before = await nodeIds(page);
    await page.getByTestId('palette-database').scrollIntoViewIfNeeded();
    await tap(cdp, await middle(page, 'palette-database'));
    // The page speaks of tapping to someone using a finger.
    assert.match(await page.locator('.palette .hint').textContent(), /^Tap the diagram to place the database/);
    assert.match(await text(page, 'announcer'), /^Tap the diagram to place the database/);

    const spots = await emptyPoints(page, 90);
    assert.ok(spots.length > 0, 'an empty spot on the diagram');
    const at = spots[Math.floor(spots.length / 2)];
    await tap(cdp, at);
    await page.waitForFunction(() => !!document.querySelector('g[data-node="db-1"]'));
    assert.deepEqual(await nodeIds(page), [...before, 'db-1'].sort());
    // Centred on the finger, up to the grid's snap (half a cell each way).
    const v = await viewOf(page);
    const b = await boxOf(page, 'db-1');
    const slack = (GRID / 2) * v.scale + 1;
    assert.ok(Math.abs(b.cx - at[0]) <= slack && Math.abs(b.cy - at[1]) <= slack, `db-1 centred at ${b.cx},${b.cy}; tapped at ${at} (±${slack})`);
    assert.ok(Math.abs(b.w - NODE_W * v.scale) < 1 && Math.abs(b.h - NODE_H * v.scale) < 1, 'drawn at the diagram scale');
    assert.match(await text(page, 'announcer'), /Added database "db-1"/);
    assert.deepEqual(errors, []);
    await context.close();
  });

  test(`${name}: one finger drags a node (not the view); on empty space it pans`, async () => {
    const { page, context, cdp, errors } = await openTouch(viewport);
    const v0 = await viewOf(page);
    const w0 = await worldOf(page, 'web-1');
    const others0 = await Promise.all(['users', 'lb', 'web-2', 'db'].map((id) => worldOf(page, id)));
    // Three grid cells right and two down, in page pixels at this zoom.
    const [dx, dy] = [3 * GRID * v0.scale, 2 * GRID * v0.scale];
    const from = await centreOf(page, 'web-1');
    await drag(cdp, from, [from[0] + dx, from[1] + dy], { lift: false });
    // Held still far from where it started, past the long-press delay: a
    // drag, not a long press. (A page timer queued now fires after the
    // long-press timer the press queued, had the drag not cancelled it, and
    // the page judges a long press at the frame after its timer.)
    await page.evaluate(() => new Promise((r) => setTimeout(r, 700)));
    await handled(page);
    assert.equal(await page.getByTestId('node-actions').count(), 0, 'no actions menu after a drag');
    await touch(cdp, 'touchEnd', []);
    await page.waitForFunction((x) => !document.querySelector('[data-testid="node-web-1"]').getAttribute('transform').startsWith(`translate(${x} `), w0.x);
    const w1 = await worldOf(page, 'web-1');
    assert.deepEqual({ x: w1.x - w0.x, y: w1.y - w0.y }, { x: 3 * GRID, y: 2 * GRID }, 'moved by the finger, snapped to the grid');
    assert.deepEqual(await viewOf(page), v0, 'the view stays put while a node is dragged');
    assert.deepEqual(await Promise.all(['users', 'lb', 'web-2', 'db'].map((id) => worldOf(page, id))), others0, 'only web-1 moved');
    assert.match(await text(page, 'announcer'), /Moved web-1/);

    // On bare background one finger pans: the view follows the finger
    // exactly, the design does not change.
    const spots = await emptyPoints(page);
    assert.ok(spots.length > 0, 'an empty spot on the diagram');
    const start = spots[0];
    const boxBefore = await boxOf(page, 'db');
    await drag(cdp, start, [start[0] + 37, start[1] + 23]);
    const v1 = await viewOf(page);
    assert.ok(Math.abs(v1.tx - v0.tx - 37) <= 1 && Math.abs(v1.ty - v0.ty - 23) <= 1 && v1.scale === v0.scale, `panned by the finger: ${JSON.stringify(v0)} -> ${JSON.stringify(v1)}`);
    const boxAfter = await boxOf(page, 'db');
    assert.ok(Math.abs(boxAfter.x - boxBefore.x - 37) <= 1 && Math.abs(boxAfter.y - boxBefore.y - 23) <= 1, 'the nodes move with the view');
    assert.deepEqual(await worldOf(page, 'web-1'), w1, 'panning moves no node');
    assert.deepEqual(errors, []);
    await context.close();
  });

  test(`${name}: two fingers pan, and pinch zooms about their midpoint`, async () => {
    const { page, context, cdp, errors } = await openTouch(viewport);
    const page0 = await pageState(page);
    const worlds0 = await Promise.all(['users', 'lb', 'web-1', 'web-2', 'db'].map((id) => worldOf(page, id)));
    const v0 = await viewOf(page);

    // Pan: both fingers move 30 px right and 20 px down, as far apart as before.
    const m = await centreOf(page, 'web-1');
    const b0 = await boxOf(page, 'web-1');
    await twoFingers(page, cdp, [[m[0] - 50, m[1]], [m[0] + 50, m[1]]], [[m[0] - 20, m[1] + 20], [m[0] + 80, m[1] + 20]]);
    await touch(cdp, 'touchEnd', []);
    const b1 = await boxOf(page, 'web-1');
    assert.ok(Math.abs(b1.cx - b0.cx - 30) <= 2 && Math.abs(b1.cy - b0.cy - 20) <= 2, `web-1 followed the fingers: ${b0.cx},${b0.cy} -> ${b1.cx},${b1.cy}`);
    assert.ok(Math.abs(b1.w - b0.w) < 0.5, 'no zoom while the fingers kept their distance');
    assert.deepEqual(await Promise.all(['users', 'lb', 'web-1', 'web-2', 'db'].map((id) => worldOf(page, id))), worlds0, 'a two-finger pan moves no node');

    // Pinch: fingers 80 px apart around web-1's middle spread to 200 px
    // apart while their midpoint moves 20 px right and 10 px down.
    const c = await centreOf(page, 'web-1');
    const v1 = await viewOf(page);
    const w1 = await boxOf(page, 'web-1');
    const c2 = [c[0] + 20, c[1] + 10];
    await twoFingers(page, cdp, [[c[0] - 40, c[1]], [c[0] + 40, c[1]]], [[c2[0] - 100, c2[1]], [c2[0] + 100, c2[1]]]);
    const v2 = await viewOf(page);
    const w2 = await boxOf(page, 'web-1');
    assert.ok(Math.abs(v2.scale / v1.scale - 2.5) < 0.01, `zoomed by the change of distance (x2.5): ${v1.scale} -> ${v2.scale}`);
    assert.ok(Math.abs(w2.w / w1.w - 2.5) < 0.02, `web-1 drawn 2.5 times as wide: ${w1.w} -> ${w2.w}`);
    assert.ok(Math.abs(w2.cx - c2[0]) <= 2 && Math.abs(w2.cy - c2[1]) <= 2, `the point under the fingers stays under them: web-1 at ${w2.cx},${w2.cy}, midpoint ${c2}`);

    // One finger lifts: the other pans on from where it is, without a jump.
    await touch(cdp, 'touchEnd', [[0, c2[0] - 100, c2[1]]]);
    assert.deepEqual(await viewOf(page), v2, 'lifting a finger moves nothing');
    const stays = [c2[0] + 100, c2[1]];
    await touch(cdp, 'touchMove', [[1, stays[0] - 15, stays[1] + 5]]);
    await touch(cdp, 'touchEnd', []);
    const w3 = await boxOf(page, 'web-1');
    assert.ok(Math.abs(w3.cx - w2.cx + 15) <= 1 && Math.abs(w3.cy - w2.cy - 5) <= 1, `the remaining finger pans: ${w2.cx},${w2.cy} -> ${w3.cx},${w3.cy}`);

    assert.deepEqual(await Promise.all(['users', 'lb', 'web-1', 'web-2', 'db'].map((id) => worldOf(page, id))), worlds0, 'pinching moves no node');
    assert.deepEqual(await pageState(page), page0, 'the page itself neither zoomed nor scrolled');
    assert.equal(await page.getByTestId('node-actions').count(), 0, 'no actions menu');
    assert.ok(v0.scale !== v2.scale);
    assert.deepEqual(errors, []);
    await context.close();
  });

  test(`${name}: tap a port, then a node: connected; tap empty space instead: cancelled`, async () => {
    const { page, context, cdp, errors } = await openTouch(viewport);
    // A third web server to connect (added with the keyboard: not the gesture under test).
    await page.getByTestId('palette-web_server').focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => !!document.querySelector('g[data-node="web-3"]'));
    // Below 1000 px the new node's inspector opens over the diagram: Esc folds it.
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => !document.querySelector('.drawer.narrow.open'));
    const links0 = await linkIds(page);

    await tap(cdp, await middle(page, 'port-lb'));
    await page.waitForFunction(() => document.querySelector('[data-testid="node-lb"]').classList.contains('connecting'));
    assert.match(await text(page, 'announcer'), /Connecting from lb: tap the node to connect it to/);
    // The tap also focuses lb, after the finger has lifted: focus from a
    // press selects nothing, so no inspector opens over the node to tap next.
    await page.waitForFunction(() => document.activeElement?.dataset.testid === 'node-lb');
    await frames(page, 3);
    assert.ok(!(await page.getByTestId('node-lb').getAttribute('class')).includes('selected'), 'a press on the port does not select lb');
    assert.equal(await page.locator('.drawer.open').count(), 0, 'the drawer stays folded while connecting');
    await tap(cdp, await centreOf(page, 'web-3'));
    await page.waitForFunction(() => !!document.querySelector('[data-testid="link-lb-web-3"]'));
    assert.deepEqual(await linkIds(page), [...links0, 'link-lb-web-3'].sort());
    assert.ok(!(await page.getByTestId('node-lb').getAttribute('class')).includes('connecting'));

    await tap(cdp, await middle(page, 'port-web-3'));
    await page.waitForFunction(() => document.querySelector('[data-testid="node-web-3"]').classList.contains('connecting'));
    assert.equal(await page.locator('.drawer.open').count(), 0, 'making a wire opens no inspector over the diagram');
    await tap(cdp, await centreOf(page, 'db'));
    await page.waitForFunction(() => !!document.querySelector('[data-testid="link-web-3-db"]'));
    assert.match(await text(page, 'announcer'), /Connected web-3 to db/);

    // Changed one's mind: a tap on bare background cancels.
    await tap(cdp, await middle(page, 'port-users'));
    await page.waitForFunction(() => document.querySelector('[data-testid="node-users"]').classList.contains('connecting'));
    const spots = await emptyPoints(page);
    await tap(cdp, spots[0]);
    await page.waitForFunction(() => !document.querySelector('[data-testid="node-users"]').classList.contains('connecting'));
    assert.match(await text(page, 'announcer'), /Connection cancelled/);
    assert.deepEqual(await linkIds(page), [...links0, 'link-lb-web-3', 'link-web-3-db'].sort());
    assert.deepEqual(errors, []);
    await context.close();
  });

  test(`${name}: a long press opens the node's actions: fail, recover, inspect, delete; Esc or a tap elsewhere closes`, async () => {
    const { page, context, cdp, errors } = await openTouch(viewport);
    const v0 = await viewOf(page);
    const w0 = await worldOf(page, 'web-1');
    await longPress(page, cdp, 'web-1');
    // Only the menu: no drag, no selection box, no pan.
    assert.deepEqual(await worldOf(page, 'web-1'), w0, 'a long press does not move the node');
    assert.deepEqual(await viewOf(page), v0, 'nor the view');
    assert.equal(await page.locator('.box-select').count(), 0, 'no selection box');
    // At the node: its box and the menu's touch or nearly (the menu sits under it, or above).
    const node = await boxOf(page, 'web-1');
    const menu = await page.getByTestId('node-actions').boundingBox();
    const gapY = Math.max(menu.y - (node.y + node.h), node.y - (menu.y + menu.height), 0);
    assert.ok(gapY <= 12 && menu.x <= node.x + node.w && menu.x + menu.width >= node.x, `menu ${JSON.stringify(menu)} at node ${JSON.stringify(node)}`);
    // A menu of buttons, the keyboard in it.
    const items = await page.$$eval('[data-testid="node-actions"] [data-testid^="node-action-"]', (els) => els.map((e) => [e.tagName, e.dataset.testid]));
    assert.deepEqual(items, [['BUTTON', 'node-action-fail'], ['BUTTON', 'node-action-recover'], ['BUTTON', 'node-action-inspect'], ['BUTTON', 'node-action-delete']]);
    assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'node-action-fail');
    assert.ok(await page.getByTestId('node-action-recover').isDisabled(), 'Recover is for a failed node');

    // Fail: the node shows it is down.
    await tap(cdp, await middle(page, 'node-action-fail'));
    await page.getByTestId('node-actions').waitFor({ state: 'detached' });
    await page.waitForFunction(() => {
      const g = document.querySelector('[data-testid="node-web-1"]');
      return g.classList.contains('down') && g.querySelector('.node-kind').textContent === 'DOWN';
    });
    assert.match(await page.getByTestId('node-web-1').getAttribute('aria-label'), /web-1, down/);

    // Recover, from the menu again.
    await longPress(page, cdp, 'web-1');
    assert.ok(await page.getByTestId('node-action-fail').isDisabled(), 'Fail is for a node that is up');
    await tap(cdp, await middle(page, 'node-action-recover'));
    await page.waitForFunction(() => !document.querySelector('[data-testid="node-web-1"]').classList.contains('down'));
    assert.match(await page.getByTestId('node-web-1').getAttribute('aria-label'), /web-1, up/);

    // Esc closes it.
    await longPress(page, cdp, 'web-1');
    await page.keyboard.press('Escape');
    await page.getByTestId('node-actions').waitFor({ state: 'detached' });

    // So does a tap elsewhere (bare background, which also clears the selection).
    await longPress(page, cdp, 'web-1');
    const spots = await emptyPoints(page);
    await tap(cdp, spots[0]);
    await page.getByTestId('node-actions').waitFor({ state: 'detached' });
    await page.waitForFunction(() => !document.querySelector('[data-testid="inspector"] h2')?.textContent.startsWith('web-'));

    // Inspect: the inspector shows the node.
    await longPress(page, cdp, 'web-2');
    await tap(cdp, await middle(page, 'node-action-inspect'));
    await page.getByTestId('node-actions').waitFor({ state: 'detached' });
    assert.match(await page.locator('[data-testid="inspector"] h2').first().textContent(), /^web-2/);
    assert.equal(await page.getByTestId('fault-fail').count(), 1, "the inspector shows web-2's faults");

    // Delete: the node and its links go.
    const nodes = await nodeIds(page);
    await longPress(page, cdp, 'web-2');
    await tap(cdp, await middle(page, 'node-action-delete'));
    await page.waitForFunction(() => !document.querySelector('g[data-node="web-2"]'));
    assert.deepEqual(await nodeIds(page), nodes.filter((n) => n !== 'web-2'));
    assert.ok(!(await linkIds(page)).some((l) => l.includes('web-2')), 'its links went with it');
    assert.match(await text(page, 'announcer'), /Deleted web-2/);
    assert.deepEqual(await worldOf(page, 'web-1'), w0, 'none of the presses moved web-1');
    assert.deepEqual(errors, []);
    await context.close();
  });
}

test('with a mouse: a right click opens the same actions menu; arrows move through it, Esc closes it and gives the node the focus back', async () => {
  const { page, context, errors } = await openRunning(site);
  const w0 = await worldOf(page, 'web-1');
  await page.getByTestId('node-web-1').click({ button: 'right' });
  await page.getByTestId('node-actions').waitFor();
  assert.equal(await page.getByTestId('node-actions').getAttribute('data-node'), 'web-1');
  const focused = () => page.evaluate(() => document.activeElement?.dataset.testid);
  assert.equal(await focused(), 'node-action-fail');
  // Recover is disabled (web-1 is up): down goes from Fail to Inspect, up wraps to Delete.
  await page.keyboard.press('ArrowDown');
  assert.equal(await focused(), 'node-action-inspect');
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('ArrowUp');
  assert.equal(await focused(), 'node-action-delete');
  await page.keyboard.press('Escape');
  await page.getByTestId('node-actions').waitFor({ state: 'detached' });
  assert.equal(await focused(), 'node-web-1');
  // The arrows went to the menu, not to the node (arrows move a selected node).
  assert.deepEqual(await worldOf(page, 'web-1'), w0);
  assert.deepEqual(errors, []);
  await context.close();
});
