import { test, before, after } from 'node:test';
import { startSite, sleep, openRunning } from './harness.js';
let site;
before(async () => { site = await startSite(); });
after(async () => { await site.close(); });
for (let k = 0; k < 5; k++) test('dbg' + k, async () => {
  const { page, context } = await openRunning(site, {});
  await page.getByTestId('speed').selectOption('0.1');
  await sleep(1500);
  await page.getByTestId('play-toggle').click();
  await sleep(200);
  const scan = () => page.evaluate(() => {
    const c = document.querySelector('canvas.particles');
    const { data, width, height } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
    const hits = [];
    for (let y = 2; y < height - 2; y += 2) for (let x = 2; x < width - 2; x += 2) {
      const i = (y * width + x) * 4; const o = (k) => data[k + 3] > 200;
      if (o(i) && o(i + 8) && o(i - 8) && o(i + 8 * width) && o(i - 8 * width)) hits.push([x, y]);
    }
    return hits;
  });
  const s1 = await scan();
  const r = await page.evaluate(() => { const b = document.querySelector('canvas.particles').getBoundingClientRect(); return [b.left, b.top]; });
  await page.mouse.click(r[0] + s1[0][0], r[1] + s1[0][1]);
  await sleep(1500);
  const s2 = await scan();
  console.log(k, 'hits', JSON.stringify(s1), 'after', JSON.stringify(s2), 'trace', await page.getByTestId('trace-panel').count(), 'sel', await page.locator('g.link.selected').count(), 'btn', await page.getByTestId('play-toggle').textContent());
  await context.close();
});
