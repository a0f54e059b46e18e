// Pictures of the diagram (File → Picture…): the SVG and the PNG a person
// downloads, checked as files: the SVG parses, carries nothing that runs or
// loads from elsewhere, has one group per box of the diagram with the texts
// the page shows on it, and the PNG decodes at twice the SVG's size and is
// not blank. Light and dark themes, with and without the live numbers and
// the legend, and on a phone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startSite, openRunning, screenshot, screenshotDir, text, nodeIds, numberIn, notice, choose, simUntil } from './harness.js';

let site;
before(async () => {
  site = await startSite();
});
after(async () => {
  await site?.close();
});

const STARTER_NAME = 'Two web servers and a database';

/** Pauses the run, so the page and the picture show the same moment. */
async function pause(page) {
  await page.getByTestId('play-toggle').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="play-toggle"]')?.textContent.trim() === 'Play');
}

/** Opens File → Picture… and sets its two choices. */
async function openPicture(page, { numbers = true, legend = true } = {}) {
  await choose(page, 'picture');
  await page.getByTestId('picture-dialog').waitFor();
  await page.getByTestId('picture-numbers').setChecked(numbers);
  await page.getByTestId('picture-legend').setChecked(legend);
}

/** Clicks a download button of the dialog; returns the file's name and bytes. */
async function download(page, id) {
  const [file] = await Promise.all([page.waitForEvent('download'), page.getByTestId(id).click()]);
  return { name: file.suggestedFilename(), bytes: readFileSync(await file.path()) };
}

/** The texts drawn on each box of the page's diagram, by node id (what the style sheets hide left out). */
const shownTexts = (page) =>
  page.$$eval('g[data-node]', (nodes) =>
    Object.fromEntries(
      nodes.map((g) => [
        g.getAttribute('data-node'),
        [...g.querySelectorAll('text')].filter((t) => getComputedStyle(t).display !== 'none').map((t) => t.textContent.trim()),
      ]),
    ),
  );

/**
 * Reads an SVG file's text with the browser's XML parser and reports what a
 * picture must and must not hold.
 */
const readSvg = (page, svg) =>
  page.evaluate((svg) => {
    const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
    const root = doc.documentElement;
    const all = [...doc.querySelectorAll('*')];
    const attrs = all.flatMap((el) => [...el.attributes].map((a) => [el.localName, a.name, a.value]));
    const num = (v) => (v === null ? null : Number(v));
    return {
      parseError: doc.querySelector('parsererror')?.textContent ?? null,
      tag: root.localName,
      ns: root.namespaceURI,
      xmlns: root.getAttribute('xmlns'),
      width: num(root.getAttribute('width')),
      height: num(root.getAttribute('height')),
      viewBox: root.getAttribute('viewBox'),
      title: [...root.children].find((c) => c.localName === 'title')?.textContent ?? null,
      forbidden: all.map((el) => el.localName).filter((n) => ['script', 'foreignObject', 'image', 'style', 'link', 'iframe', 'a', 'use'].includes(n)),
      handlers: attrs.filter(([, name]) => /^on/i.test(name)).map(([el, name]) => `${el}@${name}`),
      // Every reference to something else: url(...) in attributes and styles, and any href.
      references: attrs.flatMap(([el, name, value]) => {
        const refs = [...value.matchAll(/url\(\s*['"]?([^'")]*)/g)].map((m) => m[1]);
        if (/href$/i.test(name)) refs.push(value);
        return refs.map((r) => `${el}@${name}=${r}`);
      }),
      nodes: [...doc.querySelectorAll('g[data-node]')].map((g) => g.getAttribute('data-node')).sort(),
      texts: Object.fromEntries(
        [...doc.querySelectorAll('g[data-node]')].map((g) => [g.getAttribute('data-node'), [...g.querySelectorAll('text')].map((t) => t.textContent.trim())]),
      ),
      kindLines: Object.fromEntries(
        [...doc.querySelectorAll('g[data-node]')].map((g) => [g.getAttribute('data-node'), g.querySelector('.node-kind')?.textContent ?? null]),
      ),
      legend: [...doc.querySelectorAll('g.legend text')].map((t) => t.textContent),
      loadBars: doc.querySelectorAll('g[data-node] rect.load').length,
      flowLabels: doc.querySelectorAll('.flow-label').length,
      background: doc.querySelector('rect.grid-bg')?.getAttribute('style') ?? null,
      boxStyle: doc.querySelector('g[data-node] rect.node-box')?.getAttribute('style') ?? null,
      boxStyles: Object.fromEntries(
        [...doc.querySelectorAll('g[data-node]')].map((g) => [g.getAttribute('data-node'), g.querySelector('rect.node-box')?.getAttribute('style') ?? null]),
      ),
      selected: doc.querySelectorAll('.selected').length,
      styled: all.filter((el) => el.hasAttribute('style')).length,
      classAttrs: all.filter((el) => el.hasAttribute('class')).length,
    };
  }, svg);

/** The size in a PNG file's IHDR chunk (bytes 16-23, big-endian). */
function pngSize(bytes) {
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'the PNG signature');
  assert.equal(bytes.subarray(12, 16).toString('latin1'), 'IHDR', 'the first chunk is IHDR');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

/** Decodes the PNG in the page (an independent decoder) and describes its pixels. */
const readPng = (page, bytes) =>
  page.evaluate(async (b64) => {
    const data = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const bitmap = await createImageBitmap(new Blob([data], { type: 'image/png' }));
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d');
    ctx.drawImage(bitmap, 0, 0);
    const px = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
    const corner = [px[0], px[1], px[2], px[3]];
    let differ = 0;
    const colours = new Set();
    for (let i = 0; i < px.length; i += 4) {
      if (Math.abs(px[i] - corner[0]) + Math.abs(px[i + 1] - corner[1]) + Math.abs(px[i + 2] - corner[2]) > 24) differ++;
      if (colours.size < 1000) colours.add((px[i] << 16) | (px[i + 1] << 8) | px[i + 2]);
    }
    return { width: bitmap.width, height: bitmap.height, corner, drawnShare: differ / (px.length / 4), colours: colours.size };
  }, bytes.toString('base64'));

function keep(name, bytes) {
  mkdirSync(screenshotDir, { recursive: true });
  writeFileSync(join(screenshotDir, name), bytes);
}

/** What every picture holds, whatever its choices. */
function assertSelfContained(svg, raw) {
  assert.equal(svg.parseError, null, 'the SVG parses as XML');
  assert.equal(svg.tag, 'svg');
  assert.equal(svg.ns, 'http://www.w3.org/2000/svg');
  assert.equal(svg.xmlns, 'http://www.w3.org/2000/svg', 'the root declares the SVG namespace');
  assert.match(raw, /^<\?xml version="1\.0" encoding="UTF-8"\?>/);
  assert.deepEqual(svg.forbidden, [], 'no script, foreign content, images, style sheets or links');
  assert.deepEqual(svg.handlers, [], 'no event-handler attributes');
  for (const r of svg.references) assert.match(r, /=#[\w-]+$/, `only references inside the file: ${r}`);
  assert.ok(!/https?:\/\/(?!www\.w3\.org\/)/.test(raw), 'no address outside the SVG namespace');
  assert.ok(!/@import|@font-face|data-testid|tabindex/.test(raw), 'no imports, fonts or editing attributes');
  assert.ok(svg.width > 100 && svg.height > 50, `sized to the drawing: ${svg.width} x ${svg.height}`);
  assert.equal(svg.viewBox, `0 0 ${svg.width} ${svg.height}`);
  assert.ok(svg.styled > 10, 'styles are written into the elements');
}

test('File → Picture…: an SVG and a 2× PNG of the diagram with its live numbers and legend', async () => {
  const { page, errors, context } = await openRunning(site, { colorScheme: 'light' });
  await simUntil(page, 2);
  await pause(page);
  const ids = await nodeIds(page);
  const shown = await shownTexts(page);
  const time = await text(page, 'sim-time');
  const card = numberIn(await text(page, 'metric-rps'));
  // The window the numbers cover, as the bar under the diagram says it.
  const window = (await text(page, 'sampling')).match(/numbers: (last \d+ s)$/)[1];

  await openPicture(page);
  assert.match(await page.getByTestId('picture-dialog').textContent(), new RegExp(`Live numbers on the boxes \\(${time.replace(/[.]/g, '\\.')}, ${window}\\)`));
  await screenshot(page, 'export-dialog');
  const { name, bytes } = await download(page, 'picture-download-svg');
  assert.equal(name, 'scalelab-two-web-servers-and-a-database.svg');
  const raw = bytes.toString('utf8');
  keep('export-light.svg', bytes);
  const svg = await readSvg(page, raw);
  assertSelfContained(svg, raw);
  assert.equal(svg.title, STARTER_NAME, 'the title is the design name');
  assert.deepEqual(svg.nodes, ids, 'one group per box of the diagram');
  assert.deepEqual(svg.texts, shown, 'each box carries the texts the page shows on it');
  // The users box says the requests/s the dashboard's card says.
  const users = svg.texts.users.find((t) => /\/s$/.test(t));
  assert.ok(users, `the users box has a rate: ${svg.texts.users}`);
  assert.equal(numberIn(users), card, `users box ${users} against the card ${card}`);
  assert.ok(svg.loadBars >= 3, 'the load bars of the stations are drawn');
  assert.ok(svg.legend.includes(`${STARTER_NAME} · Scale Lab`), svg.legend.join(' | '));
  assert.ok(svg.legend.some((l) => l === `Numbers: ${window} of simulated time, at ${time}`), svg.legend.join(' | '));
  assert.ok(svg.legend.some((l) => l.startsWith('Bar under a box: workers busy')), svg.legend.join(' | '));
  // The light theme's colours, resolved: the page background and white boxes.
  assert.match(svg.background, /fill:\s*rgb\(244, 246, 249\)/);
  assert.match(svg.boxStyle, /fill:\s*rgb\(255, 255, 255\)/);
  assert.match(await notice(page), new RegExp(`Saved the diagram as ${name} \\(${svg.width} × ${svg.height} px\\)`));

  const png = await download(page, 'picture-download-png');
  assert.equal(png.name, 'scalelab-two-web-servers-and-a-database.png');
  keep('export-light.png', png.bytes);
  assert.deepEqual(pngSize(png.bytes), { width: 2 * svg.width, height: 2 * svg.height }, 'twice the SVG each way');
  const pixels = await readPng(page, png.bytes);
  assert.deepEqual([pixels.width, pixels.height], [2 * svg.width, 2 * svg.height]);
  assert.deepEqual(pixels.corner, [244, 246, 249, 255], 'the page background, opaque');
  assert.ok(pixels.drawnShare > 0.03 && pixels.colours > 20, `not blank: ${JSON.stringify(pixels)}`);
  await page.getByTestId('notice').filter({ hasText: png.name }).waitFor();
  assert.match(await notice(page), new RegExp(`Saved the diagram as ${png.name} \\(${2 * svg.width} × ${2 * svg.height} px\\)`));
  assert.deepEqual(errors, []);
  await context.close();
});

test('dark theme without numbers or legend: the design only, on a dark background', async () => {
  const { page, errors, context } = await openRunning(site, { colorScheme: 'dark' });
  await simUntil(page, 1.5);
  const ids = await nodeIds(page);
  // A selected box is drawn highlighted on the page, but not in the picture.
  await page.getByTestId('node-web-1').click();
  await page.waitForFunction(() => document.querySelector('g[data-node="web-1"]')?.classList.contains('selected'));
  await openPicture(page, { numbers: false, legend: false });
  const { bytes } = await download(page, 'picture-download-svg');
  const raw = bytes.toString('utf8');
  keep('export-dark-plain.svg', bytes);
  const svg = await readSvg(page, raw);
  assertSelfContained(svg, raw);
  assert.deepEqual(svg.nodes, ids);
  assert.deepEqual(svg.legend, [], 'no legend');
  assert.equal(svg.loadBars, 0, 'no load bars');
  assert.equal(svg.flowLabels, 0, 'no flow labels');
  // Each box says its name and its kind: no figure of the run.
  const kinds = await page.$$eval('g[data-node]', (nodes) =>
    Object.fromEntries(nodes.map((g) => [g.getAttribute('data-node'), g.getAttribute('aria-label')])),
  );
  for (const [id, texts] of Object.entries(svg.texts)) {
    assert.ok(texts.includes(id), `${id} is named: ${texts}`);
    const kind = svg.kindLines[id];
    // The page's label for a box starts with its kind and its id.
    assert.ok(kind && kinds[id].startsWith(`${kind} ${id}`), `${id} says its kind: ${kind} (page: ${kinds[id]})`);
    assert.ok(!/\d|%|\/s/.test(kind), `${id}: no figure in "${kind}"`);
  }
  assert.match(svg.background, /fill:\s*rgb\(17, 20, 26\)/, 'the dark background');
  assert.match(svg.boxStyle, /fill:\s*rgb\(34, 40, 52\)/, 'dark boxes');
  assert.equal(svg.selected, 0, 'no selection in the picture');
  assert.equal(svg.boxStyles['web-1'], svg.boxStyles['web-2'], 'the selected box is drawn like the others');

  const png = await download(page, 'picture-download-png');
  keep('export-dark-plain.png', png.bytes);
  assert.deepEqual(pngSize(png.bytes), { width: 2 * svg.width, height: 2 * svg.height });
  const pixels = await readPng(page, png.bytes);
  assert.deepEqual(pixels.corner, [17, 20, 26, 255]);
  assert.ok(pixels.drawnShare > 0.03 && pixels.colours > 20, `not blank: ${JSON.stringify(pixels)}`);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a box whose live line was squeezed to fit says its kind at its own width when the numbers are left out', async () => {
  const { page, errors, context } = await site.openPage('/?example=goodput-collapse');
  await page.getByTestId('app-ready').waitFor({ timeout: 60000 });
  // One worker behind 10% more than it serves: the queue grows, and the box's
  // line ("100% · 150 waiting") is squeezed into the box.
  await simUntil(page, 15);
  await pause(page);
  const kindLine = page.locator('g[data-node="api"] .node-kind');
  assert.ok(await kindLine.getAttribute('textLength'), `squeezed on the page: ${await kindLine.textContent()}`);
  await openPicture(page, { numbers: false, legend: false });
  const { bytes } = await download(page, 'picture-download-svg');
  const raw = bytes.toString('utf8');
  const svg = await readSvg(page, raw);
  assertSelfContained(svg, raw);
  assert.equal(svg.kindLines.api, 'web server');
  assert.ok(!/textLength|lengthAdjust/.test(raw), 'no line is stretched to the squeezed length');
  assert.deepEqual(errors, []);
  await context.close();
});

test('an empty diagram gives no picture and says why', async () => {
  const { page, errors, context } = await openRunning(site);
  await choose(page, 'new-diagram');
  await page.waitForFunction(() => document.querySelectorAll('g[data-node]').length === 0);
  await openPicture(page);
  let downloads = 0;
  page.on('download', () => downloads++);
  await page.getByTestId('picture-download-svg').click();
  await page.getByTestId('notice').filter({ hasText: 'No picture' }).waitFor();
  assert.match(await notice(page), /^No picture: the diagram is empty: there is nothing to draw/);
  assert.ok(await page.getByTestId('notice').evaluate((n) => n.classList.contains('error')));
  assert.equal(downloads, 0);
  assert.deepEqual(errors, []);
  await context.close();
});

test('on a phone: Picture… is in the folded menu, its dialog fits, and the picture has every box', async () => {
  const { page, errors, context } = await openRunning(site, { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
  await simUntil(page, 1.5);
  await page.getByTestId('more').click();
  await page.getByTestId('file-menu').click();
  // The folded menu scrolls when its lists are longer than the phone.
  await page.getByTestId('picture').scrollIntoViewIfNeeded();
  const item = await page.getByTestId('picture').boundingBox();
  assert.ok(item && item.x >= 0 && item.x + item.width <= 390 && item.height >= 24, `the Picture item fits the phone: ${JSON.stringify(item)}`);
  await screenshot(page, 'export-phone-menu');
  await page.getByTestId('picture').tap();
  await page.getByTestId('picture-dialog').waitFor();
  const dialog = await page.getByTestId('picture-dialog').boundingBox();
  assert.ok(dialog.x >= 0 && dialog.x + dialog.width <= 390, `the dialog fits: ${JSON.stringify(dialog)}`);
  for (const id of ['picture-numbers', 'picture-legend', 'picture-download-svg', 'picture-download-png', 'picture-close']) {
    const box = await page.getByTestId(id).boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 390 && box.y + box.height <= 844, `${id} in view: ${JSON.stringify(box)}`);
  }
  await screenshot(page, 'export-phone-dialog');
  const ids = await nodeIds(page);
  const { bytes } = await download(page, 'picture-download-svg');
  const raw = bytes.toString('utf8');
  keep('export-phone.svg', bytes);
  const svg = await readSvg(page, raw);
  assertSelfContained(svg, raw);
  assert.deepEqual(svg.nodes, ids);
  await page.getByTestId('picture-close').tap();
  await page.getByTestId('picture-dialog').waitFor({ state: 'detached' });
  assert.deepEqual(errors, []);
  await context.close();
});
