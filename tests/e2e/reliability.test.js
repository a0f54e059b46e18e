// Reliability: the crash screen and what it brings back, earlier autosaved
// versions, user text that never becomes markup, the Content-Security-Policy,
// and a seeded run of random input (`?fuzz=SEED`).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSite, distDir, screenshot, sleep, nodeIds, notice, choose, showCharts } from './harness.js';

let site;
before(async () => {
  site = await startSite();
});
after(async () => {
  await site?.close();
});

const XSS = '<img src=x onerror="window.__xss=1">';

async function ready(page) {
  await page.getByTestId('app-ready').waitFor({ timeout: 60000 });
}

/** Opens `path` with a recorder of Content-Security-Policy violations. */
async function open(path = '/', options = {}) {
  const context = await site.browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
  await context.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.effectiveDirective} ${e.blockedURI} ${e.sample}`));
  });
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => errors.push(`page: ${e.message}`));
  await page.goto(`${site.baseUrl}${path}`);
  await ready(page);
  return { page, context, errors };
}

const newestAutosave = (page) => page.evaluate(() => JSON.parse(localStorage.getItem('scalelab.autosave.v1') ?? '[]')[0]?.json ?? null);

/** Closes open dialogs and panels by clicking their backdrop, as a person would. */
async function closeDialogs(page) {
  for (let i = 0; i < 5; i++) {
    const open = await page.locator('.dialog-backdrop').count();
    if (open === 0) return;
    await page.mouse.click(2, 2);
    // The click closes the topmost one: wait for that rather than a fixed time.
    await page.waitForFunction((n) => document.querySelectorAll('.dialog-backdrop').length < n, open);
  }
}

/** What each button shows once clicked (the lessons button toggles its panel). */
const SHOWS = {
  'compare-button': 'compare-panel',
  'resilience-button': 'resilience-panel',
  'envelope-button': 'envelope-panel',
  share: 'share-dialog',
  'embed-code': 'embed-dialog',
  help: 'help-dialog',
};

/** Clicks `button` and waits until what it opens is on screen. */
async function openFrom(page, button) {
  if (button === 'lessons-button') {
    const was = await page.getByTestId(button).getAttribute('aria-expanded');
    await choose(page, button);
    await page.waitForFunction((w) => document.querySelector('[data-testid="lessons-button"]').getAttribute('aria-expanded') !== w, was);
    if (was === 'false') await page.getByTestId('lesson-panel').waitFor();
    return;
  }
  await choose(page, button);
  await page.getByTestId(SHOWS[button]).waitFor();
}

async function deleteNode(page, id) {
  await page.getByTestId(`node-${id}`).click();
  await page.keyboard.press('Delete');
  await page.waitForFunction((n) => !document.querySelector(`g[data-node="${n}"]`), id);
}

test('a panic shows the crash screen, freezes the autosave, and the reload brings back the diagram saved before it', async () => {
  const { page, errors, context } = await open('/');
  await deleteNode(page, 'web-2');
  // The test switch is in the address; the autosave opens as usual.
  await page.goto(`${site.baseUrl}/?panic-test`);
  await ready(page);
  await deleteNode(page, 'db');
  const ids = await nodeIds(page);
  assert.ok(!ids.includes('web-2') && !ids.includes('db'));
  const saved = await newestAutosave(page);
  assert.ok(saved && !saved.includes('"db"'), 'the last change before the panic is autosaved');

  await page.keyboard.press('Control+Alt+Shift+KeyP');
  const overlay = page.getByTestId('crash-overlay');
  await overlay.waitFor();
  assert.match(await overlay.textContent(), /Scale Lab stopped working/);
  assert.match(await page.getByTestId('crash-autosave').textContent(), /autosaved in this browser after your last change/);
  assert.equal(await overlay.getAttribute('role'), 'alertdialog');
  await screenshot(page, 'crash-screen');

  // The page behind still answers keys: Ctrl+Z undoes the delete of db.
  // Were autosave not stopped by the panic, that state would replace the
  // version saved before it.
  await page.keyboard.press('Control+z');
  await page.waitForFunction(() => document.querySelector('g[data-node="db"]'));
  // Autosave is an effect of the change and has run by the time db is drawn
  // again; the pause is only a margin for a write that would come later.
  await sleep(300);
  assert.equal(await newestAutosave(page), saved, 'nothing is autosaved after a panic');

  await page.getByTestId('crash-reload').click();
  await page.waitForURL((u) => !u.search.includes('panic-test'));
  await ready(page);
  assert.deepEqual(await nodeIds(page), ids, 'the diagram autosaved before the panic is back');
  assert.match(await notice(page), /Restored your last diagram/);
  assert.equal(await page.getByTestId('crash-overlay').count(), 0);
  // The only errors are the panic's own (its message, and the trap that ends the wasm call).
  assert.ok(errors.length > 0);
  for (const e of errors) assert.match(e, /panic test|unreachable/, e);
  await context.close();
});

test('earlier autosaved versions are listed with their times and any of them can be restored', async () => {
  const { page, errors, context } = await open('/');
  const starter = await nodeIds(page);
  await deleteNode(page, 'web-2');
  await sleep(20);
  await deleteNode(page, 'db');
  const latest = await nodeIds(page);

  await choose(page, 'earlier-versions');
  const list = page.getByTestId('versions-list');
  await list.waitFor();
  const rows = await list.locator('li button').allTextContents();
  assert.equal(rows.length, 3, rows.join('\n'));
  for (const r of rows) assert.match(r, /^\d\d:\d\d:\d\d · .*\d+ nodes?, \d+ links?/, r);
  assert.match(rows[0], /\(on screen\)$/);
  assert.ok(await page.getByTestId('version-0').isDisabled(), 'the version on screen is not offered');
  await screenshot(page, 'earlier-versions');

  // The oldest is the starter design.
  await page.getByTestId('version-2').click();
  await page.waitForFunction((n) => document.querySelectorAll('g[data-node]').length === n, starter.length);
  assert.deepEqual(await nodeIds(page), starter);
  assert.match(await notice(page), /Restored the version autosaved at \d\d:\d\d:\d\d \(Undo brings back the diagram you had\)/);
  // Undo goes back to the diagram that was on screen, redo to the restored one.
  await page.getByTestId('undo').click();
  assert.deepEqual(await nodeIds(page), latest);
  await page.getByTestId('redo').click();
  assert.deepEqual(await nodeIds(page), starter);

  // The restored version is now the newest autosave, and no version was lost.
  await page.reload();
  await ready(page);
  assert.deepEqual(await nodeIds(page), starter);
  await choose(page, 'earlier-versions');
  assert.equal(await page.getByTestId('versions-list').locator('li button').count(), 3);
  await page.keyboard.press('Escape');
  await page.getByTestId('versions-list').waitFor({ state: 'detached' });
  assert.deepEqual(errors, []);
  assert.deepEqual(await page.evaluate(() => window.__csp), []);
  await context.close();
});

test('user text is never markup: names, alerts, file names and refused ids with HTML in them stay text', async () => {
  const { page, errors, context } = await open('/');
  const design = {
    version: 1,
    name: XSS,
    nodes: [
      { id: 'users', kind: 'users', rps: 50 },
      { id: 'web', kind: 'web_server' },
    ],
    links: [{ from: 'users', to: 'web' }],
    // Fires at once: every request is slower than 0 ms.
    alerts: [{ name: XSS, metric: 'p99_ms', above: 0, for_s: 1 }],
  };
  const file = { name: `${XSS}.json`, mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(design)) };
  await showCharts(page);
  await page.getByTestId('file-input').setInputFiles(file);
  await page.waitForFunction(() => document.querySelectorAll('g[data-node]').length === 2);
  assert.equal(await notice(page), `Opened "${XSS}.json" (Undo brings the previous diagram back)×`);
  // The alert's name in the event log, once it fires.
  await page.waitForFunction((x) => document.body.innerText.includes(`alert "${x}" fired`), XSS, { timeout: 60000 });
  // The name in the earlier versions, the embed code and the compare panel.
  await choose(page, 'earlier-versions');
  assert.ok((await page.getByTestId('versions-list').textContent()).includes(XSS));
  await page.keyboard.press('Escape');
  await choose(page, 'embed-code');
  assert.ok((await page.getByTestId('embed-snippet').inputValue()).includes('&lt;img src=x onerror=&quot;window.__xss=1&quot;&gt;'));
  await page.keyboard.press('Escape');
  await closeDialogs(page);
  await openFrom(page, 'compare-button');
  await closeDialogs(page);

  // Refused: an id with markup, and a document trying to pollute prototypes.
  const bad = { version: 1, nodes: [{ id: XSS, kind: 'web_server' }], links: [] };
  await page.getByTestId('file-input').setInputFiles({ name: 'bad-id.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(bad)) });
  await page.waitForFunction(() => /bad-id\.json/.test(document.querySelector('[data-testid="notice"]')?.textContent ?? ''));
  assert.match(await notice(page), /nodes\[0\]\.id/);
  const proto = '{"version":1,"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}},"nodes":[],"links":[]}';
  await page.getByTestId('file-input').setInputFiles({ name: 'proto.json', mimeType: 'application/json', buffer: Buffer.from(proto) });
  await page.waitForFunction(() => /proto\.json/.test(document.querySelector('[data-testid="notice"]')?.textContent ?? ''));
  assert.deepEqual(await nodeIds(page), ['users', 'web'], 'refused files change nothing');

  assert.equal(await page.evaluate(() => window.__xss), undefined, 'no script ran');
  assert.equal(await page.evaluate(() => ({}).polluted), undefined);
  assert.equal(await page.locator('img').count(), 0, 'no element was made from user text');
  assert.deepEqual(errors, []);
  assert.deepEqual(await page.evaluate(() => window.__csp), []);
  await context.close();
});

test('the Content-Security-Policy lets the page work and blocks injected inline script and style', async () => {
  const html = readFileSync(join(distDir, 'index.html'), 'utf8');
  const policy = html.match(/<meta http-equiv="Content-Security-Policy" content="([^"]+)"/)?.[1];
  assert.ok(policy, 'the built page carries a policy');
  const scriptSrc = policy.split(';').map((d) => d.trim()).find((d) => d.startsWith('script-src '));
  assert.match(scriptSrc, /^script-src 'self' 'wasm-unsafe-eval'( 'sha256-[A-Za-z0-9+/]+=*')+$/);
  assert.ok(html.indexOf('Content-Security-Policy') < html.indexOf('<script'), 'the policy comes before every script');
  assert.match(policy, /object-src 'none'/);

  // Using the page: add a node, run, step, open every panel and dialog.
  const { page, errors, context } = await open('/');
  await page.getByTestId('palette-cache').focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('g[data-node^="cache"]'));
  await page.waitForFunction(() => document.querySelector('[data-testid="metric-p99"]')?.textContent.includes('ms'), null, { timeout: 60000 });
  await page.getByTestId('play-toggle').click();
  await page.getByTestId('step').click();
  await page.getByTestId('play-toggle').click();
  for (const button of ['lessons-button', 'compare-button', 'resilience-button', 'envelope-button', 'lessons-button']) {
    await openFrom(page, button);
    await closeDialogs(page);
  }
  await choose(page, 'trace-next');
  await choose(page, 'theme-toggle');
  await choose(page, 'animation-toggle');
  await choose(page, 'animation-toggle');
  for (const dialog of ['share', 'embed-code', 'help']) {
    await openFrom(page, dialog);
    await closeDialogs(page);
  }
  await choose(page, 'earlier-versions');
  await page.keyboard.press('Escape');
  // A violation is reported by an event queued after the fact: give any late one time to arrive.
  await sleep(1000);
  assert.deepEqual(await page.evaluate(() => window.__csp), [], 'no violation while using the page');
  assert.deepEqual(errors, []);

  // Injected inline script, an inline handler and a <style> element are blocked.
  const ran = await page.evaluate(() => {
    const s = document.createElement('script');
    s.textContent = 'window.__inline = 1';
    document.head.append(s);
    const d = document.createElement('div');
    d.setAttribute('onclick', 'window.__handler = 1');
    document.body.append(d);
    d.click();
    const st = document.createElement('style');
    st.textContent = 'body { display: none }';
    document.head.append(st);
    return { inline: window.__inline, handler: window.__handler, hidden: getComputedStyle(document.body).display === 'none' };
  });
  assert.deepEqual(ran, { inline: undefined, handler: undefined, hidden: false });
  await page.waitForFunction(() => window.__csp.length >= 3);
  const seen = await page.evaluate(() => window.__csp);
  assert.ok(seen.some((v) => v.startsWith('script-src-elem inline')), seen.join('\n'));
  assert.ok(seen.some((v) => v.startsWith('script-src-attr inline')), seen.join('\n'));
  assert.ok(seen.some((v) => v.startsWith('style-src-elem inline')), seen.join('\n'));
  await context.close();

  // The embedded layout.
  const embedded = await open('/?embed=1&edit=1&palette=1');
  await embedded.page.waitForFunction(() => document.querySelector('[data-testid="metric-p99"]')?.textContent.includes('ms'), null, { timeout: 60000 });
  await embedded.page.getByTestId('node-web-1').click();
  await choose(embedded.page, 'embed-code');
  await embedded.page.keyboard.press('Escape');
  await embedded.page.getByTestId('embed-dialog').waitFor({ state: 'detached' });
  await sleep(500);
  assert.deepEqual(await embedded.page.evaluate(() => window.__csp), []);
  assert.deepEqual(embedded.errors, []);
  await embedded.context.close();
});

// A fixed seed, bounded in steps and in time (about 25 s on CI). Another
// seed by hand: SCALELAB_FUZZ_SEED=7 node --test --test-name-pattern=random reliability.test.js
const FUZZ_SEED = Number(process.env.SCALELAB_FUZZ_SEED ?? 20261202);
const FUZZ_STEPS = 1500;
const FUZZ_MS = 25000;

test('random input with a fixed seed finds no error, and the page works afterwards', async () => {
  const { page, errors, context } = await open(`/?fuzz=${FUZZ_SEED}&fuzz-steps=${FUZZ_STEPS}`);
  const badge = page.getByTestId('fuzz-badge');
  await badge.waitFor();
  const started = Date.now();
  try {
    await page.waitForFunction(() => document.querySelector('[data-testid="fuzz-badge"]')?.dataset.state === 'stopped', null, { timeout: FUZZ_MS });
  } catch {
    // Out of time on a slow machine. The fuzzer takes one step per frame, and
    // a busy machine draws fewer frames: let it reach the 100 steps asserted
    // below (or stop, or crash), then stop it (an untrusted click, as a
    // person would give).
    await page.waitForFunction(
      () => {
        const badge = document.querySelector('[data-testid="fuzz-badge"]');
        const step = Number(badge?.textContent.match(/step (\d+)/)?.[1] ?? 0);
        return badge?.dataset.state === 'stopped' || step >= 100 || document.querySelector('[data-testid="crash-overlay"]');
      },
      null,
      { timeout: 300000, polling: 250 },
    );
    await page.getByTestId('fuzz-stop').dispatchEvent('click');
  }
  const said = await badge.textContent();
  const steps = Number(said.match(/after (\d+) steps/)?.[1]);
  console.log(`fuzz: ${said.trim()} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  assert.ok(steps >= 100, `the fuzzer ran (${said})`);
  await screenshot(page, 'after-fuzzing');
  assert.equal(await page.getByTestId('crash-overlay').count(), 0, 'no panic');
  assert.deepEqual(errors, []);
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  assert.deepEqual(await page.evaluate(() => window.__csp), []);

  // Still responsive: close whatever is open, then the run controls answer.
  await page.keyboard.press('Escape');
  await closeDialogs(page);
  const toggle = page.getByTestId('play-toggle');
  const before = await toggle.textContent();
  await toggle.click();
  await page.waitForFunction((b) => document.querySelector('[data-testid="play-toggle"]').textContent !== b, before);

  // The autosave holds what is on screen, and loads.
  const ids = await nodeIds(page);
  await page.goto(`${site.baseUrl}/`);
  await ready(page);
  await page.getByTestId('diagram').waitFor();
  assert.deepEqual(await nodeIds(page), ids);
  assert.deepEqual(errors, []);
  await context.close();
});
