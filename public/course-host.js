// A course page that records completions (see the README, "Hosting and
// embedding", for the messages). It embeds one lesson (?lesson=N), blueprint
// (?blueprint=NAME) or example (?example=NAME) from a playground
// (by default the one this page is part of; another with ?playground=ADDRESS),
// listens to that playground's origin only, and adds a row to the table for
// each "goal-met" and "goal-lost" it is sent. Kept out of the HTML so the page
// works under a Content Security Policy without 'unsafe-inline'.
'use strict';

const LESSONS = 16;
const DEFAULT_LESSON = 3;
const params = new URLSearchParams(window.location.search);
const field = (name) => document.querySelector(`[data-field="${name}"]`);

// Every completion message received, oldest first (handy in the browser console).
window.scaleLabCompletions = [];

/** The playground's address: ?playground= when it is an http(s) address, else the site this page is in. */
function playgroundAddress() {
  const asked = params.get('playground');
  if (asked) {
    try {
      const url = new URL(asked);
      if (url.protocol === 'https:' || url.protocol === 'http:') return url;
    } catch {
      // Said below.
    }
    showProblem(`"${asked}" is not a web address the playground can be opened from; using this site's.`);
  }
  // This page is public/course-host.html: the playground is one folder up,
  // wherever the site is hosted.
  return new URL('../', window.location.href);
}

function chosenLesson() {
  const n = Number(params.get('lesson') ?? DEFAULT_LESSON);
  if (Number.isInteger(n) && n >= 1 && n <= LESSONS) return n;
  showProblem(`There is no lesson "${params.get('lesson')}": lessons are numbered 1 to ${LESSONS}. Showing lesson ${DEFAULT_LESSON}.`);
  return DEFAULT_LESSON;
}

function showProblem(text) {
  const p = field('problem');
  p.textContent = text;
  p.hidden = false;
}

const playground = playgroundAddress();
const lesson = chosenLesson();
field('lesson').value = String(lesson);
field('playground').value = params.get('playground') ?? '';
field('playground').placeholder = playground.href;

// The frame: the lesson, embedded, editable (the learner must be able to
// change the design), and this page's origin listed so it is sent messages.
// ?blueprint=NAME or ?example=NAME embeds that design instead of a lesson
// (the playground says so in the frame if it has no such name).
const builtIn = ['blueprint', 'example'].map((kind) => [kind, params.get(kind)]).find(([, name]) => name);
const src = new URL(playground);
if (builtIn) src.searchParams.set(builtIn[0], builtIn[1]);
else src.searchParams.set('lesson', String(lesson));
src.searchParams.set('embed', '1');
src.searchParams.set('edit', '1');
src.searchParams.set('origin', window.location.origin);
const frameOrigin = src.origin;
const iframe = document.createElement('iframe');
iframe.src = src.href;
iframe.title = builtIn ? `Scale Lab: the ${builtIn[0]} ${builtIn[1]}` : `Scale Lab: lesson ${lesson}`;
iframe.allow = 'clipboard-write';
document.querySelector('.slot').append(iframe);

/** "lesson 6", "the example sinkholing", or the design's name. */
function exercise(m) {
  if (typeof m.lesson === 'number') return `Lesson ${m.lesson}`;
  if (typeof m.example === 'string') return `Example ${m.example}`;
  if (typeof m.blueprint === 'string') return `Blueprint ${m.blueprint}`;
  return m.name ? `Design "${m.name}"` : 'A design';
}

function cell(row, content) {
  const td = document.createElement('td');
  if (typeof content === 'string') td.textContent = content;
  else td.append(content);
  row.append(td);
  return td;
}

/** The engine's figures: each check's words and value, each drill's state. */
function figures(m) {
  const list = document.createElement('ul');
  for (const c of m.checks) {
    const li = document.createElement('li');
    li.dataset.check = c.name;
    li.textContent = `${c.name}: ${c.value_text} ${c.passing ? '(passing)' : '(not passing)'}`;
    list.append(li);
  }
  for (const d of m.drills) {
    const li = document.createElement('li');
    li.dataset.drill = d.name;
    li.textContent = `${d.name}: ${d.state.replace('_', ' ')}`;
    list.append(li);
  }
  if (!list.children.length) {
    const li = document.createElement('li');
    li.textContent = 'no checks';
    list.append(li);
  }
  return list;
}

function link(m) {
  if (!m.link) return 'too large for a link';
  const a = document.createElement('a');
  a.href = m.link;
  a.target = '_blank';
  a.rel = 'noopener';
  a.textContent = 'Open the design';
  return a;
}

function record(m) {
  window.scaleLabCompletions.push(m);
  const body = document.querySelector('[data-testid="completions"] tbody');
  body.querySelector('tr.empty')?.remove();
  const row = document.createElement('tr');
  const met = m.type === 'goal-met';
  row.className = met ? 'met' : 'lost';
  row.dataset.type = m.type;
  cell(row, exercise(m));
  cell(row, met ? 'Goal met' : 'Goal lost');
  cell(row, met ? `met at t = ${m.met_at_s} s` : `t = ${m.t_s.toFixed(1)} s (met at ${m.met_at_s} s)`);
  const time = document.createElement('time');
  time.dateTime = m.at;
  time.textContent = new Date(m.at).toLocaleString();
  cell(row, time);
  cell(row, figures(m));
  cell(row, link(m));
  body.append(row);
  field('status').textContent = `${exercise(m)}: ${met ? `goal met at t = ${m.met_at_s} s` : 'goal lost again'}.`;
}

window.addEventListener('message', (event) => {
  // Only our frame, from the origin it was loaded from.
  if (event.origin !== frameOrigin || event.source !== iframe.contentWindow) return;
  const m = event.data;
  if (!m || m.source !== 'scale-lab') return;
  if (m.type === 'ready') field('status').textContent = `Lesson ${lesson} is ready: meet its goal in the frame.`;
  if (m.type === 'goal-met' || m.type === 'goal-lost') record(m);
});
