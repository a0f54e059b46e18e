// Rough edges, used the way a person meets them: nodes dropped or dragged onto
// other nodes, duplicated and pasted; the trace popup's Esc and × button; the
// inspector's drop-downs and fields in a narrow panel. Every assertion reads
// the page: boxes from the SVG, the popup's place on screen, the widths the
// browser gave each control.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSite, screenshot, openRunning, nodeIds, text, frames, choose } from './harness.js';

let site;
before(async () => {
  site = await startSite();
});
after(async () => {
  await site?.close();
});

/** Every node's box on screen (its `rect.node-box`), by id. */
const boxes = (page) =>
  page.$$eval('g[data-node]', (gs) =>
    gs.map((g) => {
      const r = g.querySelector('rect.node-box').getBoundingClientRect();
      return { id: g.dataset.node, left: r.left, top: r.top, right: r.right, bottom: r.bottom };
    }),
  );

/** The pairs of boxes that share any area. */
function intersecting(bs) {
  const out = [];
  for (let i = 0; i < bs.length; i++) {
    for (let j = i + 1; j < bs.length; j++) {
      const [a, b] = [bs[i], bs[j]];
      if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) out.push(`${a.id} × ${b.id}`);
    }
  }
  return out;
}

const byId = (bs, id) => bs.find((b) => b.id === id);
const centre = (b) => ({ x: (b.left + b.right) / 2, y: (b.top + b.bottom) / 2 });

test('a node dropped from the palette onto another, or dragged by its edge onto one, lands beside it', async () => {
  const { page, errors, context } = await openRunning(site);
  const before = await boxes(page);
  assert.deepEqual(intersecting(before), [], 'the starter design is tidy');
  const nodeWidth = byId(before, 'web-2').right - byId(before, 'web-2').left;

  // A cache from the palette, dropped right on web-2's middle.
  const area = await page.getByTestId('diagram').boundingBox();
  const web2 = centre(byId(before, 'web-2'));
  await page.getByTestId('palette-cache').dragTo(page.getByTestId('diagram'), { targetPosition: { x: web2.x - area.x, y: web2.y - area.y } });
  await page.locator('g[data-node="cache-1"]').waitFor();
  let now = await boxes(page);
  assert.deepEqual(intersecting(now), [], 'the dropped cache does not sit on web-2');
  const dropped = centre(byId(now, 'cache-1'));
  const away = Math.hypot(dropped.x - web2.x, dropped.y - web2.y);
  assert.ok(away <= 1.5 * nodeWidth, `it lands next to where it was dropped: ${away.toFixed(0)} px from it`);
  assert.equal(byId(now, 'web-2').left, byId(before, 'web-2').left, 'web-2 stays where it was');

  // Dragged by its left edge so that it covers most of the database.
  const cache = byId(now, 'cache-1');
  const db = byId(now, 'db');
  const grab = { x: cache.left + 3, y: (cache.top + cache.bottom) / 2 };
  const to = { x: db.left + 0.3 * nodeWidth + 3, y: (db.top + db.bottom) / 2 + 10 };
  await page.mouse.move(grab.x, grab.y);
  await page.mouse.down();
  await page.mouse.move((grab.x + to.x) / 2, (grab.y + to.y) / 2, { steps: 4 });
  await page.mouse.move(to.x, to.y, { steps: 4 });
  await page.mouse.up();
  await page.waitForFunction(
    (left) => document.querySelector('g[data-node="cache-1"] rect.node-box').getBoundingClientRect().left !== left,
    cache.left,
  );
  now = await boxes(page);
  assert.deepEqual(intersecting(now), [], `after the drag: ${JSON.stringify(now)}`);
  const landed = byId(now, 'cache-1');
  const wanted = { x: db.left + 0.3 * nodeWidth, y: db.top + 10 };
  const off = Math.hypot(landed.left - wanted.x, landed.top - wanted.y);
  assert.ok(off <= 1.2 * nodeWidth, `it lands at the free spot nearest the drop: ${off.toFixed(0)} px from it`);
  assert.deepEqual(byId(now, 'db'), db, 'the database did not move');
  assert.match(await text(page, 'announcer'), /Moved cache-1/);
  await screenshot(page, 'rough-edges-drag-onto');
  assert.deepEqual(errors, []);
  await context.close();
});

test('Ctrl+D twice and Ctrl+V twice put the copies at free spots next to the originals', async () => {
  const { page, errors, context } = await openRunning(site);
  const start = await nodeIds(page);
  const count = (n) => page.waitForFunction((n) => document.querySelectorAll('g[data-node]').length === n, n);
  await page.getByTestId('node-web-1').click();
  await page.keyboard.press('Control+d');
  await count(start.length + 1);
  await page.keyboard.press('Control+d');
  await count(start.length + 2);
  let now = await boxes(page);
  assert.deepEqual(intersecting(now), [], JSON.stringify(now));
  const w = byId(now, 'web-1').right - byId(now, 'web-1').left;
  // Each copy is beside the node it was made from (within two boxes).
  for (const [copy, of] of [['web-3', 'web-1'], ['web-4', 'web-3']]) {
    const [a, b] = [centre(byId(now, copy)), centre(byId(now, of))];
    assert.ok(Math.hypot(a.x - b.x, a.y - b.y) <= 2 * w, `${copy} is next to ${of}`);
  }
  // The two web servers (Shift+click adds one) copied and pasted twice: as
  // a pair, never on anything.
  await page.getByTestId('node-web-1').click();
  await page.getByTestId('node-web-2').click({ modifiers: ['Shift'] });
  assert.deepEqual(await page.$$eval('g.node.selected', (gs) => gs.map((g) => g.dataset.node).sort()), ['web-1', 'web-2']);
  await page.keyboard.press('Control+c');
  await page.keyboard.press('Control+v');
  await count(start.length + 4);
  await page.keyboard.press('Control+v');
  await count(start.length + 6);
  now = await boxes(page);
  assert.deepEqual(intersecting(now), [], JSON.stringify(now));
  await screenshot(page, 'rough-edges-duplicates');
  assert.deepEqual(errors, []);
  await context.close();
});

test('the trace popup closes with Esc from anywhere but a text field, and its × stays put as the trace changes', async () => {
  const { page, errors, context } = await openRunning(site);
  const panel = page.getByTestId('trace-panel');
  const outcome = page.getByTestId('trace-outcome');
  const close = page.getByTestId('trace-close');
  // Paused, the popup waits for a request: a line of text. Playing, the
  // request is born and traced: a table of hops under the header.
  await page.getByTestId('play-toggle').click();
  await choose(page, 'trace-next');
  await outcome.waitFor();
  assert.match(await outcome.textContent(), /Waiting for the next request/);
  const waiting = await close.boundingBox();
  await page.getByTestId('play-toggle').click();
  await page.waitForFunction(() => ['ok', 'failed'].includes(document.querySelector('[data-testid="trace-outcome"]')?.dataset.state), null, { timeout: 30000 });
  assert.ok((await panel.locator('tbody tr').count()) >= 2, 'the trace has its hops');
  assert.deepEqual(await close.boundingBox(), waiting, 'the × did not move when the trace came in');
  // A click on × closes it.
  await close.click();
  await panel.waitFor({ state: 'detached' });

  // Esc, with the focus on the toolbar's menu that opened it.
  await choose(page, 'trace-next');
  await panel.waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'learn-menu');
  await page.keyboard.press('Escape');
  await panel.waitFor({ state: 'detached' });
  // With the focus inside the popup.
  await choose(page, 'trace-next');
  await close.focus();
  await page.keyboard.press('Escape');
  await panel.waitFor({ state: 'detached' });
  // With nothing focused (the focus left the button).
  await choose(page, 'trace-next');
  await panel.waitFor();
  await page.evaluate(() => document.activeElement?.blur());
  await page.keyboard.press('Escape');
  await panel.waitFor({ state: 'detached' });
  // Typing in a field, Esc is the field's (it leaves the field); the next one closes it.
  await choose(page, 'trace-next');
  await panel.waitFor();
  await page.getByTestId('view-menu').click();
  await page.getByTestId('seed').click();
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => document.activeElement?.dataset.testid !== 'seed');
  await frames(page, 3);
  assert.equal(await panel.count(), 1, 'still open after Esc in the seed field');
  await page.keyboard.press('Escape');
  await panel.waitFor({ state: 'detached' });
  await screenshot(page, 'rough-edges-trace-closed');
  assert.deepEqual(errors, []);
  await context.close();
});

/** How each drop-down and text field in the inspector shows its value: the
 *  width the browser gave it, and the width it needs for the chosen text (a
 *  copy holding only that option, at its natural width, in the same place). */
const inspectorControls = (page) =>
  page.$$eval('[data-testid="inspector"] select, [data-testid="inspector"] input:not([type="checkbox"])', (els) =>
    els
      .filter((el) => el.getClientRects().length > 0)
      .map((el) => {
        const out = { id: el.dataset.testid ?? el.getAttribute('aria-label'), tag: el.tagName.toLowerCase(), scrollWidth: el.scrollWidth, clientWidth: el.clientWidth, have: el.getBoundingClientRect().width };
        if (out.tag === 'select') {
          out.shown = el.options[el.selectedIndex]?.textContent ?? '';
          const probe = el.cloneNode(false);
          probe.removeAttribute('data-testid');
          const option = document.createElement('option');
          option.textContent = out.shown;
          probe.append(option);
          probe.style.cssText = 'position:absolute;visibility:hidden;left:0;top:0;width:auto;min-width:0;max-width:none;flex:none';
          el.parentElement.append(probe);
          out.need = probe.getBoundingClientRect().width;
          probe.remove();
        } else {
          out.shown = el.value;
        }
        return out;
      }),
  );

function assertShownWhole(controls, where) {
  assert.ok(controls.length > 0, `${where}: controls found`);
  for (const c of controls) {
    assert.ok(c.scrollWidth <= c.clientWidth + 1, `${where}: ${c.id} "${c.shown}" overflows: scrollWidth ${c.scrollWidth} > clientWidth ${c.clientWidth}`);
    if (c.tag === 'select') assert.ok(c.need <= c.have + 0.5, `${where}: ${c.id} shows "${c.shown}" in ${c.have.toFixed(1)} px; it needs ${c.need.toFixed(1)} px`);
  }
}

for (const [width, height] of [[1280, 800], [390, 844]]) {
  test(`at ${width}x${height} the inspector's drop-downs and fields show their whole text, for every choice`, async () => {
    const { page, errors, context } = await site.openPage('/?lesson=4', { viewport: { width, height } });
    await page.getByTestId('app-ready').waitFor({ timeout: 60000 });
    const inspector = page.getByTestId('inspector');
    for (const id of ['lb', 'web-1']) {
      // Selected from the keyboard (a node selects itself when focused): on
      // a phone with the lesson open the diagram is too short to tap it.
      await page.getByTestId(`node-${id}`).focus();
      await inspector.locator('h2', { hasText: id }).waitFor();
      console.log(`# ${width}x${height}: the inspector is ${(await inspector.boundingBox()).width} px wide`);
      assertShownWhole(await inspectorControls(page), `${id}, as the lesson has it`);
      // Each choice of each drop-down, as a person would pick it.
      const selects = await inspector.locator('select').evaluateAll((els) => els.map((e) => ({ id: e.dataset.testid, values: [...e.options].map((o) => o.value) })));
      for (const { id: sid, values } of selects) {
        for (const value of values) {
          await inspector.getByTestId(sid).selectOption(value);
          await frames(page, 2);
          assertShownWhole(await inspectorControls(page), `${id}, ${sid} = ${value}`);
        }
      }
      await screenshot(page, `rough-edges-inspector-${id}-${width}`);
    }
    assert.deepEqual(errors, []);
    await context.close();
  });
}
