// The page's shell on every screen: the diagram's share of the window, node
// names readable at Fit, nothing interactive under anything else, no
// sideways scrolling, every panel in reach, layout choices kept. Measured
// from the page as drawn, at phone, tablet, laptop and wide sizes and in a
// course page's frame. Screenshots (light and dark) go to screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSite, screenshot, text, numberIn, choose, nodeIds, notice } from './harness.js';

let site;
before(async () => {
  site = await startSite();
});
after(async () => {
  await site?.close();
});

const SCREENS = [
  { name: 'phone', width: 390, height: 844, touch: true, minShare: 0.6 },
  { name: 'tablet', width: 820, height: 1180, touch: true, minShare: 0.6 },
  { name: 'small-laptop', width: 1024, height: 700, minShare: 0.45 },
  { name: 'laptop', width: 1280, height: 800, minShare: 0.5 },
  { name: 'wide', width: 1920, height: 1080, minShare: 0.6 },
];
const FRAMES = [
  { name: 'frame-640', width: 640, height: 480, minShare: 0.45 },
  { name: 'frame-900', width: 900, height: 600, minShare: 0.5 },
];

async function openAt(screen, path, colorScheme = 'light') {
  const opened = await site.openPage(path, {
    viewport: { width: screen.width, height: screen.height },
    hasTouch: !!screen.touch,
    isMobile: !!screen.touch,
    colorScheme,
  });
  await opened.page.getByTestId('app-ready').waitFor({ timeout: 60000 });
  await opened.page.waitForFunction(() => document.querySelector('[data-testid="metric-p99"]')?.textContent.includes('ms'), null, { timeout: 60000 });
  return opened;
}

/** What the page measures of itself: the diagram's box and share of the
 *  window, the page's scroll width, and the rendered height of node names. */
const measure = (page) =>
  page.evaluate(() => {
    const d = document.querySelector('[data-testid="diagram"]').getBoundingClientRect();
    const names = [...document.querySelectorAll('g[data-node] .node-id')].map((e) => e.getBoundingClientRect().height);
    return {
      diagram: { x: d.x, y: d.y, width: d.width, height: d.height },
      share: (d.width * d.height) / (innerWidth * innerHeight),
      scrollWidth: document.documentElement.scrollWidth,
      bodyScrollWidth: document.body.scrollWidth,
      innerWidth,
      minName: names.length ? Math.min(...names) : null,
    };
  });

/** Pairs of visible interactive elements that overlap on screen (neither
 *  inside the other), each clipped by its scrolling ancestors. With
 *  `nodes`, the diagram's nodes count too, against everything else. */
const overlaps = (page, nodes = true) =>
  page.evaluate((withNodes) => {
    const clipped = (el) => {
      let r = el.getBoundingClientRect();
      let box = { l: r.left, t: r.top, r: r.right, b: r.bottom };
      for (let a = el.parentElement; a; a = a.parentElement) {
        const cs = getComputedStyle(a);
        if (cs.overflowX !== 'visible' || cs.overflowY !== 'visible') {
          const p = a.getBoundingClientRect();
          box = { l: Math.max(box.l, p.left), t: Math.max(box.t, p.top), r: Math.min(box.r, p.right), b: Math.min(box.b, p.bottom) };
        }
      }
      return box;
    };
    const shown = (el) => {
      const cs = getComputedStyle(el);
      if (cs.visibility === 'hidden' || el.closest('.sr-only')) return false;
      const b = clipped(el);
      return b.r - b.l >= 2 && b.b - b.t >= 2;
    };
    const controls = [...document.querySelectorAll('button, input:not([type="file"]), select, textarea, a[href], [role="separator"][tabindex]')].filter(shown);
    const nodeEls = withNodes ? [...document.querySelectorAll('g[data-node]')].filter(shown) : [];
    const all = [...controls, ...nodeEls];
    // Under a sheet, drawer, dialog or menu opened over it.
    const underOverlay = (el) => {
      const b = clipped(el);
      const overlay = document.elementFromPoint((b.l + b.r) / 2, (b.t + b.b) / 2)?.closest('.drawer-panel, .dialog-backdrop, .menu-list, .toolbar-more');
      return !!overlay && !overlay.contains(el);
    };
    const name = (el) => el.dataset?.testid || el.getAttribute('data-node') || el.getAttribute('aria-label') || el.textContent.trim().slice(0, 20) || el.tagName;
    const bad = [];
    for (let i = 0; i < all.length; i++) {
      for (let j = i + 1; j < all.length; j++) {
        const [a, b] = [all[i], all[j]];
        if (a.contains(b) || b.contains(a)) continue;
        if (nodeEls.includes(a) && nodeEls.includes(b)) continue;
        // A control wholly under a sheet or drawer opened over it is out of
        // reach on purpose; what matters is two that are both in reach.
        if (underOverlay(a) || underOverlay(b)) continue;
        const [p, q] = [clipped(a), clipped(b)];
        const w = Math.min(p.r, q.r) - Math.max(p.l, q.l);
        const h = Math.min(p.b, q.b) - Math.max(p.t, q.t);
        if (w > 1 && h > 1) bad.push(`${name(a)} × ${name(b)}`);
      }
    }
    return bad;
  }, nodes);

/** Status texts over the diagram (legend, sampling line, notices) that
 *  cover a node. */
const coveringNodes = (page) =>
  page.evaluate(() => {
    const boxes = [...document.querySelectorAll('g[data-node]')].map((n) => [n.getAttribute('data-node'), n.getBoundingClientRect()]);
    const bad = [];
    for (const el of document.querySelectorAll('.flow-legend, .flow-info, [data-testid="notice"], [data-testid="cap-reached"], .embed-hint')) {
      const r = el.getBoundingClientRect();
      if (r.width < 1 || getComputedStyle(el).visibility === 'hidden') continue;
      for (const [id, b] of boxes) {
        if (Math.min(r.right, b.right) - Math.max(r.left, b.left) > 1 && Math.min(r.bottom, b.bottom) - Math.max(r.top, b.top) > 1) bad.push(`${el.className} covers ${id}`);
      }
    }
    return bad;
  });

for (const screen of SCREENS) {
  test(`${screen.name} ${screen.width}x${screen.height}: the diagram takes the page, names readable, nothing overlaps`, async () => {
    for (const scheme of ['light', 'dark']) {
      const { page, errors, context } = await openAt(screen, '/?lesson=4', scheme);
      await page.getByTestId('fit').click();
      const m = await measure(page);
      assert.ok(m.share >= screen.minShare, `the diagram takes ${(m.share * 100).toFixed(0)}% of the window (${m.diagram.width}x${m.diagram.height}), at least ${screen.minShare * 100}%`);
      assert.ok(m.scrollWidth <= m.innerWidth && m.bodyScrollWidth <= m.innerWidth, `no sideways scrolling: ${m.scrollWidth} px in ${m.innerWidth}`);
      // Every node inside the diagram after Fit.
      for (const id of await nodeIds(page)) {
        const b = await page.getByTestId(`node-${id}`).boundingBox();
        assert.ok(b.x >= m.diagram.x - 1 && b.x + b.width <= m.diagram.x + m.diagram.width + 1 && b.y >= m.diagram.y - 1 && b.y + b.height <= m.diagram.y + m.diagram.height + 1, `${id} inside the diagram after Fit`);
      }
      assert.deepEqual(await overlaps(page), [], 'no interactive element overlaps another');
      assert.deepEqual(await coveringNodes(page), [], 'the legend and notices leave the nodes clear');
      // The headline strip is on screen: requests/s, p50, p99, errors, cost, goal.
      for (const id of ['metric-rps', 'metric-p50', 'metric-p99', 'metric-errors', 'metric-cost', 'metric-goal']) {
        await page.getByTestId(id).scrollIntoViewIfNeeded();
        const b = await page.getByTestId(id).boundingBox();
        assert.ok(b && b.y + b.height <= screen.height && b.x >= 0 && b.x + b.width <= screen.width, `${id} on screen: ${JSON.stringify(b)}`);
      }
      await screenshot(page, `layout-${screen.name}-${scheme}`);
      assert.deepEqual(errors, []);
      await context.close();
    }
  });

  test(`${screen.name}: every panel and menu is in reach and inside the window`, async () => {
    const { page, errors, context } = await openAt(screen, '/');
    const inside = async (id) => {
      const b = await page.getByTestId(id).boundingBox();
      assert.ok(b && b.width > 0 && b.x >= -1 && b.y >= -1 && b.x + b.width <= screen.width + 1 && b.y + Math.min(b.height, 40) <= screen.height + 1, `${id} on screen: ${JSON.stringify(b)}`);
    };
    const tap = (locator) => (screen.touch ? locator.tap() : locator.click());
    // A node's inspector.
    await tap(page.getByTestId('node-web-1'));
    await page.getByTestId('field-workers').waitFor();
    await inside('field-workers');
    assert.deepEqual(await overlaps(page, false), [], 'with the inspector open');
    await page.keyboard.press('Escape');
    // The panels of the Learn menu, each in the drawer (Compare is a dialog).
    for (const [button, panel] of [['lessons-button', 'lesson-panel'], ['resilience-button', 'resilience-panel'], ['envelope-button', 'envelope-panel'], ['trace-next', 'trace-panel'], ['compare-button', 'compare-panel']]) {
      await choose(page, button);
      await page.getByTestId(panel).waitFor();
      await inside(panel);
      assert.deepEqual(await overlaps(page, false), [], `with ${panel} open`);
      if (panel === 'compare-panel') await page.getByTestId('compare-close').click();
    }
    // The File and View menus' commands.
    for (const id of ['new-diagram', 'open-file', 'save-file', 'share', 'embed-code', 'earlier-versions']) {
      const more = page.getByTestId('more');
      if (await more.isVisible() && (await more.getAttribute('aria-expanded')) !== 'true') await more.click();
      if (!(await page.getByTestId(id).isVisible())) await page.getByTestId('file-menu').click();
      await inside(id);
      await page.keyboard.press('Escape');
      await page.keyboard.press('Escape');
    }
    // The charts unfold and fold.
    await tap(page.getByTestId('dashboard-toggle'));
    await page.getByTestId('chart-latency').waitFor();
    await inside('chart-latency');
    await tap(page.getByTestId('dashboard-toggle'));
    await page.getByTestId('chart-latency').waitFor({ state: 'detached' });
    assert.deepEqual(errors, []);
    await context.close();
  });
}

for (const frame of FRAMES) {
  test(`embedded in a ${frame.width}x${frame.height} frame with a lesson: the diagram first, the goal a strip, the inspector over the diagram`, async () => {
    for (const scheme of ['light', 'dark']) {
      const { page, errors, context } = await openAt(frame, '/?lesson=4&embed=1', scheme);
      const m = await measure(page);
      assert.ok(m.share >= frame.minShare, `the diagram takes ${(m.share * 100).toFixed(0)}% of the frame, at least ${frame.minShare * 100}%`);
      assert.ok(m.scrollWidth <= m.innerWidth, 'no sideways scrolling');
      assert.deepEqual(await overlaps(page), []);
      assert.deepEqual(await coveringNodes(page), []);
      // The goal is one line of the strip; it opens the lesson on demand.
      const goal = await page.getByTestId('metric-goal').boundingBox();
      assert.ok(goal && goal.height <= 60 && goal.y + goal.height <= frame.height, `goal strip ${JSON.stringify(goal)}`);
      await screenshot(page, `layout-${frame.name}-${scheme}`);
      await page.getByTestId('metric-goal').click();
      await page.getByTestId('lesson-panel').waitFor();
      assert.match(await page.getByTestId('lesson-panel').innerText(), /Load balancer/);
      // Selecting a node opens the inspector over the diagram: the diagram keeps its size.
      await page.keyboard.press('Escape');
      const before = (await measure(page)).diagram;
      await page.getByTestId('node-web-1').click();
      await page.getByTestId('inspector').getByText('web-1').first().waitFor();
      const after = (await measure(page)).diagram;
      assert.deepEqual([after.width, after.height], [before.width, before.height], 'the inspector opened over the diagram, not beside it');
      await screenshot(page, `layout-${frame.name}-inspector-${scheme}`);
      assert.deepEqual(errors, []);
      await context.close();
    }
  });
}

test('"slower than real time" appearing moves no control: the toolbar keeps its row at every width', async () => {
  for (const width of [1000, 1100, 1440]) {
    const { page, errors, context } = await openAt({ width, height: 700 }, '/?lesson=13');
    const before = await page.getByTestId('file-menu').boundingBox();
    // A slowed processor and the top speed put the run behind real time on any machine.
    const cdp = await context.newCDPSession(page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 20 });
    await page.getByTestId('speed').selectOption('100');
    await page.locator('.behind').waitFor({ timeout: 60000 });
    assert.deepEqual(await overlaps(page), [], `${width} px: no interactive element over another while behind`);
    assert.deepEqual(await page.getByTestId('file-menu').boundingBox(), before, `${width} px: the File menu stayed where it was`);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
    assert.deepEqual(errors, []);
    await context.close();
  }
});

test('from 360 px up, no width scrolls sideways or puts one control over another, on the page or embedded', async () => {
  // An embedded playground that may edit has more in its toolbar ("Embed", "Open in Scale Lab").
  for (const path of ['/?lesson=6', '/?lesson=6&embed=1&edit=1']) {
    for (const width of [360, 480, 600, 720, 900, 960, 1024, 1100, 1440]) {
      const screen = { width, height: width < 720 ? 760 : 700, touch: width < 720 };
      const { page, errors, context } = await openAt(screen, path);
      const m = await measure(page);
      assert.ok(m.scrollWidth <= m.innerWidth && m.bodyScrollWidth <= m.innerWidth, `${path} at ${width} px: the page is ${m.scrollWidth} px wide`);
      assert.deepEqual(await overlaps(page), [], `${path} at ${width} px: no interactive element over another`);
      assert.deepEqual(await coveringNodes(page), [], `${path} at ${width} px: the legend and notices leave the nodes clear`);
      assert.deepEqual(errors, []);
      await context.close();
    }
  }
});

test('layout choices persist: palette labels, a folded drawer and its width, unfolded charts', async () => {
  const screen = SCREENS[3];
  const { page, errors, context } = await openAt(screen, '/');
  const drawerWidth = () => page.getByTestId('drawer').evaluate((d) => d.getBoundingClientRect().width);
  const w0 = await drawerWidth();
  // Drag the drawer's edge 120 px to the left: the drawer grows by as much.
  const edge = await page.locator('.drawer-resize').boundingBox();
  await page.mouse.move(edge.x + edge.width / 2, edge.y + 200);
  await page.mouse.down();
  await page.mouse.move(edge.x + edge.width / 2 - 60, edge.y + 200);
  await page.mouse.move(edge.x + edge.width / 2 - 120, edge.y + 200);
  await page.mouse.up();
  const w1 = await drawerWidth();
  assert.ok(Math.abs(w1 - (w0 + 120)) <= 2, `drawer ${w0} -> ${w1} px`);
  await choose(page, 'palette-labels');
  await page.getByTestId('dashboard-toggle').click();
  await page.getByTestId('chart-latency').waitFor();
  await page.getByTestId('drawer-toggle').click();
  assert.equal(await page.getByTestId('drawer-toggle').getAttribute('aria-expanded'), 'false');
  await page.reload();
  await page.getByTestId('app-ready').waitFor();
  await page.getByTestId('chart-latency').waitFor();
  assert.equal(await page.getByTestId('drawer-toggle').getAttribute('aria-expanded'), 'false', 'the drawer stays folded');
  assert.ok(await page.locator('.palette-about').first().isVisible(), 'the palette keeps its labels');
  await page.getByTestId('drawer-toggle').click();
  assert.ok(Math.abs((await drawerWidth()) - w1) <= 2, 'the drawer keeps its width');
  assert.deepEqual(errors, []);
  await context.close();
});

test('keyboard: G jumps into the diagram, Alt+arrows move between nodes, Esc closes a menu', async () => {
  const { page, errors, context } = await openAt(SCREENS[3], '/');
  const focused = () => page.evaluate(() => document.activeElement?.getAttribute('data-node'));
  // The first Tab of the page offers the skip link.
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'skip-to-diagram');
  await page.keyboard.press('Enter');
  // The skip link lands on a node (on the next frame).
  await page.waitForFunction(() => !!document.activeElement?.getAttribute('data-node'));
  await page.evaluate(() => document.activeElement?.blur());
  await page.keyboard.press('g');
  await page.waitForFunction(() => !!document.activeElement?.getAttribute('data-node'));
  const first = await focused();
  // users -> lb -> web-1 or web-2 from left to right in the starter design.
  const seen = [first];
  for (let i = 0; i < 3; i++) {
    await page.keyboard.press('Alt+ArrowRight');
    // The focus moves on the next frame.
    await page.waitForFunction((was) => document.activeElement?.getAttribute('data-node') !== was, seen[seen.length - 1]);
    seen.push(await focused());
  }
  assert.equal(new Set(seen).size, seen.length, `each Alt+ArrowRight reached another node: ${seen}`);
  // A menu: Enter opens it on its first command, Esc closes it and gives the focus back.
  await page.getByTestId('learn-menu').focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.activeElement?.dataset.testid === 'lessons-button');
  await page.keyboard.press('ArrowDown');
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'gallery-button');
  await page.keyboard.press('Escape');
  assert.equal(await page.getByTestId('learn-menu').getAttribute('aria-expanded'), 'false');
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'learn-menu');
  // A command that opens a dialog or a panel gives it the keyboard (its
  // heading), rather than the menu taking it back as the list closes.
  for (const [item, panel] of [['compare-button', 'compare-panel'], ['envelope-button', 'envelope-panel'], ['resilience-button', 'resilience-panel']]) {
    await page.getByTestId('learn-menu').focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.activeElement?.dataset.testid === 'lessons-button');
    await page.getByTestId(item).focus();
    await page.keyboard.press('Enter');
    await page.getByTestId(panel).waitFor();
    await page.waitForFunction(
      (panel) => document.activeElement?.tagName === 'H2' && document.activeElement.closest(`[data-testid="${panel}"]`) !== null,
      panel,
      { timeout: 5000 },
    );
    await page.keyboard.press('Escape');
  }
  assert.deepEqual(errors, []);
  await context.close();
});

test('the dial: a typed number of users, a refused one, and one log line for a run of arrow steps', async () => {
  const { page, errors, context } = await openAt(SCREENS[3], '/');
  const users = page.getByTestId('traffic-users');
  await users.fill('2.5M');
  await users.press('Enter');
  await page.waitForFunction(() => /2,500,000 users/.test(document.querySelector('[data-testid="traffic-value"]').textContent));
  assert.equal(await users.inputValue(), '2,500,000');
  await users.fill('lots');
  await users.press('Enter');
  assert.match(await notice(page), /"lots" is not a number of daily users/);
  assert.equal(await users.inputValue(), '2,500,000', 'the field shows the design\'s value again');
  assert.match(await text(page, 'traffic-value'), /2,500,000 users/);
  // An arrow key held for twelve steps, each a change event: the run takes
  // one change, when the key is released.
  await page.getByTestId('dashboard-toggle').click();
  const lines = () => page.getByTestId('event-log').evaluate((l) => [...l.querySelectorAll('li')].filter((li) => /daily users|settings changed/.test(li.textContent)).length);
  // The typed change's own line first: it reaches the log with the run's
  // next snapshot, which on a busy machine can come after the count below
  // (it then passed for one of the arrow keys' lines).
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="event-log"] li')].some((li) => /users settings changed/.test(li.textContent)), null, { timeout: 30000 });
  const before = await lines();
  const dial = page.getByTestId('traffic');
  await dial.focus();
  for (let i = 0; i < 12; i++) await page.keyboard.down('ArrowLeft');
  await page.keyboard.up('ArrowLeft');
  await page.waitForFunction((n) => [...document.querySelectorAll('[data-testid="event-log"] li')].filter((li) => /daily users|settings changed/.test(li.textContent)).length > n, before, { timeout: 30000 });
  // Another second of the run: still one more line, not twelve.
  const t = numberIn(await text(page, 'sim-time'));
  await page.waitForFunction((t0) => parseFloat(document.querySelector('[data-testid="sim-time"]').textContent.replace('t = ', '')) > t0 + 1, t, { timeout: 30000 });
  assert.equal(await lines(), before + 1);
  assert.deepEqual(errors, []);
  await context.close();
});

test('the "Link copied" notice shows above the Share dialog; any loaded design is fitted', async () => {
  const { page, errors, context } = await openAt(SCREENS[3], '/');
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await choose(page, 'share');
  await page.getByTestId('copy-link').click();
  await page.getByTestId('notice').waitFor();
  // The notice is the topmost element at its own centre.
  const onTop = await page.getByTestId('notice').evaluate((n) => {
    const r = n.getBoundingClientRect();
    const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return n.contains(top);
  });
  assert.ok(onTop, 'the notice is above the dialog');
  await page.keyboard.press('Escape');
  // Pan far away, then load a lesson from the menu: the new design is framed.
  const d = await page.getByTestId('diagram').boundingBox();
  await page.mouse.move(d.x + d.width / 2, d.y + 20);
  await page.mouse.down();
  await page.mouse.move(d.x + 20, d.y + 20, { steps: 4 });
  await page.mouse.up();
  await choose(page, 'lessons-button');
  await page.getByTestId('lesson-item-6').click();
  await page.getByTestId('node-cache').waitFor();
  await page.waitForFunction(() => {
    const d = document.querySelector('[data-testid="diagram"]').getBoundingClientRect();
    return [...document.querySelectorAll('g[data-node]')].every((n) => {
      const b = n.getBoundingClientRect();
      return b.left >= d.left - 1 && b.right <= d.right + 1 && b.top >= d.top - 1 && b.bottom <= d.bottom + 1;
    });
  });
  assert.deepEqual(errors, []);
  await context.close();
});
