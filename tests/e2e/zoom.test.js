// Semantic zoom: node names stay readable when the diagram is small on
// screen (src/editor/diagram.rs). Everything is measured from the page:
// rendered sizes of the texts and boxes in CSS px, and the diagram's own
// size, so the assertions hold whatever room the page shell gives the
// diagram: they relate the frame to what Fit shows in it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSite, screenshot, choose } from './harness.js';

// The layout's contract (src/editor/diagram.rs, src/editor/mod.rs).
const NODE_W = 150; // a node box's width, world units
const COMPACT_MIN_SCALE = 0.4; // down to here names render >= 10 px
const FIT_MIN_MARGIN = 16; // Fit may narrow its margin to this, CSS px, to reach that scale
const NAME_MIN = 10; // rendered height of a readable name, CSS px
const TEXT_MIN = 9; // no text on the diagram renders smaller

let site;
before(async () => {
  site = await startSite();
});
after(async () => {
  await site?.close();
});

/** Opens lesson `n` at `viewport` and presses Fit. */
async function openLesson(n, viewport, colorScheme = 'light') {
  const opened = await site.openPage(`/?lesson=${n}`, { viewport, colorScheme });
  await opened.page.getByTestId('app-ready').waitFor({ timeout: 60000 });
  await opened.page.locator('g[data-node] .node-box').first().waitFor({ timeout: 60000 });
  await pressAndPaint(opened.page, opened.page.getByTestId('fit'));
  return opened;
}

/** Clicks `button` and waits for the next painted frame. */
async function pressAndPaint(page, button) {
  await button.click();
  await page.evaluate(() => new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok))));
}

/** What the diagram shows: its frame, each node's box and name, every visible text. */
function measure(page) {
  return page.evaluate(() => {
    const svg = document.querySelector('[data-testid="diagram"]');
    const f = svg.getBoundingClientRect();
    const rect = (el) => {
      const r = el.getBoundingClientRect();
      return { l: r.left, t: r.top, r: r.right, b: r.bottom, w: r.width, h: r.height };
    };
    const nodes = [...svg.querySelectorAll('g[data-node]')].map((g) => {
      const name = g.querySelector('.node-id');
      return {
        id: g.getAttribute('data-node'),
        box: rect(g.querySelector('.node-box')),
        name: name && name.checkVisibility() ? { ...rect(name), text: name.textContent } : null,
        iconAlone: !!g.querySelector('.node-icon-alone'),
        iconTitle: g.querySelector('.node-icon-alone title')?.textContent ?? null,
        kindShown: !!g.querySelector('.node-kind')?.checkVisibility(),
        label: g.getAttribute('aria-label'),
      };
    });
    const texts = [...svg.querySelectorAll('text')]
      .filter((t) => t.checkVisibility() && t.textContent.trim() !== '')
      .map((t) => ({ text: t.textContent.trim(), cls: t.getAttribute('class'), h: t.getBoundingClientRect().height }));
    const shown = (sel) => [...svg.querySelectorAll(sel)].filter((t) => t.checkVisibility()).length;
    return {
      frame: { l: f.left, t: f.top, r: f.right, b: f.bottom, w: f.width, h: f.height },
      nodes,
      texts,
      compact: svg.classList.contains('compact'),
      flowLabels: shown('.flow-label'),
      dcNames: shown('.dc-area text'),
    };
  });
}

/** The scale the nodes are drawn at, and the design's extent on screen. */
function geometry(m) {
  const scale = m.nodes[0].box.w / NODE_W;
  const l = Math.min(...m.nodes.map((n) => n.box.l));
  const t = Math.min(...m.nodes.map((n) => n.box.t));
  const r = Math.max(...m.nodes.map((n) => n.box.r));
  const b = Math.max(...m.nodes.map((n) => n.box.b));
  return { scale, l, t, r, b, worldW: (r - l) / scale, worldH: (b - t) / scale };
}

/** What holds at every zoom: no text under 9 px, no box over another, every
 *  node named or (too small for that) shown by its icon and named to screen
 *  readers; while the scale is at or above the compact minimum, names >= 10 px. */
function checkReadable(m, where) {
  const g = geometry(m);
  for (const t of m.texts) assert.ok(t.h >= TEXT_MIN, `${where}: "${t.text}" (${t.cls}) renders ${t.h.toFixed(1)} px tall at scale ${g.scale.toFixed(3)}`);
  for (const [i, a] of m.nodes.entries()) {
    for (const b of m.nodes.slice(i + 1)) {
      const overlap = a.box.l < b.box.r && b.box.l < a.box.r && a.box.t < b.box.b && b.box.t < a.box.b;
      assert.ok(!overlap, `${where}: the boxes of ${a.id} and ${b.id} overlap`);
    }
    assert.ok(a.name || a.iconAlone, `${where}: ${a.id} shows neither its name nor its icon`);
    if (!a.name) assert.equal(a.iconTitle, a.id, `${where}: ${a.id}'s icon stands in for its name: its tooltip names it`);
    assert.ok(a.label.includes(a.id), `${where}: ${a.id}'s label "${a.label}"`);
    if (a.name) {
      assert.equal(a.name.text, a.id);
      // Inside its box, also when drawn large (2 px for antialiasing).
      assert.ok(a.name.l >= a.box.l - 2 && a.name.r <= a.box.r + 2, `${where}: ${a.id}'s name runs out of its box: ${JSON.stringify([a.name, a.box])}`);
    }
    if (g.scale >= COMPACT_MIN_SCALE - 1e-3) {
      assert.ok(a.name && a.name.h >= NAME_MIN, `${where}: ${a.id}'s name renders ${a.name?.h.toFixed(1)} px tall at scale ${g.scale.toFixed(3)}`);
    }
  }
  return g;
}

const VIEWPORTS = [
  { width: 1280, height: 800 },
  { width: 820, height: 1180 },
  { width: 1920, height: 1080 },
];

for (const viewport of VIEWPORTS) {
  test(`Fit at ${viewport.width}x${viewport.height}: lessons 4, 6 and 13 show readable names whenever the frame allows`, async () => {
    for (const lesson of [4, 6, 13]) {
      const where = `lesson ${lesson} at ${viewport.width}x${viewport.height}`;
      const { page, context, errors } = await openLesson(lesson, viewport);
      const m = await measure(page);
      const g = checkReadable(m, where);
      // Fit shows the whole design inside the diagram.
      assert.ok(g.l >= m.frame.l && g.r <= m.frame.r && g.t >= m.frame.t && g.b <= m.frame.b, `${where}: ${JSON.stringify({ design: g, frame: m.frame })}`);
      // Does the frame allow the readable scale (with Fit's narrowest margin)?
      const room = Math.min((m.frame.w - 2 * FIT_MIN_MARGIN) / g.worldW, (m.frame.h - 2 * FIT_MIN_MARGIN) / g.worldH);
      if (room >= COMPACT_MIN_SCALE) {
        assert.ok(g.scale >= COMPACT_MIN_SCALE - 1e-3, `${where}: the frame allows ${room.toFixed(3)}, Fit chose ${g.scale.toFixed(3)}`);
        for (const n of m.nodes) assert.ok(n.name && n.name.h >= NAME_MIN, `${where}: ${n.id}: ${JSON.stringify(n.name)}`);
      } else {
        // Too big for the frame: the whole design anyway, as large as the
        // narrowest margin allows (the scale is not clamped above it).
        const spare = Math.min(m.frame.w - (g.r - g.l), m.frame.h - (g.b - g.t));
        assert.ok(spare <= 2 * FIT_MIN_MARGIN + 2, `${where}: the design uses the frame: ${spare.toFixed(1)} px to spare at scale ${g.scale.toFixed(3)}`);
      }
      // Below the normal drawing's threshold the details give way.
      if (m.compact) assert.ok(m.nodes.every((n) => !n.kindShown), `${where}: kind lines shown in the compact drawing`);
      else assert.ok(m.nodes.every((n) => n.kindShown), `${where}: kind lines hidden in the normal drawing`);
      await screenshot(page, `zoom-fit-${lesson}-${viewport.width}x${viewport.height}`);
      assert.deepEqual(errors, []);
      await context.close();
    }
  });
}

test('zooming out keeps names readable down to the compact minimum, and no text ever under 9 px', async () => {
  const { page, context, errors } = await openLesson(6, { width: 1920, height: 1080 });
  const zoomOut = page.getByRole('button', { name: 'Zoom out' });
  // Start from the normal drawing, whatever room the shell gives the diagram.
  for (let i = 0; i < 12 && (await measure(page)).compact; i++) await pressAndPaint(page, page.getByRole('button', { name: 'Zoom in' }));
  const seen = { normal: 0, compact: 0, below: 0 };
  let previous = Infinity;
  for (let step = 0; step < 12; step++) {
    const m = await measure(page);
    const g = checkReadable(m, `lesson 6 after ${step} zoom-outs`);
    if (!m.compact) seen.normal++;
    else if (g.scale >= COMPACT_MIN_SCALE - 1e-3) seen.compact++;
    else seen.below++;
    if (step === 4) await screenshot(page, 'zoom-out-compact');
    if (g.scale >= previous - 1e-6) break; // at the floor
    previous = g.scale;
    await pressAndPaint(page, zoomOut);
  }
  await screenshot(page, 'zoom-out-floor');
  // The walk went through both drawings and past the compact minimum.
  assert.ok(seen.normal > 0 && seen.compact > 0 && seen.below > 0, JSON.stringify(seen));
  // And back in: the normal drawing with its details returns, unchanged.
  for (let i = 0; i < 12 && !(await measure(page)).nodes.every((n) => n.kindShown); i++) {
    await pressAndPaint(page, page.getByRole('button', { name: 'Zoom in' }));
  }
  const m = await measure(page);
  const g = checkReadable(m, 'lesson 6 zoomed back in');
  assert.ok(!m.compact && g.scale >= 11 / 14, `normal drawing at scale ${g.scale}`);
  const size = await page.locator('[data-testid="node-web-1"] .node-id').evaluate((e) => getComputedStyle(e).fontSize);
  assert.equal(size, '14px');
  assert.deepEqual(errors, []);
  await context.close();
});

test('wire labels and data-center names stay readable or give way, in light and dark', async () => {
  for (const colorScheme of ['light', 'dark']) {
    const { page, context, errors } = await openLesson(13, { width: 1920, height: 1080 }, colorScheme);
    // Without the animation, the flow is written on every wire.
    await choose(page, 'animation-toggle');
    await page.evaluate(() => new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok))));
    const links = await page.locator('g.link').count();
    // From readable at the normal drawing...
    for (let i = 0; i < 12 && (await measure(page)).compact; i++) await pressAndPaint(page, page.getByRole('button', { name: 'Zoom in' }));
    await screenshot(page, `zoom-flow-normal-${colorScheme}`);
    // ...out to the floor, one step at a time.
    const seen = { normal: 0, compact: 0 };
    let previous = Infinity;
    for (let step = 0; step < 16; step++) {
      const where = `lesson 13 in ${colorScheme}, step ${step}`;
      const m = await measure(page);
      const g = checkReadable(m, where);
      if (m.compact) {
        seen.compact++;
        assert.equal(m.flowLabels, 0, `${where}: wire labels in the compact drawing`);
        assert.equal(m.dcNames, 0, `${where}: data-center names in the compact drawing`);
        if (seen.compact === 2) await screenshot(page, `zoom-flow-compact-${colorScheme}`);
      } else {
        seen.normal++;
        assert.equal(m.flowLabels, links, `${where}: every wire is labelled`);
        assert.equal(m.dcNames, 2, `${where}: both data centers are named`);
      }
      if (g.scale >= previous - 1e-6) break;
      previous = g.scale;
      await pressAndPaint(page, page.getByRole('button', { name: 'Zoom out' }));
    }
    assert.ok(seen.normal > 0 && seen.compact > 0, JSON.stringify(seen));
    assert.deepEqual(errors, []);
    await context.close();
  }
});
