// The host side of Scale Lab's message API (see the README, "Hosting and
// embedding"). Kept out of the HTML so the page works under a Content Security
// Policy without 'unsafe-inline'.
'use strict';

// The playground sits one folder up from this page (public/embed-example.html),
// wherever the site is hosted: relative addresses keep working under a sub-path.
const playground = new URL('../', window.location.href);

// Every message received, newest last, with the frame's lesson in `frame`
// (handy in the browser console).
window.scaleLabReceived = [];

/** A design small enough to write by hand: users, a balancer, two web servers. */
const SMALL_DESIGN = {
  version: 1,
  name: 'Sent by the host page',
  seed: 7,
  duration_s: 600,
  nodes: [
    { id: 'users', kind: 'users', rps: 300 },
    { id: 'lb', kind: 'load_balancer' },
    { id: 'web-a', kind: 'web_server', workers: 4 },
    { id: 'web-b', kind: 'web_server', workers: 4 },
  ],
  links: [
    { from: 'users', to: 'lb' },
    { from: 'lb', to: 'web-a' },
    { from: 'lb', to: 'web-b' },
  ],
};

const frames = [];

function frameUrl(lesson) {
  const url = new URL(playground);
  url.searchParams.set('lesson', lesson);
  url.searchParams.set('embed', '1');
  // Messages from this page are obeyed only if its origin is listed here
  // (the playground's own origin always is).
  url.searchParams.set('origin', window.location.origin);
  return url.href;
}

function show(section, field, text) {
  const el = section.querySelector(`[data-field="${field}"]`);
  if (el) el.textContent = text;
}

const fixed = (x, digits) => (typeof x === 'number' ? x.toFixed(digits) : '–');

function send(frame, message) {
  // Always name the frame's origin, never '*'.
  frame.iframe.contentWindow.postMessage(message, frame.origin);
}

for (const section of document.querySelectorAll('.frame')) {
  const lesson = section.dataset.lesson;
  const iframe = document.createElement('iframe');
  iframe.src = frameUrl(lesson);
  iframe.title = `Scale Lab: lesson ${lesson}`;
  iframe.loading = 'lazy';
  iframe.allow = 'clipboard-write';
  section.querySelector('.slot').append(iframe);
  const frame = { section, iframe, origin: new URL(iframe.src).origin };
  frames.push(frame);
  for (const button of section.querySelectorAll('button[data-action]')) {
    button.addEventListener('click', () => {
      const type = button.dataset.action;
      send(frame, type === 'load' ? { type, scenario: SMALL_DESIGN } : { type });
    });
  }
}

window.addEventListener('message', (event) => {
  const frame = frames.find((f) => f.iframe.contentWindow === event.source);
  // Only our frames, from the origin they were loaded from.
  if (!frame || event.origin !== frame.origin) return;
  const m = event.data;
  if (!m || m.source !== 'scale-lab') return;
  window.scaleLabReceived.push({ ...m, frame: frame.section.dataset.lesson });
  const s = frame.section;
  switch (m.type) {
    case 'ready':
      show(s, 'ready', `yes: ${m.name ?? 'a design'}${m.lesson ? ` (lesson ${m.lesson})` : ''}`);
      break;
    case 'metrics':
      show(s, 't_s', `${fixed(m.t_s, 1)} s`);
      // Rates and ratios cover the last `window_s` whole simulated seconds
      // (null before the first one ends), as on the page itself.
      show(s, 'sent_rps', m.window_s > 0 ? `${fixed(m.sent_rps, 1)} requests/s, ${fixed(m.ok_rps, 1)} answered ok (last ${fixed(m.window_s, 0)} s)` : '–');
      show(s, 'error_ratio', m.error_ratio == null ? '–' : `${fixed(100 * m.error_ratio, 2)}%`);
      show(s, 'p99_ms', m.p99_ms == null ? '–' : `${fixed(m.p99_ms, 1)} ms`);
      show(s, 'cost_per_month_usd', `$${fixed(m.cost_per_month_usd, 0)} a month`);
      show(s, 'alerts_firing', m.alerts_firing.length ? m.alerts_firing.join(', ') : 'none');
      break;
    case 'ack':
      show(s, 'reply', `done: ${m.for}`);
      break;
    case 'error':
      show(s, 'reply', `refused (${m.for}): ${m.message}`);
      break;
    default:
      break;
  }
});
