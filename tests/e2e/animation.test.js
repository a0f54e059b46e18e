// The moving requests: dots drawn on the canvas over the diagram are sampled
// real requests; the sampling adapts to traffic; pause freezes them; hiding
// the animation (or reduced motion) leaves an empty canvas.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSite, screenshot, text, numberIn, sleep } from './harness.js';

let site;
before(async () => {
  site = await startSite();
});
after(async () => {
  await site?.close();
});


async function open(options = {}) {
  const opened = await site.openPage('/', options);
  await opened.page.getByTestId('app-ready').waitFor({ timeout: 20000 });
  return opened;
}

/** Painted pixels on the particle canvas: all of them, and those close to a
 *  given colour (the dots are drawn in a handful of flat colours). */
function canvasPixels(page, rgb = null) {
  return page.locator('canvas.particles').evaluate((c, rgb) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let painted = 0;
    let near = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i + 3] < 200) continue;
      painted++;
      if (rgb && Math.abs(d[i] - rgb[0]) + Math.abs(d[i + 1] - rgb[1]) + Math.abs(d[i + 2] - rgb[2]) < 40) near++;
    }
    return { painted, near };
  }, rgb);
}

/** Polls the canvas for up to 5 s until at least `min` pixels are painted
 *  (near `rgb`, if given): how many dots are in flight at one instant varies. */
async function waitPainted(page, min, rgb = null) {
  let px = { painted: 0, near: 0 };
  for (let i = 0; i < 20; i++) {
    px = await canvasPixels(page, rgb);
    if ((rgb ? px.near : px.painted) > min) break;
    await sleep(250);
  }
  return px;
}

const canvasHash = (page) =>
  page.locator('canvas.particles').evaluate((c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let h = 0;
    for (let i = 0; i < d.length; i += 1) h = (h * 31 + d[i]) | 0;
    return h;
  });

test('sampled requests move along the wires; pausing freezes them; hiding clears them', async () => {
  const { page, errors, context } = await open();
  await sleep(1500);
  const shown = await text(page, 'sampling');
  assert.match(shown, /^Showing every request · [\d,]+ dots$/, shown);
  assert.ok(numberIn(shown.split('·')[1]) > 20, shown);
  // Reads are blue (#2f6fde on the light page): most of the starter traffic.
  const px = await waitPainted(page, 100, [0x2f, 0x6f, 0xde]);
  assert.ok(px.near > 100, `read-coloured dots on the canvas: ${JSON.stringify(px)}`);
  // The dots move between frames.
  const a = await canvasHash(page);
  await sleep(100);
  assert.notEqual(await canvasHash(page), a, 'the dots move while playing');

  await page.getByTestId('play-toggle').click();
  await sleep(300);
  const still = await canvasHash(page);
  await sleep(500);
  assert.equal(await canvasHash(page), still, 'paused: the dots hold still');
  assert.ok((await canvasPixels(page)).painted > 100, 'paused dots stay visible');
  await page.getByTestId('play-toggle').click();

  await page.getByTestId('animation-toggle').click();
  await sleep(200);
  assert.equal((await canvasPixels(page)).painted, 0, 'hidden: nothing on the canvas');
  assert.equal(await text(page, 'sampling'), 'Flow: link thickness = requests/s');
  assert.ok(numberIn(await page.getByTestId('link-users-lb').locator('.flow-label').textContent()) > 0);
  await page.getByTestId('animation-toggle').click();
  await sleep(600);
  assert.ok((await waitPainted(page, 100)).painted > 100, 'shown again');
  assert.deepEqual(errors, []);
  await context.close();
});

test('at a million daily users x 10 speed the sampling thins out and the dots stay near the budget', async () => {
  const { page, errors, context } = await open();
  // The dial is log10(users) x 100: 600 is a million daily users (10,000 req/s).
  await page.getByTestId('traffic').evaluate((el) => {
    el.value = '600';
    el.dispatchEvent(new Event('change', { bubbles: true }));
  });
  await page.getByTestId('speed').selectOption('10');
  await sleep(4000);
  const shown = await text(page, 'sampling');
  const m = shown.match(/^Showing 1 in ([\d,]+) requests · ([\d,]+) dots$/);
  assert.ok(m, `sampling is shown: ${shown}`);
  const every = Number(m[1].replace(/,/g, ''));
  const dots = Number(m[2].replace(/,/g, ''));
  assert.ok(every >= 8, `one request in ${every} is followed`);
  assert.ok(dots > 500 && dots <= 4000, `dots on screen ${dots} stay near the 2,000 budget (hard cap 4,000)`);
  await screenshot(page, 'animation-busy');
  assert.deepEqual(errors, []);
  await context.close();
});

test('failed requests are drawn red', async () => {
  const { page, errors, context } = await open({ colorScheme: 'dark' });
  await page.getByTestId('node-db').click();
  await page.getByTestId('fault-fail').click();
  await sleep(800);
  // Failed responses are #ff6b6b on the dark page.
  const px = await waitPainted(page, 100, [0xff, 0x6b, 0x6b]);
  assert.ok(px.near > 100, `red dots: ${JSON.stringify(px)}`);
  await screenshot(page, 'animation-failures-dark');
  assert.deepEqual(errors, []);
  await context.close();
});

test('with reduced motion nothing moves until the user asks for it', async () => {
  const { page, errors, context } = await open({ reducedMotion: 'reduce' });
  await sleep(800);
  assert.equal((await canvasPixels(page)).painted, 0);
  assert.equal(await text(page, 'sampling'), 'Flow: link thickness = requests/s');
  await page.getByTestId('animation-toggle').click();
  await sleep(800);
  assert.ok((await waitPainted(page, 50)).painted > 50);
  assert.deepEqual(errors, []);
  await context.close();
});
