// web.mjs — the viewer's benchmarks, measured in Debian's chromium against
// the real `spyglass serve`, side by side with speedscope (npm) and snakeviz
// (PyPI) on the same files where they can open them (--no-peers skips both,
// --no-snakeviz the slow one). Figures, not tests:
// each line prints the figure beside its goal (issue 6); a figure that
// misses its goal ends with "!". Issue 7 adds the call graph of the
// 200,000-function pstats (laid out and interactive) and the treemap and
// callee pie of the 10M-sample profile (render times); --views runs only
// those. Run through bench/web, which prepares the inputs and peers.
// --timeline runs only the timeline's figures (draw p50/p95, real wheel events).
// --table runs only the table's (open, scroll, regex filter) and snakeviz's
// icicle on the same pstats, its page load and its render timed apart;
// --trace adds a chromium trace of the scroll, summed by event.
// Usage: node bench/web.mjs SPYGLASS DATA_DIR PEERS_DIR [--quick] [--views] [--timeline] [--table [--scroll] [--trace]]
import { spawn, spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { createServer as netServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, '../web/package.json'));
const { chromium } = require('playwright-core');

const [SPYGLASS, DATA, PEERS] = process.argv.slice(2, 5).map((p) => resolve(p));
const QUICK = process.argv.includes('--quick');
const NO_PEERS = process.argv.includes('--no-peers');
const NO_SNAKEVIZ = NO_PEERS || process.argv.includes('--no-snakeviz');
// --views: only the issue-7 figures (call graph, treemap, pie).
const ONLY_VIEWS = process.argv.includes('--views');
// --timeline: only the timeline figures (frame draw times and real wheel events).
const ONLY_TIMELINE = process.argv.includes('--timeline');
// --table: only the 200,000-function pstats figures (table open, scroll, the
// regex filter) and snakeviz's icicle on the same file. --trace: also record a
// chromium trace of the table scroll and print where the main thread's time goes.
const ONLY_TABLE = process.argv.includes('--table');
const TRACE = process.argv.includes('--trace');
// --scroll (with --table): only the table's open and scroll figures, none of
// the filter's or the icicles' (a quick loop while tuning the scroll).
const ONLY_SCROLL = ONLY_TABLE && process.argv.includes('--scroll');
// How long snakeviz's icicle may take after its page loaded.
const ICICLE_WAIT_MS = QUICK ? 60000 : 180000;
const REPEAT = QUICK ? 2 : 3;
const say = (...a) => console.error('bench/web:', ...a);
const results = { when: new Date().toISOString(), figures: [] };

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
}
function pct(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : NaN;
}
async function freePort() {
  return new Promise((res) => {
    const s = netServer();
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => res(p));
    });
  });
}
async function waitHttp(url, ms, proc) {
  const end = Date.now() + ms;
  for (;;) {
    if (proc && proc.exitCode !== null) throw new Error(`${url}: the server exited ${proc.exitCode}`);
    try {
      const r = await fetch(url);
      if (r.status < 500) return;
    } catch {}
    if (Date.now() > end) throw new Error(`${url} did not answer within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
function figure(metric, goal, value, unit, peers = {}) {
  results.figures.push({ metric, goal, value, unit, peers });
}

// ---- spyglass ----------------------------------------------------------------

async function startSpyglass() {
  const dataDir = mkdtempSync(join(tmpdir(), 'sg-web-bench-'));
  const port = await freePort();
  const proc = spawn(SPYGLASS, ['serve', '--port', String(port), '--data', dataDir], { stdio: ['ignore', 'ignore', 'inherit'] });
  const base = `http://127.0.0.1:${port}`;
  await waitHttp(`${base}/api/health`, 20000, proc);
  return { base, stop: () => { proc.kill('SIGTERM'); rmSync(dataDir, { recursive: true, force: true }); } };
}

async function uploadFile(base, path, name) {
  const t = performance.now();
  const r = await fetch(`${base}/api/profiles?name=${encodeURIComponent(name)}`, { method: 'POST', body: createReadStream(path), duplex: 'half' });
  const j = await r.json();
  if (r.status !== 201) throw new Error(`upload ${path}: ${r.status} ${JSON.stringify(j)}`);
  say(`uploaded ${name} in ${(performance.now() - t).toFixed(0)} ms`);
  return j;
}

async function openAndWait(browser, url, selector, timeout = 120000) {
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  page.on('pageerror', (e) => say('pageerror', e.message));
  await page.goto(url);
  await page.waitForFunction(
    (sel) => {
      const el = document.querySelector(sel);
      if (el?.dataset.state === 'error') throw new Error(document.querySelector('.msg.error')?.textContent);
      return el?.dataset.readyAt;
    },
    selector,
    { timeout },
  );
  const readyAt = Number(await page.$eval(selector, (e) => e.dataset.readyAt));
  return { page, readyAt };
}

async function benchSampled(browser, base, id) {
  say('10M samples: first flame graph');
  const times = [];
  for (let i = ONLY_TIMELINE ? REPEAT : 0; i < REPEAT + 1; i++) {
    const { page, readyAt } = await openAndWait(browser, `${base}/p/${id}`, '[data-testid=flame-canvas-host]');
    times.push(readyAt);
    say(`  open ${i + 1}: flame graph drawn ${readyAt.toFixed(0)} ms after navigation${i === 0 ? ' (cold: the server loads the profile)' : ''}`);
    if (i < REPEAT) await page.close();
    else {
      say('10M samples: flame zoom/pan frames');
      const flame = ONLY_TIMELINE ? { ms: [], nodes: 0 } : await page.evaluate(async () => {
        const v = window.spyglass.debug().views.get('flame');
        const ms = [];
        let a = 0, b = 1;
        for (let k = 0; k < 90; k++) {
          if (k < 45) { const c = (a + b) / 2, w = (b - a) * 0.9; a = c - w / 2 - w * 0.01; b = a + w; }
          else { a += (b - a) * 0.03; b += (b - a) * 0.03; if (b > 1) { a -= b - 1; b = 1; } }
          ms.push(v.benchFrame({ a, b }));
          await new Promise((r) => requestAnimationFrame(r));
        }
        return { ms, nodes: v.debugInfo().nodes };
      });
      say('10M samples: timeline zoom/pan frames');
      await page.click('button.tab[data-view=timeline]');
      await page.waitForFunction(() => document.querySelector('.timeline-view')?.dataset.state === 'ready', null, { timeout: 120000 });
      const tl = await page.evaluate(async () => {
        const v = window.spyglass.debug().views.get('timeline');
        const B = v.currentBounds;
        const ms = [];
        let a = B.a, b = B.b;
        for (let k = 0; k < 90; k++) {
          if (k < 45) { const w = (b - a) * 0.88; a = a + (b - a - w) / 2; b = a + w; }
          else { const d = (b - a) * 0.04; a += d; b += d; }
          ms.push(v.benchFrame({ a, b }));
          await new Promise((r) => requestAnimationFrame(r));
        }
        return { ms, spans: Number(document.querySelector('.timeline-view').dataset.spans) };
      });
      // Real wheel events on the timeline: frame-to-frame intervals as the browser paints them.
      const box = await (await page.$('[data-testid=timeline-canvas-host] canvas')).boundingBox();
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      const wheel = await page.evaluate(async () => {
        const c = document.querySelector('[data-testid=timeline-canvas-host] canvas');
        const r = c.getBoundingClientRect();
        const iv = [];
        let last = await new Promise((res) => requestAnimationFrame(res));
        for (let k = 0; k < 60; k++) {
          c.dispatchEvent(new WheelEvent('wheel', { deltaY: k < 30 ? -60 : 60, clientX: r.left + r.width / 2, clientY: r.top + 100, bubbles: true, cancelable: true }));
          const t = await new Promise((res) => requestAnimationFrame(res));
          iv.push(t - last);
          last = t;
        }
        return iv;
      });
      await page.close();
      return { times, flame, tl, wheel };
    }
  }
}

async function benchPstats(browser, base, id) {
  say('200,000-function pstats: table');
  const times = [];
  let scroll = null;
  let trace = null;
  let wheel = null;
  let rect = { x: 0, y: 120, width: 1600, height: 880 };
  for (let i = 0; i < REPEAT + 1; i++) {
    const { page, readyAt } = await openAndWait(browser, `${base}/p/${id}?v=table`, '.table-view');
    times.push(readyAt);
    say(`  open ${i + 1}: first rows ${readyAt.toFixed(0)} ms after navigation${i === 0 ? ' (cold)' : ''}`);
    if (i === REPEAT) {
      ({ scroll, trace } = await scriptedScroll(browser, page));
      wheel = await wheelScroll(page);
      rect = await page.$eval('[data-testid=table-scroll]', (e) => {
        const r = e.getBoundingClientRect();
        return { x: Math.round(r.x), y: Math.round(r.y), width: Math.round(r.width), height: Math.round(r.height) };
      });
    }
    await page.close();
  }
  // The ceiling control, right after the table in the same browser: the
  // same scroll of a page that does nothing (its scroller at the table's rect).
  const rows = scroll.count > 0 ? scroll.count : 200000;
  const ceiling = [await benchCeiling(browser, rect, rows, 'static'), await benchCeiling(browser, rect, rows, 'blank')];
  return { times, scroll, wheel, trace, ceiling, filter: ONLY_SCROLL ? [] : await benchFilter(browser, base, id) };
}

// The scripted scroll of a page's `[data-testid=table-scroll]`: scrollTop
// once a frame, 120 frames at 720 rows/s then 120 at 24,000 rows/s, each
// frame marked (sgframe<k>) for the trace; with --trace, recorded and
// attributed per frame and per thread. The table and the ceiling control
// run this same function, so their figures compare.
async function scriptedScroll(browser, page, traceFile = 'web-table-trace.json') {
  if (TRACE) await browser.startTracing(page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8', 'blink', 'blink.user_timing', 'cc', 'viz', 'gpu'] });
  const scroll = await page.evaluate(async () => {
    const sc = document.querySelector('[data-testid=table-scroll]');
    const iv = [];
    let placeholders = 0;
    let last = await new Promise((res) => requestAnimationFrame(res));
    const t0 = last;
    let steadyEnd = 0;
    let steadyPlaceholders = 0;
    for (let k = 0; k < 240; k++) {
      sc.scrollTop += k < 120 ? 22 * 12 : 22 * 400; // steady (720 rows/s), then flings (24,000 rows/s)
      const t = await new Promise((res) => requestAnimationFrame(res));
      performance.mark(`sgframe${k}`); // the trace's frame boundaries (--trace)
      iv.push(t - last);
      last = t;
      if (k === 119) steadyEnd = t;
      if (document.querySelector('.tbody .trow.loading:not([hidden])')) {
        placeholders++;
        if (k < 120) steadyPlaceholders++;
      }
    }
    return { iv, steadyFps: 120 / ((steadyEnd - t0) / 1000), flingFps: 120 / ((last - steadyEnd) / 1000), seconds: (last - t0) / 1000, frames: 240, placeholders, steadyPlaceholders, count: Number(document.querySelector('.table-view')?.dataset.count ?? NaN) };
  });
  let trace = null;
  if (TRACE) {
    const json = JSON.parse((await browser.stopTracing()).toString());
    mkdirSync(join(here, 'results'), { recursive: true });
    writeFileSync(join(here, 'results', traceFile), JSON.stringify(json));
    trace = { sums: summariseTrace(json, scroll.seconds), frames: longFrames(json, scroll.iv), threads: threadCpu(json), presented: presentedFrames(json) };
  }
  return { scroll, trace };
}

// The ceiling controls: pages that do the least a scroll can, measured in
// the same browser and run as the table, by the same scripted scroll and
// the same wheel gestures. Their scroller has the table scroller's rect
// (`rect`, read off the table page) in the same 1600×1000 window. 'static'
// holds 200,000 fixed-height plain rows rendered once: one text node of
// 200,000 lines, 22 px each, in the table's font (chromium still paints the
// text that scrolls into its cull rect, on the main thread). 'blank' holds
// no text at all: a spacer as tall, its row lines a repeating background,
// so a frame is only the scroll itself. No script of theirs runs while they
// scroll: what their frames cost is chromium's own price of scrolling here,
// which the table cannot beat.
async function benchCeiling(browser, rect, rows, kind = 'static') {
  say(`ceiling control (${kind} page): ${kind === 'static' ? `${rows} plain rows of text rendered once` : 'a blank spacer as tall'}, scrolled the same way`);
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  page.on('pageerror', (e) => say('pageerror', e.message));
  await page.setContent(`<!doctype html><style>
html, body { margin: 0; height: 100%; font: 13px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; }
.tscroll { position: absolute; left: ${rect.x}px; top: ${rect.y}px; width: ${rect.width}px; height: ${rect.height}px; overflow-y: auto; background: #fff; outline: none; }
.rows { margin: 0; font: inherit; line-height: 22px; white-space: pre; overflow: hidden; }
.blank { background: repeating-linear-gradient(#fff 0 21px, #f0f1f4 21px 22px); }
</style><div class="tscroll" data-testid="table-scroll" tabindex="0"><pre class="rows"></pre></div>`);
  const made = await page.evaluate(async ([n, kind]) => {
    const t = performance.now();
    const el = document.querySelector('.rows');
    if (kind === 'blank') {
      el.classList.add('blank');
      el.style.height = `${n * 22}px`;
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      return { ms: performance.now() - t, height: document.querySelector('.tscroll').scrollHeight };
    }
    const lines = new Array(n);
    for (let i = 0; i < n; i++) lines[i] = `${(i % 997 + 0.5).toFixed(3)} ms    ${(i % 89 / 10).toFixed(2)} %    ${(i % 991 + 1.5).toFixed(3)} ms    ${(i % 83 / 10).toFixed(2)} %    ${i % 1000}    ${i % 500}/${i % 400}    pkg${i % 50}/mod${i % 7}.py:func_${i}    pkg${i % 50}/mod${i % 7}.py:${i % 900 + 1}`;
    el.textContent = lines.join('\n');
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    return { ms: performance.now() - t, height: document.querySelector('.tscroll').scrollHeight };
  }, [rows, kind]);
  say(`  rendered once in ${made.ms.toFixed(0)} ms (${made.height} px tall)`);
  const { scroll, trace } = await scriptedScroll(browser, page, `web-ceiling-${kind}-trace.json`);
  const wheel = await wheelScroll(page, false);
  await page.close();
  return { kind, scroll, trace, wheel, rect, renderMs: made.ms };
}

// The regex filter on the 200,000-function pstats: from typing the regex to
// its first rows and "N of M" on screen (the server filters: one request).
async function benchFilter(browser, base, id) {
  say('200,000-function pstats: regex filter');
  const out = [];
  const { page } = await openAndWait(browser, `${base}/p/${id}?v=table&re=1`, '.table-view');
  for (const [i, q] of ['^func_1\\d*7$', 'pkg4\\d/mod', '^func_(12|345)', '_9+$'].entries()) {
    const r = await page.evaluate(async (q) => {
      const v = document.querySelector('.table-view');
      const box = document.querySelector('[data-testid=filter]');
      const t = performance.now();
      box.value = q;
      box.dispatchEvent(new Event('input', { bubbles: true }));
      for (;;) {
        await new Promise((res) => requestAnimationFrame(res));
        const c = document.querySelector('[data-testid=table-count]')?.textContent ?? '';
        // The rows must answer this regex, not the one before (whose "N of M" can read the same).
        const applied = new URLSearchParams(v.dataset.query ?? '').get('match') === q;
        if (applied && v.dataset.state === 'ready' && / of /.test(c) && !c.startsWith('…')) return { ms: performance.now() - t, text: c };
        if (performance.now() - t > 60000) return { ms: NaN, text: c };
      }
    }, q);
    out.push({ q, ...r });
    say(`  regex ${i + 1} /${q}/: ${r.text} on screen ${r.ms.toFixed(0)} ms after typing (includes the viewer's typing delay)`);
  }
  await page.close();
  return out;
}

// Sums a chromium trace's complete events on the renderer's main thread by
// name: where the scroll's frames go (script, style, layout, paint, GC).
function summariseTrace(json, seconds) {
  const ev = json.traceEvents ?? json;
  const main = new Set(ev.filter((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`));
  const by = new Map();
  for (const e of ev) {
    if (e.ph !== 'X' || !main.has(`${e.pid}:${e.tid}`) || !e.dur) continue;
    const k = e.name;
    const a = by.get(k) ?? { ms: 0, n: 0, max: 0 };
    a.ms += e.dur / 1000;
    a.n++;
    a.max = Math.max(a.max, e.dur / 1000);
    by.set(k, a);
  }
  const top = [...by.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 18);
  say(`  trace of the scroll (${seconds.toFixed(2)} s, main thread, nested events counted in each):`);
  for (const [k, a] of top) say(`    ${k.padEnd(34)} ${a.ms.toFixed(1).padStart(8)} ms  ${String(a.n).padStart(6)}×  max ${a.max.toFixed(2)} ms`);
  return Object.fromEntries(top);
}

// Each scroll frame over budget, from the trace: what the renderer's main
// thread ran in it (our script, a page's answer parsed, style, layout,
// paint, GC) beside how busy the compositor and raster threads were and
// the whole process's CPU, so a long frame is told apart as our code's
// (main thread busy past the budget) or the machine's (main thread idle,
// the frame still late: the compositor or GPU process was not scheduled).
// Frame k spans the marks sgframe(k-1) → sgframe(k) the scroll loop sets.
function longFrames(json, iv) {
  const ev = json.traceEvents ?? json;
  const names = new Map(ev.filter((e) => e.name === 'thread_name').map((e) => [`${e.pid}:${e.tid}`, e.args?.name ?? '']));
  const mainKey = [...names.entries()].find(([, n]) => n === 'CrRendererMain')?.[0];
  const marks = new Map();
  for (const e of ev) {
    const m = /^sgframe(\d+)$/.exec(e.name ?? '');
    if (m && (e.ph === 'R' || e.ph === 'I' || e.ph === 'n' || e.ph === 'b' || e.ph === 'X')) marks.set(Number(m[1]), e.ts);
  }
  // Top-level tasks only ('RunTask'): wall time (dur) and the thread's CPU
  // time (tdur). A frame whose main thread had the CPU for most of the
  // budget is our code's; one whose main thread waited (wall far above CPU,
  // or idle) was late because the machine did not run it.
  const top = ev.filter((e) => e.ph === 'X' && e.dur && e.name === 'RunTask');
  const out = { budget: 0, ours: 0, starved: 0, frames: [], mainMsPerFrame: NaN, mainWallMsPerFrame: NaN };
  let mainSum = 0;
  let wallSum = 0;
  let counted = 0;
  const inside = (e, a, b) => Math.max(0, Math.min(e.ts + e.dur, b) - Math.max(e.ts, a)) / 1000;
  for (let k = 1; k < iv.length; k++) {
    const a = marks.get(k - 1);
    const b = marks.get(k);
    if (a === undefined || b === undefined) continue;
    const busy = new Map();
    let cpu = 0;
    for (const e of top) {
      if (e.ts + e.dur < a || e.ts > b) continue;
      const key = `${e.pid}:${e.tid}`;
      const n = key === mainKey ? 'main' : (names.get(key) ?? '?');
      const w = inside(e, a, b);
      busy.set(n, (busy.get(n) ?? 0) + w);
      if (key === mainKey) cpu += ((e.tdur ?? e.dur) / 1000) * (w / (e.dur / 1000));
    }
    const main = busy.get('main') ?? 0;
    mainSum += cpu;
    wallSum += main;
    counted++;
    if (iv[k] <= 17) continue;
    out.budget++;
    const what = new Map();
    for (const e of ev) {
      if (e.ph !== 'X' || !e.dur || `${e.pid}:${e.tid}` !== mainKey || e.ts + e.dur < a || e.ts > b) continue;
      if (!/^(FunctionCall|TimerFire|EventDispatch|UpdateLayoutTree|Layout|Paint|PrePaint|Layerize|MajorGC|MinorGC|V8\.GC.*|ResourceReceiveResponse|ResourceFinish|ResourceReceivedData|v8\.callFunction|ParseHTML|FireAnimationFrame|HitTest|ScrollLayer|Commit)$/.test(e.name)) continue;
      const label = e.name === 'FunctionCall' && e.args?.data?.functionName ? `FunctionCall ${e.args.data.functionName}` : e.name;
      what.set(label, (what.get(label) ?? 0) + ((e.tdur ?? e.dur) / 1000) * (inside(e, a, b) / (e.dur / 1000)));
    }
    const ours = cpu > 16.7 * 0.8;
    if (ours) out.ours++;
    else out.starved++;
    out.frames.push({ k, ms: iv[k], cpu, main, busy: Object.fromEntries(busy), what: Object.fromEntries([...what.entries()].sort((x, y) => y[1] - x[1]).slice(0, 6)) });
  }
  out.mainWallMsPerFrame = counted ? wallSum / counted : NaN;
  out.mainMsPerFrame = counted ? mainSum / counted : NaN;
  say(`  frames over 17 ms: ${out.budget} — the main thread ran past 80 % of the budget on the CPU in ${out.ours} (our page's work), not in ${out.starved} (late because the machine did not run it: wall time in tasks far above CPU, or the compositor/GPU process); main thread per frame on average: ${out.mainMsPerFrame.toFixed(2)} ms CPU, ${out.mainWallMsPerFrame.toFixed(2)} ms wall (tracing adds to both)`);
  for (const f of out.frames) {
    const busy = Object.entries(f.busy).filter(([, v]) => v >= 0.5).map(([n, v]) => `${n} ${v.toFixed(1)}`).join(', ');
    const what = Object.entries(f.what).filter(([, v]) => v >= 0.3).map(([n, v]) => `${n} ${v.toFixed(1)}`).join(', ');
    say(`    frame ${String(f.k).padStart(3)}: ${f.ms.toFixed(1)} ms; main CPU ${f.cpu.toFixed(1)} ms; wall ms in tasks: ${busy || '—'}; main CPU by event: ${what || '—'}`);
  }
  return out;
}

// The scroll as a user makes it: real input (chromium's synthesized wheel
// gesture, Input.synthesizeScrollGesture, the one its own smoothness
// benchmarks use) at a steady 720 rows/s, then a fast one at 24,000 rows/s.
// Input scrolls on the compositor thread, so a frame can be shown before
// the page has rendered its rows: after each frame (a task posted from
// requestAnimationFrame runs once the frame is rendered) the recorder checks
// that every row in the viewport at that scroll offset is in the DOM, and
// says whether any shows a placeholder (its page still loading).
async function wheelScroll(page, checkRows = true) {
  const cdp = await page.context().newCDPSession(page);
  const out = {};
  for (const [phase, rowsPerS, seconds] of [['steady', 720, 2], ['fast', 24000, 1]]) {
    await page.evaluate((checkRows) => {
      const sc = document.querySelector('[data-testid=table-scroll]');
      const rec = { iv: [], blank: 0, loading: 0, frames: 0, stop: false, last: 0, top0: sc.scrollTop };
      window.__sgWheel = rec;
      const post = new MessageChannel();
      post.port1.onmessage = () => {
        rec.frames++;
        if (!checkRows) return; // the ceiling control has no rows of its own to check
        const top = sc.scrollTop;
        const vh = sc.clientHeight;
        const shown = new Map();
        for (const r of document.querySelectorAll('.tbody .trow:not([hidden])')) shown.set(r.dataset.index.replace('?', ''), r.dataset.index.endsWith('?'));
        let blank = false;
        let loading = false;
        for (let i = Math.floor(top / 22); i < Math.ceil((top + vh) / 22); i++) {
          if (!shown.has(String(i))) blank = true;
          else if (shown.get(String(i))) loading = true;
        }
        if (blank) rec.blank++;
        if (loading) rec.loading++;
      };
      const tick = (t) => {
        if (rec.last) rec.iv.push(t - rec.last);
        rec.last = t;
        post.port2.postMessage(0);
        if (!rec.stop) requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    }, checkRows);
    const px = Math.round(rowsPerS * 22 * seconds);
    await cdp.send('Input.synthesizeScrollGesture', { x: 800, y: 600, yDistance: -px, speed: rowsPerS * 22, gestureSourceType: 'mouse', preventFling: true });
    const r = await page.evaluate(async () => {
      const rec = window.__sgWheel;
      rec.stop = true;
      await new Promise((res) => setTimeout(res, 50));
      const sc = document.querySelector('[data-testid=table-scroll]');
      return { iv: rec.iv, blank: rec.blank, loading: rec.loading, frames: rec.frames, rows: (sc.scrollTop - rec.top0) / 22 };
    });
    const secs = r.iv.reduce((x, y) => x + y, 0) / 1000;
    r.fps = r.iv.length / secs;
    r.rowsPerS = r.rows / secs;
    out[phase] = r;
    say(`  real wheel input, ${phase} (${rowsPerS} rows/s asked, ${r.rowsPerS.toFixed(0)} measured): ${r.fps.toFixed(1)} fps (rAF), p95 ${pct(r.iv, 0.95).toFixed(1)} ms; frames with rows missing in the viewport ${r.blank}, with rows still loading ${r.loading}, of ${r.frames}`);
  }
  await cdp.detach();
  return out;
}

// Frames as chromium's compositor reports them (its PipelineReporter, the
// source of its own dropped-frame metrics): of the renderer's frames during
// the scroll, how many were presented and how many dropped. Independent of
// how the page counts rAF callbacks.
function presentedFrames(json) {
  const ev = json.traceEvents ?? json;
  const proc = new Map(ev.filter((e) => e.name === 'process_name').map((e) => [e.pid, e.args?.name ?? '']));
  const marks = new Map();
  for (const e of ev) {
    const m = /^sgframe(\d+)$/.exec(e.name ?? '');
    if (m) marks.set(Number(m[1]), e.ts);
  }
  const a = marks.get(0);
  const b = marks.get(239);
  const out = { presented: 0, partial: 0, dropped: 0, vsyncs: a !== undefined && b !== undefined ? Math.round((b - a) / 16666.7) : 0 };
  for (const e of ev) {
    if (e.name !== 'PipelineReporter' || e.ph !== 'b' || proc.get(e.pid) !== 'Renderer' || e.ts < a || e.ts >= b) continue;
    const st = e.args?.frame_reporter?.state ?? e.args?.chrome_frame_reporter?.state;
    if (st === 'STATE_PRESENTED_ALL') out.presented++;
    else if (st === 'STATE_PRESENTED_PARTIAL') out.partial++;
    else if (st === 'STATE_DROPPED') out.dropped++;
  }
  say(`  chromium's frame reporter over the scroll: ${out.presented} frames presented whole, ${out.partial} with the main thread's part late, ${out.dropped} dropped, in ${out.vsyncs} vsyncs`);
  return out;
}

// CPU time per frame of every thread that draws a frame, in the steady and
// the fling phases (marks sgframe0 → sgframe119 → sgframe239): the
// renderer's main thread (our script, style, layout, paint), its compositor
// thread, its raster workers (software raster of the tiles that changed),
// and the GPU process's viz thread (software compositing of the whole
// window). Thread CPU time (the trace's tdur) does not grow when the
// machine is loaded, unlike frame intervals, so these say what a frame
// costs; their sum beside the 2 cores × 16.7 ms a frame has says whether
// 60 fps fits at all. Top-level events only (nested ones are inside them).
function threadCpu(json) {
  const ev = json.traceEvents ?? json;
  const names = new Map(ev.filter((e) => e.name === 'thread_name').map((e) => [`${e.pid}:${e.tid}`, e.args?.name ?? '']));
  const marks = new Map();
  for (const e of ev) {
    const m = /^sgframe(\d+)$/.exec(e.name ?? '');
    if (m) marks.set(Number(m[1]), e.ts);
  }
  const byThread = new Map();
  for (const e of ev) {
    if (e.ph !== 'X' || !e.dur) continue;
    const k = `${e.pid}:${e.tid}`;
    if (!byThread.has(k)) byThread.set(k, []);
    byThread.get(k).push(e);
  }
  const group = (n) => (n === 'CrRendererMain' ? 'main' : n === 'Compositor' ? 'compositor' : /^(ThreadPoolForegroundWorker|CompositorTileWorker)/.test(n) ? 'raster' : n === 'VizCompositorThread' ? 'viz' : n === 'CrGpuMain' ? 'gpu' : 'other');
  const out = {};
  for (const [phase, a, b, frames] of [['steady', marks.get(0), marks.get(119), 119], ['fling', marks.get(119), marks.get(239), 120]]) {
    if (a === undefined || b === undefined) continue;
    const cpu = { main: 0, compositor: 0, raster: 0, viz: 0, gpu: 0, other: 0 };
    for (const [k, list] of byThread) {
      list.sort((x, y) => x.ts - y.ts || y.dur - x.dur);
      let end = -Infinity;
      for (const e of list) {
        if (e.ts < end) continue; // nested in the top-level event before it
        end = e.ts + e.dur;
        const w = Math.min(e.ts + e.dur, b) - Math.max(e.ts, a);
        if (w <= 0) continue;
        cpu[group(names.get(k) ?? '')] += ((e.tdur ?? e.dur) / 1000) * (w / e.dur);
      }
    }
    for (const t of Object.keys(cpu)) cpu[t] /= frames;
    cpu.sum = Object.values(cpu).reduce((x, y) => x + y, 0);
    out[phase] = cpu;
    say(`  ${phase} scroll, CPU per frame by thread (trace's thread time): ${Object.entries(cpu).map(([t, v]) => `${t} ${v.toFixed(2)} ms`).join(', ')}`);
  }
  return out;
}

// ---- issue 7: call graph, treemap, callee pie ---------------------------------

// Opens `url`, waits until `selector` says it is drawn (data-state ready), and
// reads the navigation-relative times the view stamps on itself.
async function openView(browser, url, selector, stampSel = selector) {
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  page.on('pageerror', (e) => say('pageerror', e.message));
  await page.goto(url);
  await page.waitForFunction(
    ([sel, st]) => {
      const el = document.querySelector(sel);
      if (el?.dataset.state === 'error') throw new Error(document.querySelector('.msg.error')?.textContent);
      return el?.dataset.state === 'ready' && document.querySelector(st)?.dataset.readyAt;
    },
    [selector, stampSel],
    { timeout: 180000 },
  );
  const d = await page.$eval(selector, (e) => ({ ...e.dataset }));
  const stamp = await page.$eval(stampSel, (e) => Number(e.dataset.readyAt));
  const drawMs = await page.$eval(stampSel, (e) => Number(e.querySelector('canvas')?.dataset.drawMs ?? NaN));
  return { page, readyAt: stamp, data: d, drawMs };
}

async function benchViews(browser, base, sId, pId) {
  const out = { callgraph: [], callgraphDense: [], treemap: [], pie: [] };
  // The call graph of the 200,000-function pstats: from navigation to a graph
  // laid out (in the worker) and drawn, then a click on its heaviest node
  // answered (the selection in the URL and on the node).
  // The generated pstats is flat (no function reaches 0.01 % of the total),
  // so the default thresholds (0.5 %) leave nothing: the figures use 0.001 %
  // (about 96,000 functions answered) and 0 (all 200,000 and their million
  // edges answered); the view draws the 400 heaviest of them.
  for (const [key, q] of [['callgraph', '&cgn=0.00001&cge=0.00001'], ['callgraphDense', '&cgn=0&cge=0']]) {
    say(`200,000-function pstats: call graph at node/edge thresholds ${q}`);
    for (let i = 0; i < REPEAT + 1; i++) {
      const { page, readyAt, data } = await openView(browser, `${base}/p/${pId}?v=callgraph${q}`, '[data-testid=callgraph]');
      const click = await page.evaluate(async () => {
        const g = document.querySelector('[data-testid=callgraph] .cg-node');
        const t = performance.now();
        g.dispatchEvent(new MouseEvent('click', { bubbles: true }));
        await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
        const ok = new URL(location.href).searchParams.get('sel') === g.getAttribute('data-frame') && document.querySelector('.cg-node.selected') !== null;
        return { ms: performance.now() - t, ok };
      });
      // While the worker lays out, the page keeps answering: the longest main-thread task.
      out[key].push({ readyAt, layoutMs: Number(data.layoutMs), fetchMs: Number(data.fetchMs), nodes: Number(data.nodes), clickMs: click.ms, clickOk: click.ok });
      say(`  open ${i + 1}: interactive ${readyAt.toFixed(0)} ms after navigation (fetch ${Number(data.fetchMs).toFixed(0)} ms, layout ${Number(data.layoutMs).toFixed(0)} ms in the worker, ${data.nodes} boxes); click → selected in ${click.ms.toFixed(1)} ms${i === 0 ? ' (cold)' : ''}`);
      await page.close();
    }
  }
  // Treemap and pie of the 10M-sample profile: the canvas draw, and from
  // navigation to drawn (which includes the server's query).
  const top = await (await fetch(`${base}/api/profiles/${sId}/functions?sort=total&limit=3`)).json();
  const heavy = top.rows.frame.find((f) => f >= 0);
  for (const [key, url, sel, host] of [
    ['treemap', `${base}/p/${sId}?v=treemap`, '[data-testid=treemap]', '[data-testid=treemap-canvas-host]'],
    ['pie', `${base}/p/${sId}?v=pie&sel=${heavy}`, '[data-testid=pie]', '[data-testid=pie-canvas-host]'],
  ]) {
    say(`10M samples: ${key}`);
    for (let i = 0; i < REPEAT + 1; i++) {
      const { page, readyAt, drawMs } = await openView(browser, url, sel, host);
      // Redraws as a user changes the colour mode: the render alone.
      const redraw = await page.evaluate(async (h) => {
        const c = document.querySelector(h + ' canvas');
        const ms = [];
        for (const mode of ['package', 'frequency', 'module', 'function']) {
          const n = Number(c.dataset.draws);
          document.querySelector('[data-testid=color]').value = mode;
          document.querySelector('[data-testid=color]').dispatchEvent(new Event('change', { bubbles: true }));
          while (Number(c.dataset.draws) === n) await new Promise((r) => requestAnimationFrame(r));
          ms.push(Number(c.dataset.drawMs));
        }
        return ms;
      }, host);
      out[key].push({ readyAt, drawMs, redraw });
      say(`  open ${i + 1}: drawn ${readyAt.toFixed(0)} ms after navigation; first draw ${drawMs.toFixed(1)} ms; redraws ${redraw.map((x) => x.toFixed(1)).join(', ')} ms${i === 0 ? ' (cold)' : ''}`);
      await page.close();
    }
  }
  return out;
}

function timelineFigures(S) {
  figure(`timeline zoom/pan frame, p50 draw (${S.tl.spans} spans)`, '—', pct(S.tl.ms, 0.5), 'ms');
  figure(`timeline zoom/pan frame, p95 draw (${S.tl.spans} spans)`, '< 16 ms', pct(S.tl.ms, 0.95), 'ms');
  figure('timeline wheel zoom, p50 frame interval (real events)', '—', pct(S.wheel, 0.5), 'ms');
  figure('timeline wheel zoom, p95 frame interval (real events)', '≤ 17 ms (60 fps)', pct(S.wheel, 0.95), 'ms');
}

function viewFigures(V) {
  const warm = (xs) => xs.slice(1);
  for (const [key, label] of [['callgraph', 'thresholds 0.001 %'], ['callgraphDense', 'thresholds 0: every function answered']]) {
    const w = warm(V[key]);
    const nodes = w[0]?.nodes ?? 0;
    figure(`200,000-function pstats: call graph laid out and interactive, ${label} (${nodes} boxes; warm, median)`, '< 2000 ms', median(w.map((x) => x.readyAt)), 'ms');
    figure(`  of which: dagre layout in the worker (${label})`, '—', median(w.map((x) => x.layoutMs)), 'ms');
    figure(`  click a box → selected everywhere (${label})`, '—', median(w.map((x) => x.clickMs)), 'ms');
  }
  figure('200,000-function pstats: call graph, cold (server loads the file)', '—', V.callgraph[0].readyAt, 'ms');
  for (const key of ['treemap', 'pie']) {
    const w = warm(V[key]);
    figure(`10M samples: ${key} render (canvas draw, median of first draws and redraws)`, '< 200 ms', median(w.flatMap((x) => [x.drawMs, ...x.redraw])), 'ms');
    figure(`10M samples: ${key} drawn after navigation (warm, median; includes the server's query)`, '—', median(w.map((x) => x.readyAt)), 'ms');
  }
}

// ---- peers -------------------------------------------------------------------

function staticServer(roots) {
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.wasm': 'application/wasm', '.png': 'image/png', '.woff2': 'font/woff2', '.ttf': 'font/ttf', '.ico': 'image/x-icon' };
  const srv = createServer((req, res) => {
    const url = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    for (const [prefix, dir] of roots) {
      if (!url.startsWith(prefix)) continue;
      const f = join(dir, url.slice(prefix.length) || 'index.html');
      if (existsSync(f) && statSync(f).isFile()) {
        res.writeHead(200, { 'Content-Type': types[extname(f)] ?? 'application/octet-stream', 'Access-Control-Allow-Origin': '*' });
        createReadStream(f).pipe(res);
        return;
      }
    }
    res.writeHead(404).end();
  });
  return new Promise((r) => srv.listen(0, '127.0.0.1', () => r({ srv, base: `http://127.0.0.1:${srv.address().port}` })));
}

async function benchSpeedscope(browser, jsonPath) {
  const dist = join(PEERS, 'speedscope/node_modules/speedscope/dist/release');
  if (!existsSync(dist)) return { error: 'speedscope is not installed' };
  const { srv, base } = await staticServer([['/data/', dirname(jsonPath)], ['/', dist]]);
  const name = jsonPath.split('/').pop();
  const out = { times: [] };
  try {
    for (let i = 0; i < REPEAT; i++) {
      const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
      let err = null;
      page.on('pageerror', (e) => (err = e.message));
      await page.goto(`${base}/index.html#profileURL=${encodeURIComponent(`${base}/data/${name}`)}`);
      try {
        // Loaded when the title names the profile ("NAME - speedscope"; it is
        // "speedscope" while loading) and the flame chart canvas exists.
        await page.waitForFunction(() => / - speedscope$/.test(document.title) && document.querySelectorAll('canvas').length > 0, null, { timeout: 240000 });
        const t = await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(performance.now())))));
        out.times.push(t);
        say(`  speedscope open ${i + 1}: ${t.toFixed(0)} ms`);
      } catch (e) {
        out.error = err ?? e.message.split('\n')[0];
        await page.close();
        break;
      }
      await page.close();
    }
  } finally {
    srv.close();
  }
  return out;
}

async function benchSnakeviz(browser, profPath, what) {
  const pkg = join(PEERS, 'snakeviz');
  if (!existsSync(join(pkg, 'snakeviz'))) return { error: 'snakeviz is not installed' };
  const port = await freePort();
  const proc = spawn('python3', ['-m', 'snakeviz', '-s', '-H', '127.0.0.1', '-p', String(port), profPath], { env: { ...process.env, PYTHONPATH: pkg }, stdio: 'ignore' });
  const out = { times: [] };
  try {
    await waitHttp(`http://127.0.0.1:${port}/`, 20000, proc);
    for (let i = 0; i < (what === 'table' ? REPEAT : 1); i++) {
      const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
      await page.goto(`http://127.0.0.1:${port}/snakeviz/${encodeURIComponent(profPath)}`, { timeout: 600000 });
      const sel = what === 'table' ? '#pstats-table tbody tr td' : '#chart svg path, #chart svg rect';
      try {
        await page.waitForSelector(sel, { timeout: 600000 });
        const t = await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(performance.now())))));
        out.times.push(t);
        say(`  snakeviz ${what} open ${i + 1}: ${t.toFixed(0)} ms`);
      } catch (e) {
        out.error = e.message.split('\n')[0];
      }
      await page.close();
      if (out.error) break;
    }
  } finally {
    proc.kill('SIGTERM');
  }
  return out;
}

// snakeviz's icicle on a pstats file, timed apart from its page load. The
// page is one HTML answer that embeds the whole profile (snakeviz's Python
// reads the pstats first); then a worker builds the call tree and
// redraw_vis() draws it in SVG with d3. An init script wraps snakeviz's own
// globals (sv_draw_vis, redraw_vis) as the page defines them, so the marks
// are its steps, not guesses from the DOM. Then the sunburst, from snakeviz's
// cached tree: the render alone.
async function benchSnakevizIcicle(browser, profPath) {
  const pkg = join(PEERS, 'snakeviz');
  if (!existsSync(join(pkg, 'snakeviz'))) return { error: 'snakeviz is not installed' };
  const port = await freePort();
  const proc = spawn('python3', ['-m', 'snakeviz', '-s', '-H', '127.0.0.1', '-p', String(port), profPath], { env: { ...process.env, PYTHONPATH: pkg }, stdio: 'ignore' });
  const out = { runs: [] };
  try {
    // snakeviz reads the whole file before it listens (~25 s for 200,000 functions)
    await waitHttp(`http://127.0.0.1:${port}/`, 300000, proc);
    for (let i = 0; i < (QUICK ? 1 : 2); i++) {
      const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
      await page.addInitScript(() => {
        const marks = (window.__sv = { redraws: [] });
        const trap = (name, wrap) => {
          let v;
          Object.defineProperty(window, name, { configurable: true, get: () => v, set: (f) => (v = typeof f === 'function' ? wrap(f) : f) });
        };
        trap('sv_draw_vis', (f) => function (...a) {
          if (marks.tree === undefined) marks.tree = performance.now();
          return f.apply(this, a);
        });
        trap('redraw_vis', (f) => function (...a) {
          const m = { start: performance.now() };
          marks.redraws.push(m);
          const r = f.apply(this, a);
          m.end = performance.now();
          requestAnimationFrame(() => requestAnimationFrame(() => (m.painted = performance.now())));
          return r;
        });
      });
      const t0 = Date.now();
      let pageBytes = NaN;
      let firstByte = NaN;
      page.on('response', (r) => {
        if (!r.url().includes('/snakeviz/')) return;
        firstByte = Date.now() - t0;
        pageBytes = Number(r.headers()['content-length']);
      });
      let crashed = false;
      page.on('crash', () => (crashed = true));
      // Offline, snakeviz's worker would wait on cdnjs for its two libraries:
      // point those URLs at the copies snakeviz serves itself. Not for a
      // pstats over 20 MB: its page (~10x the file) is past what the rewrite
      // can hold as a string (V8's 512 MiB), and past what the tab can too.
      if (statSync(profPath).size < 20e6) await page.route('**/snakeviz/**', async (route) => {
        const r = await route.fetch({ timeout: 600000 });
        const body = (await r.text()).replace(/https:\/\/cdnjs\.cloudflare\.com\/ajax\/libs\/(immutable|lodash\.js)\/[\d.]+\//g, `http://127.0.0.1:${port}/static/vendor/`);
        await route.fulfill({ response: r, body });
      });
      let stage = 'page load';
      try {
        await page.goto(`http://127.0.0.1:${port}/snakeviz/${encodeURIComponent(profPath)}`, { timeout: 600000, waitUntil: 'domcontentloaded' });
        const load = await page.evaluate(() => {
          const n = performance.getEntriesByType('navigation')[0];
          return { response: n.responseStart, html: n.responseEnd, dom: n.domContentLoadedEventEnd };
        });
        out.load = [...(out.load ?? []), load];
        say(`  snakeviz ${i + 1}: page loaded: HTML with the profile ${load.html.toFixed(0)} ms, DOM ready ${load.dom.toFixed(0)} ms`);
        stage = 'icicle';
        await page.waitForFunction(() => window.__sv.redraws[0]?.painted, null, { timeout: ICICLE_WAIT_MS, polling: 100 });
        const icicle = await page.evaluate(() => {
          const n = performance.getEntriesByType('navigation')[0];
          const r = window.__sv.redraws[0];
          return { response: n.responseStart, html: n.responseEnd, dom: n.domContentLoadedEventEnd, tree: window.__sv.tree, drawStart: r.start, drawEnd: r.end, painted: r.painted, boxes: document.querySelectorAll('#chart svg rect').length };
        });
        // The sunburst, from the tree snakeviz keeps: its render alone.
        await page.selectOption('#sv-style-select', 'sunburst');
        await page.waitForFunction(() => window.__sv.redraws[1]?.painted, null, { timeout: 600000, polling: 100 });
        const sun = await page.evaluate(() => ({ ...window.__sv.redraws[1], arcs: document.querySelectorAll('#chart svg path').length }));
        out.runs.push({ ...icicle, sunburst: sun });
        say(`  snakeviz ${i + 1}: HTML with the profile ${icicle.html.toFixed(0)} ms (first byte ${icicle.response.toFixed(0)} ms), DOM ready ${icicle.dom.toFixed(0)} ms; icicle: tree built ${(icicle.drawStart - icicle.tree).toFixed(0)} ms (worker), SVG drawn ${(icicle.drawEnd - icicle.drawStart).toFixed(0)} ms, painted ${(icicle.painted - icicle.drawStart).toFixed(0)} ms after the draw began (${icicle.boxes} boxes); sunburst redraw ${(sun.painted - sun.start).toFixed(0)} ms (${sun.arcs} arcs)`);
      } catch (e) {
        const mb = Number.isFinite(pageBytes) ? `${(pageBytes / 1e6).toFixed(0)} MB page (its HTML embeds the profile), first byte after ${(firstByte / 1000).toFixed(1)} s` : 'no page';
        const built = await page.evaluate(() => window.__sv?.tree !== undefined).catch(() => false);
        out.error = crashed
          ? `the browser tab crashed (${stage}) on snakeviz's ${mb}`
          : stage === 'icicle'
            ? `no icicle within ${ICICLE_WAIT_MS / 1000} s of the page load (${built ? 'its worker was still building the call tree' : 'the tree was never asked for'}; ${mb})`
            : `${e.message.split('\n')[0]} (${mb})`;
        say(`  snakeviz ${i + 1}: ${out.error}`);
      }
      await page.close().catch(() => {});
      if (out.error) break;
    }
  } finally {
    proc.kill('SIGTERM');
  }
  return out;
}

// spyglass's flame graph (icicle) of the same pstats: from navigation to drawn.
async function benchPstatsFlame(browser, base, id, label = '200,000-function pstats') {
  say(`${label}: flame graph (icicle)`);
  const times = [];
  for (let i = 0; i < REPEAT + 1; i++) {
    const { page, readyAt } = await openAndWait(browser, `${base}/p/${id}?v=flame&icicle=1`, '[data-testid=flame-canvas-host]');
    times.push(readyAt);
    say(`  open ${i + 1}: icicle drawn ${readyAt.toFixed(0)} ms after navigation${i === 0 ? ' (cold)' : ''}`);
    await page.close();
  }
  return times;
}

function tableFigures(P, flame, svIcicle, svTable, svSmall = null, flameSmall = null) {
  const peer = (r) => (r.error ? `failed: ${r.error}` : `${median(r.times).toFixed(0)} ms`);
  figure('200,000-function pstats: table visible (warm, median)', '< 1000 ms', median(P.times.slice(1)), 'ms', svTable ? { 'snakeviz (table)': peer(svTable) } : {});
  figure('200,000-function pstats: table visible, cold', '—', P.times[0], 'ms');
  figure(`table steady scroll (720 rows/s) over ${P.scroll.count} rows`, '≥ 59 fps', P.scroll.steadyFps, 'fps');
  figure('table fling scroll (24,000 rows/s)', '≥ 59 fps', P.scroll.flingFps, 'fps');
  figure('table scroll: p95 frame interval', '≤ 16.7 ms', pct(P.scroll.iv, 0.95), 'ms');
  figure('table scroll: frames over 17 ms', '—', P.scroll.iv.filter((x) => x > 17).length, `of ${P.scroll.iv.length}`);
  if (P.trace?.frames) {
    const T = P.trace.frames;
    figure('table scroll (traced): renderer main thread CPU per frame', '< 8 ms', T.mainMsPerFrame, 'ms');
    figure('table scroll (traced): long frames whose main thread ran > 13 ms on the CPU (our code)', '—', T.ours, `of ${T.budget} long`);
    figure('table scroll (traced): long frames late otherwise (main thread not scheduled, compositor: the machine)', '—', T.starved, `of ${T.budget} long`);
  }
  for (const [phase, c] of Object.entries(P.trace?.threads ?? {})) {
    figure(`table ${phase} scroll (traced): CPU per frame, main / compositor / raster / viz (GPU process) threads`, '—', `${c.main.toFixed(1)} / ${c.compositor.toFixed(1)} / ${c.raster.toFixed(1)} / ${c.viz.toFixed(1)}`, 'ms');
    figure(`table ${phase} scroll (traced): CPU per frame, all of chromium's threads (2 cores give 33.3 ms a frame)`, '—', c.sum, 'ms');
  }
  if (P.trace?.presented) {
    const F = P.trace.presented;
    figure("table scroll (traced): chromium's frame reporter, frames presented / dropped in vsyncs", '—', `${F.presented} / ${F.dropped} in ${F.vsyncs}`, '');
  }
  for (const [phase, W] of Object.entries(P.wheel ?? {})) {
    figure(`table scroll by real wheel input, ${phase} (${W.rowsPerS.toFixed(0)} rows/s)`, phase === 'steady' ? '≥ 59 fps' : '—', W.fps, 'fps');
    figure(`table scroll by real wheel input, ${phase}: p95 frame interval`, phase === 'steady' ? '≤ 16.7 ms' : '—', pct(W.iv, 0.95), 'ms');
    figure(`table scroll by real wheel input, ${phase}: frames with rows missing / still loading in the viewport`, '—', `${W.blank} / ${W.loading} of ${W.frames}`, '');
  }
  if (P.ceiling) ceilingFigures(P);
  figure('table steady scroll: frames showing rows still loading', '—', P.scroll.steadyPlaceholders, 'of 120');
  figure('table fling scroll: frames showing rows still loading', '—', P.scroll.placeholders - P.scroll.steadyPlaceholders, 'of 120');
  const f = P.filter.filter((x) => Number.isFinite(x.ms));
  if (P.filter.length) figure(`table regex filter: typed → "N of M" and rows on screen (median of ${f.length} regexes; server-side match=)`, '—', median(f.map((x) => x.ms)), 'ms');
  if (flame) {
    const svRuns = svIcicle?.runs ?? [];
    const sv = svIcicle?.error ? { snakeviz: `failed: ${svIcicle.error}` } : svRuns.length ? { 'snakeviz icicle (page load + tree + render)': `${median(svRuns.map((r) => r.painted)).toFixed(0)} ms` } : {};
    figure('200,000-function pstats: flame graph (icicle) drawn after navigation (warm, median)', '—', median(flame.slice(1)), 'ms', sv);
  }
  if (flameSmall) {
    const R = svSmall?.runs ?? [];
    const sv = svSmall?.error ? { snakeviz: `failed: ${svSmall.error}` } : R.length ? { 'snakeviz icicle (page load + tree + render)': `${median(R.map((r) => r.painted)).toFixed(0)} ms` } : {};
    figure('20,000-function pstats: flame graph (icicle) drawn after navigation (warm, median)', '—', median(flameSmall.slice(1)), 'ms', sv);
  }
  for (const [label, sv] of [['200,000-function pstats', svIcicle], ['20,000-function pstats (same generator)', svSmall]]) {
    if (!sv) continue;
    if (sv.load?.length) figure(`  peer: snakeviz on the ${label}: page load (HTML embedding the profile → DOM ready)`, '—', median(sv.load.map((r) => r.dom)), 'ms');
    if (sv.error || !sv.runs.length) {
      figure(`  peer: snakeviz on the ${label}: icicle`, '—', `failed: ${sv.error ?? 'no run'}`, '');
      continue;
    }
    const R = sv.runs;
    figure(`  peer: snakeviz on the ${label}: icicle call tree built (its worker)`, '—', median(R.map((r) => r.drawStart - r.tree)), 'ms');
    figure(`  peer: snakeviz on the ${label}: icicle render (SVG drawn → painted, ${R[0].boxes} boxes)`, '—', median(R.map((r) => r.painted - r.drawStart)), 'ms');
    figure(`  peer: snakeviz on the ${label}: sunburst render from its cached tree (${R[0].sunburst.arcs} arcs)`, '—', median(R.map((r) => r.sunburst.painted - r.sunburst.start)), 'ms');
  }
}

// The ceiling control beside the table: the same scroll's fps, p95 and long
// frames, and per-thread CPU a frame, on a page that does nothing while it
// scrolls. When the control is no faster, the table runs at what this
// machine's headless chromium can show, and says so.
function ceilingFigures(P) {
  const [C, B] = P.ceiling;
  const head = 'table | ceiling: static page | blank page';
  const row = (label, f, unit, d = 1) => figure(`${label}: ${head}`, '—', [P, C, B].map((x) => f(x)?.toFixed(d) ?? '?').join(' | '), unit);
  row('steady scroll (720 rows/s), scripted', (x) => x.scroll.steadyFps, 'fps');
  row('fling scroll (24,000 rows/s), scripted', (x) => x.scroll.flingFps, 'fps');
  row('scripted scroll, p95 frame interval', (x) => pct(x.scroll.iv, 0.95), 'ms');
  row('scripted scroll, frames over 17 ms (of 240)', (x) => x.scroll.iv.filter((v) => v > 17).length, '', 0);
  for (const phase of Object.keys(P.wheel ?? {})) {
    row(`real wheel input, ${phase}`, (x) => x.wheel?.[phase]?.fps, 'fps');
    row(`real wheel input, ${phase}: p95 frame interval`, (x) => (x.wheel?.[phase] ? pct(x.wheel[phase].iv, 0.95) : undefined), 'ms');
  }
  for (const phase of Object.keys(P.trace?.threads ?? {})) {
    const f = (x) => {
      const c = x.trace?.threads?.[phase];
      return c ? `${c.main.toFixed(1)} / ${c.compositor.toFixed(1)} / ${c.raster.toFixed(1)} / ${c.viz.toFixed(1)} = ${c.sum.toFixed(1)}` : '?';
    };
    figure(`${phase} scroll (traced), CPU per frame main / compositor / raster / viz = all: ${head}`, '—', [P, C, B].map(f).join(' | '), 'ms');
  }
  // The verdict: the table within 1 fps of the faster control, or both under 59 fps.
  const ceil = Math.max(C.scroll.steadyFps, B.scroll.steadyFps);
  const gap = ceil - P.scroll.steadyFps;
  const verdict =
    ceil < 59 && gap < 1
      ? `the controls also scroll at ${ceil.toFixed(1)} fps: the table runs at this machine's ceiling`
      : gap < 1
        ? 'the table scrolls as fast as the controls'
        : `a control scrolls ${gap.toFixed(1)} fps faster: the table is below this machine's ceiling (repeat on a quiet machine: uptime)`;
  figure('ceiling controls, steady scripted scroll: verdict', '—', verdict, '');
}

// ---- main --------------------------------------------------------------------

const sgl = join(DATA, 'sampled-10M.sgl');
const sjson = join(DATA, 'sampled-10M.speedscope.json');
const sprof = join(DATA, 'sampled-10M.prof');
const pst = join(DATA, 'pstats-200k.prof');
const pst20k = join(DATA, 'pstats-20k.prof');
const browser = await chromium.launch({ executablePath: process.env.SG_CHROMIUM ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
const server = await startSpyglass();
try {
  const s = ONLY_TABLE ? null : await uploadFile(server.base, sgl, 'sampled-10M.sgl');
  const p = await uploadFile(server.base, pst, 'pstats-200k.prof');
  if (ONLY_SCROLL) {
    const P = await benchPstats(browser, server.base, p.id);
    tableFigures(P, null, null, null);
    printFigures({ pstats: P });
  } else if (ONLY_TABLE) {
    const P = await benchPstats(browser, server.base, p.id);
    const flame = await benchPstatsFlame(browser, server.base, p.id);
    const small = await uploadFile(server.base, pst20k, 'pstats-20k.prof');
    const flameSmall = await benchPstatsFlame(browser, server.base, small.id, '20,000-function pstats');
    say('peers: snakeviz icicle on the 200,000- and 20,000-function pstats');
    const svIcicle = NO_SNAKEVIZ ? { error: 'not run (--no-snakeviz)' } : await benchSnakevizIcicle(browser, pst);
    const svSmall = NO_SNAKEVIZ ? { error: 'not run (--no-snakeviz)' } : await benchSnakevizIcicle(browser, pst20k);
    tableFigures(P, flame, svIcicle, null, svSmall, flameSmall);
    printFigures({ pstats: P, pstatsFlame: flame, pstats20kFlame: flameSmall, snakevizIcicle: svIcicle, snakevizIcicle20k: svSmall });
  } else if (ONLY_TIMELINE) {
    const S = await benchSampled(browser, server.base, s.id);
    timelineFigures(S);
    printFigures({ timeline: S });
  } else if (ONLY_VIEWS) {
    const V = await benchViews(browser, server.base, s.id, p.id);
    viewFigures(V);
    printFigures({ views: V });
    process.exitCode = 0;
  } else {
  const S = await benchSampled(browser, server.base, s.id);
  const P = await benchPstats(browser, server.base, p.id);
  const V = await benchViews(browser, server.base, s.id, p.id);
  say('peers: speedscope on the 10M profile (its own JSON, exported by spyglass convert)');
  const skipped = { error: 'not run (--no-peers)' };
  const ss = NO_PEERS ? skipped : await benchSpeedscope(browser, sjson);
  say('peers: snakeviz on the 200,000-function pstats and the 10M profile as pstats');
  const svSkipped = { error: 'not run (--no-snakeviz)' };
  const svTable = NO_SNAKEVIZ ? svSkipped : await benchSnakeviz(browser, pst, 'table');
  const svChart = NO_SNAKEVIZ ? svSkipped : await benchSnakeviz(browser, sprof, 'chart');
  const svIcicle = NO_SNAKEVIZ ? svSkipped : await benchSnakevizIcicle(browser, pst);
  const svSmall = NO_SNAKEVIZ ? svSkipped : await benchSnakevizIcicle(browser, pst20k);
  const pFlame = await benchPstatsFlame(browser, server.base, p.id);
  const small = await uploadFile(server.base, pst20k, 'pstats-20k.prof');
  const pFlameSmall = await benchPstatsFlame(browser, server.base, small.id, '20,000-function pstats');

  const warm = S.times.slice(1);
  const peer = (r) => (r.error ? `failed: ${r.error}` : `${median(r.times).toFixed(0)} ms`);
  figure('10M samples: first flame graph after the page opens (warm, median)', '< 1500 ms', median(warm), 'ms', { speedscope: peer(ss), 'snakeviz icicle (same profile as pstats)': peer(svChart) });
  figure('10M samples: first flame graph, cold (server loads the file)', '—', S.times[0], 'ms');
  figure(`flame graph zoom/pan frame, p95 draw (${S.flame.nodes} boxes)`, '< 16 ms', pct(S.flame.ms, 0.95), 'ms');
  timelineFigures(S);
  tableFigures(P, pFlame, svIcicle, svTable, svSmall, pFlameSmall);
  viewFigures(V);
  printFigures({ sampled: S, pstats: P, pstatsFlame: pFlame, views: V, speedscope: ss, snakevizTable: svTable, snakevizChart: svChart, snakevizIcicle: svIcicle, snakevizIcicle20k: svSmall });
  }
} finally {
  server.stop();
  await browser.close();
}

function printFigures(raw) {

  console.log('\nspyglass viewer benchmarks (chromium, headless; 1600×1000)\n');
  const rows = results.figures.map((f) => {
    const n = typeof f.value === 'number' ? (f.unit === 'fps' ? f.value.toFixed(1) : f.value.toFixed(1)) : String(f.value);
    const m = /< (\d+(?:\.\d+)?)/.exec(f.goal);
    const g = /≥ (\d+)/.exec(f.goal);
    const le = /≤ (\d+(?:\.\d+)?)/.exec(f.goal);
    const miss = (m && f.value >= Number(m[1])) || (g && f.value < Number(g[1])) || (le && f.value > Number(le[1]) + 1e-6);
    return [f.metric, f.goal, `${n} ${f.unit}${miss ? ' !' : ''}`, Object.entries(f.peers).map(([k, v]) => `${k}: ${v}`).join('; ')];
  });
  const w = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length), 6));
  console.log(['metric'.padEnd(w[0]), 'goal'.padEnd(w[1]), 'spyglass'.padEnd(w[2]), 'peers'].join(' | '));
  for (const r of rows) console.log([r[0].padEnd(w[0]), r[1].padEnd(w[1]), r[2].padEnd(w[2]), r[3]].join(' | '));
  results.raw = raw;
  mkdirSync(join(here, 'results'), { recursive: true });
  const file = raw.sampled ? 'web-latest.json' : raw.timeline ? 'web-timeline-latest.json' : raw.pstats ? 'web-table-latest.json' : 'web-views-latest.json';
  writeFileSync(join(here, 'results', file), JSON.stringify(results, null, 1));
  say(`raw numbers in bench/results/${file}`);
}
