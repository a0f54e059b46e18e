// Keeping work: autosave across reloads, files out and back in, share links,
// and every way these can fail without losing the diagram on screen.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSite, screenshot, text, nodeIds, linkIds, notice, choose, openReady } from './harness.js';

let site;
before(async () => {
  site = await startSite();
});
after(async () => {
  await site?.close();
});

async function ready(page) {
  await page.getByTestId('app-ready').waitFor({ timeout: 60000 });
}

const open = (path, options) => openReady(site, path, options);


/** Deletes web-2 by selecting it and pressing Delete: a change worth keeping. */
async function deleteWeb2(page) {
  await page.getByTestId('node-web-2').click();
  await page.keyboard.press('Delete');
  await page.waitForFunction(() => !document.querySelector('g[data-node="web-2"]'));
}

test('autosave: an edit survives a reload, and the restore is announced', async () => {
  const { page, errors, context } = await open();
  await deleteWeb2(page);
  const edited = await nodeIds(page);
  await page.reload();
  await ready(page);
  assert.deepEqual(await nodeIds(page), edited, 'the reloaded page shows the edited design');
  assert.match(await notice(page), /Restored your last diagram/);
  // Undo history starts fresh, but the restored design runs.
  await page.waitForFunction(() => document.querySelector('[data-testid="metric-p99"]')?.textContent.includes('ms'), null, { timeout: 60000 });
  assert.deepEqual(errors, []);
  await context.close();
});

test('save to a file and open it again gives the same diagram; a bad file changes nothing', async () => {
  const { page, errors, context } = await open();
  await deleteWeb2(page);
  const ids = await nodeIds(page);
  const links = await linkIds(page);
  const [download] = await Promise.all([page.waitForEvent('download'), choose(page, 'save-file')]);
  assert.match(download.suggestedFilename(), /^scalelab-[a-z0-9-]+\.json$/);
  const file = join(mkdtempSync(join(tmpdir(), 'scalelab-')), download.suggestedFilename());
  await download.saveAs(file);
  const saved = JSON.parse(readFileSync(file, 'utf8'));
  assert.deepEqual(saved.nodes.map((n) => n.id).sort(), ids);

  await choose(page, 'new-diagram');
  await page.waitForFunction(() => document.querySelectorAll('g[data-node]').length === 0);
  await page.getByTestId('file-input').setInputFiles(file);
  await page.waitForFunction((n) => document.querySelectorAll('g[data-node]').length === n, ids.length);
  assert.deepEqual(await nodeIds(page), ids);
  assert.deepEqual(await linkIds(page), links);
  assert.match(await notice(page), /Opened "scalelab-.*\.json"/);

  // A file that is not a valid design: a message naming the field, and the
  // diagram stays exactly as it was.
  const bad = { version: 1, nodes: [{ id: 'a', kind: 'teapot' }], links: [] };
  await page.getByTestId('file-input').setInputFiles({ name: 'bad.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(bad)) });
  await page.waitForFunction(() => /bad\.json/.test(document.querySelector('[data-testid="notice"]')?.textContent ?? ''));
  const message = await notice(page);
  assert.match(message, /"bad\.json" is not a Scale Lab design: .*nodes\[0\]\.kind/);
  assert.match(message, /your diagram is unchanged/);
  assert.deepEqual(await nodeIds(page), ids);
  // Not JSON at all, and an empty file.
  await page.getByTestId('file-input').setInputFiles({ name: 'notes.json', mimeType: 'application/json', buffer: Buffer.from('hello') });
  await page.waitForFunction(() => /notes\.json/.test(document.querySelector('[data-testid="notice"]')?.textContent ?? ''));
  assert.match(await notice(page), /line 1/);
  await page.getByTestId('file-input').setInputFiles({ name: 'empty.json', mimeType: 'application/json', buffer: Buffer.alloc(0) });
  await page.waitForFunction(() => /empty\.json" is empty/.test(document.querySelector('[data-testid="notice"]')?.textContent ?? ''));
  assert.deepEqual(await nodeIds(page), ids);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a share link opens the same design elsewhere, then leaves the address', async () => {
  const { page, errors, context } = await open('/', { permissions: ['clipboard-read', 'clipboard-write'] });
  await deleteWeb2(page);
  const ids = await nodeIds(page);
  const links = await linkIds(page);
  await choose(page, 'share');
  const url = await page.getByTestId('share-url').inputValue();
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/#s=[A-Za-z0-9_-]+$/);
  await page.getByTestId('copy-link').click();
  await page.waitForFunction(() => /copied/.test(document.querySelector('[data-testid="notice"]')?.textContent ?? ''));
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), url);
  await screenshot(page, 'share-dialog');
  await page.keyboard.press('Escape');
  await page.getByTestId('share-dialog').waitFor({ state: 'detached' });

  // Somebody else (fresh storage) opens the link.
  const other = await site.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page2 = await other.newPage();
  const errors2 = [];
  page2.on('pageerror', (e) => errors2.push(e.message));
  page2.on('console', (m) => m.type() === 'error' && errors2.push(m.text()));
  await page2.goto(url);
  await ready(page2);
  assert.deepEqual(await nodeIds(page2), ids);
  assert.deepEqual(await linkIds(page2), links);
  assert.match(await notice(page2), /Opened the design from the share link/);
  assert.ok(!page2.url().includes('#'), `the link leaves the address bar: ${page2.url()}`);
  // Their edits then survive a reload (autosave), rather than the link's original.
  await page2.getByTestId('node-db').click();
  await page2.keyboard.press('Delete');
  await page2.waitForFunction(() => !document.querySelector('g[data-node="db"]'));
  await page2.reload();
  await ready(page2);
  assert.ok(!(await nodeIds(page2)).includes('db'));
  assert.deepEqual(errors2, []);
  await other.close();
  assert.deepEqual(errors, []);
  await context.close();
});

test('a damaged share link is reported and the autosaved diagram is kept', async () => {
  const { page, errors, context } = await open();
  await deleteWeb2(page);
  const ids = await nodeIds(page);
  const { baseUrl } = site;
  await page.goto(`${baseUrl}/?again=1#s=not*base64`);
  await ready(page);
  assert.match(await notice(page), /The share link could not be opened: this share link is damaged .*autosaved diagram is shown instead/);
  assert.deepEqual(await nodeIds(page), ids);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a design too large for a link is offered as a file', async () => {
  const { page, errors, context } = await open();
  // 500 web servers (the most a design may have) with random ids, which
  // compression cannot shrink: about 20 KB of entropy, far over a link's 8,000.
  const nodes = [];
  for (let i = 0; i < 500; i++) nodes.push({ id: `web-${randomBytes(20).toString('hex')}`, kind: 'web_server' });
  const big = { version: 1, name: 'Big farm', nodes, links: [] };
  await page.getByTestId('file-input').setInputFiles({ name: 'big.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(big)) });
  await page.waitForFunction(() => document.querySelectorAll('g[data-node]').length === 500, null, { timeout: 60000 });
  await choose(page, 'share');
  assert.match(await text(page, 'share-too-long'), /too large for a link \([\d,]+ characters; links over 8,000/);
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('share-as-file').click()]);
  assert.equal(download.suggestedFilename(), 'scalelab-big-farm.json');
  const saved = JSON.parse(readFileSync(await download.path(), 'utf8'));
  assert.equal(saved.nodes.length, 500);
  assert.deepEqual(errors, []);
  await context.close();
});

test('failed saves are reported once; blocked storage is said and nothing breaks', async () => {
  // Storage that is full: every write throws QuotaExceededError.
  const full = await site.browser.newContext({ viewport: { width: 1280, height: 800 } });
  await full.addInitScript(() => {
    Storage.prototype.setItem = function () {
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    };
  });
  const page = await full.newPage();
  await page.goto(`${site.baseUrl}/`);
  await ready(page);
  await page.waitForFunction(() => /storage for this site is full/.test(document.querySelector('[data-testid="notice"]')?.textContent ?? ''));
  assert.equal(await page.getByTestId('notice').getAttribute('role'), 'alert');
  await page.getByTestId('notice').getByRole('button', { name: 'Dismiss' }).click();
  await deleteWeb2(page);
  assert.match(await notice(page), /Deleted web-2/, 'the same failure is not repeated on every edit');
  await full.close();

  // A third-party frame whose storage is blocked: reading localStorage throws.
  const blocked = await site.browser.newContext({ viewport: { width: 1280, height: 800 } });
  await blocked.addInitScript(() => {
    Object.defineProperty(window, 'localStorage', {
      get() {
        throw new DOMException('Access is denied for this document.', 'SecurityError');
      },
    });
  });
  const page2 = await blocked.newPage();
  const errors2 = [];
  page2.on('pageerror', (e) => errors2.push(e.message));
  await page2.goto(`${site.baseUrl}/`);
  await ready(page2);
  assert.match(await notice(page2), /autosave is off/);
  await deleteWeb2(page2);
  assert.deepEqual(errors2, []);
  await blocked.close();
});
