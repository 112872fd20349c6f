/*
 * viewer.test.ts — the viewer end to end: Debian's chromium against the
 * real `spyglass serve`, with a profile recorded here by the real sampler
 * and a pstats file written here by cProfile, both uploaded through the
 * API. Each test names the behaviour it checks; canvases are checked
 * through their pixels, the rest through the DOM and the URL.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import {
  canvasStats,
  getJson,
  launch,
  newPage,
  Profile,
  pstatsProfile,
  query,
  ready,
  recordProfile,
  screenshot,
  Server,
  skipReason,
  startServer,
  upload,
} from './harness';

const reason = skipReason();

describe('viewer in chromium against spyglass serve', { skip: reason ?? false }, () => {
  let server: Server;
  let browser: Browser;
  let work: string;
  let sgl: string;
  let prof: string;
  let rec: Profile;
  let pst: Profile;
  const errors: string[] = [];

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'sg-web-profiles-'));
    sgl = recordProfile(work, 'stacks.py', '1');
    prof = pstatsProfile(work, 'stacks.py', '0.5');
    server = await startServer();
    rec = await upload(server.base, sgl, 'stacks recording', ['e2e', 'sampled']);
    pst = await upload(server.base, prof, 'stacks cprofile', ['e2e', 'pstats']);
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /**
   * Every /functions request the page sends, as its query, in order. A
   * route sees each request before it leaves the browser, so the record is
   * complete when the answer is on screen.
   */
  async function recordFunctions(page: Page): Promise<URLSearchParams[]> {
    const seen: URLSearchParams[] = [];
    await page.route(/\/api\/profiles\/[^/]+\/functions\?/, (route) => {
      seen.push(new URL(route.request().url()).searchParams);
      return route.continue();
    });
    return seen;
  }

  async function open(path: string): Promise<Page> {
    const page = await newPage(browser, errors);
    await page.goto(server.base + path);
    return page;
  }

  test('the profile list shows the uploads, searches and filters by tag', async () => {
    const page = await open('/');
    await page.waitForSelector(`tr[data-id="${rec.id}"]`);
    await page.waitForSelector(`tr[data-id="${pst.id}"]`);
    await screenshot(page, 'list');
    await page.fill('[data-testid=search]', 'cprofile');
    await page.waitForFunction((id) => !document.querySelector(`tr[data-id="${id}"]`), rec.id);
    assert.ok(await page.$(`tr[data-id="${pst.id}"]`));
    await page.fill('[data-testid=search]', '');
    await page.waitForSelector(`tr[data-id="${rec.id}"]`);
    await page.click(`tr[data-id="${rec.id}"] .tag a:text("sampled")`);
    await page.waitForFunction((id) => !document.querySelector(`tr[data-id="${id}"]`), pst.id);
    assert.equal(query(page).get('tag'), 'sampled');
    await page.close();
  });

  test('the flame graph renders the recorded stacks', async () => {
    const page = await open(`/p/${rec.id}`);
    await ready(page, '[data-testid=flame-canvas-host]');
    const stats = await canvasStats(page, '[data-testid=flame-canvas-host]');
    assert.ok(stats.painted > stats.width * 20, `only ${stats.painted} painted pixels`);
    assert.ok(stats.colors > 4, `only ${stats.colors} colours`);
    const names: string[] = await page.evaluate(() => (window as any).spyglass.debug().views.get('flame').boxes(1).map((b: any) => b.name));
    for (const fn of ['main', 'a', 'leaf_deep', 'leaf_shallow']) assert.ok(names.includes(fn), `${fn} not drawn; drawn: ${names.join(', ')}`);
    await screenshot(page, 'flame');
    await page.click('[data-testid=icicle]');
    await page.waitForFunction(() => new URLSearchParams(location.search).get('icicle') === '1');
    await screenshot(page, 'icicle');
    await page.close();
  });

  test('every view renders', async () => {
    const page = await open(`/p/${rec.id}?v=timeline`);
    await ready(page, '.timeline-view');
    const tl = await canvasStats(page, '[data-testid=timeline-canvas-host]');
    assert.ok(tl.painted > tl.width * 20, `timeline: only ${tl.painted} painted pixels`);
    assert.ok(Number(await page.$eval('.timeline-view', (e) => (e as HTMLElement).dataset.spans)) > 0);
    await screenshot(page, 'timeline');

    await page.click('button.tab[data-view=table]');
    await ready(page, '.table-view');
    const rows = await page.$$eval('.tbody .trow:not([hidden])', (els) => els.map((e) => e.children[6].textContent));
    assert.ok(rows.includes('leaf_deep'), `table rows: ${rows.join(', ')}`);
    // Body rows are no grid (cells at fixed offsets, app.css): the visible
    // cells run left to right without overlap, and each row's Self % bar (a
    // background of the row) is its share of the Self % cell, ending at the
    // cell's right edge.
    const geo = await page.$$eval('.tbody .trow:not([hidden])', (els) =>
      els.map((e) => {
        const cells = [...e.children].filter((c) => getComputedStyle(c).visibility !== 'hidden').map((c) => c.getBoundingClientRect());
        const st = getComputedStyle(e);
        const sp = e.children[1].getBoundingClientRect();
        return { xs: cells.map((r) => [r.left, r.right]), size: st.backgroundSize, pos: st.backgroundPositionX, selfp: e.children[1].textContent ?? '', row: e.getBoundingClientRect().left, sp: [sp.left, sp.right] };
      }),
    );
    for (const g of geo) {
      for (let c = 1; c < g.xs.length; c++) assert.ok(g.xs[c][0] >= g.xs[c - 1][1] - 0.5, `cells overlap: ${JSON.stringify(g.xs)}`);
      const share = g.selfp.startsWith('<') ? 0 : parseFloat(g.selfp) / 100;
      const w = parseFloat(g.size.split(',')[0]);
      assert.ok(Math.abs(w - share * (g.sp[1] - g.sp[0])) <= 1, `Self % ${g.selfp}: bar ${w} px of ${g.sp[1] - g.sp[0]}`);
      assert.ok(Math.abs(g.row + parseFloat(g.pos.split(',')[0]) + w - g.sp[1]) <= 1, `Self % bar ends at ${g.row + parseFloat(g.pos) + w}, the cell at ${g.sp[1]}`);
    }
    await screenshot(page, 'table');

    // Select leaf_deep in the table, then look at its callers.
    await page.click('.tbody .trow:has(span:text-is("leaf_deep"))');
    await page.waitForFunction(() => document.querySelector('[data-testid=selected-name]')?.textContent === 'leaf_deep');
    await page.click('button.tab[data-view=butterfly]');
    await ready(page, '[data-testid=butterfly]');
    const callers = await page.$$eval('.bf-row.caller .bf-fn', (els) => els.map((e) => e.textContent));
    assert.deepEqual(callers, ['c']);
    await screenshot(page, 'butterfly');

    await page.click('button.tab[data-view=source]');
    await ready(page, '.source-view');
    const text = await page.$$eval('.src-line .src-text', (els) => els.map((e) => e.textContent).join('\n'));
    assert.match(text, /def leaf_deep/);
    const hot = await page.$$eval('.src-line', (els) => els.filter((e) => (e.querySelector('.total')?.textContent ?? '') !== '').length);
    assert.ok(hot > 0, 'no line has heat');
    await screenshot(page, 'source');

    await page.click('button.tab[data-view=views]');
    await ready(page, '[data-testid=saved-views]');
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('double-click zooms into a call, and breadcrumbs zoom out', async () => {
    const page = await open(`/p/${rec.id}`);
    await ready(page, '[data-testid=flame-canvas-host]');
    const boxes = await page.evaluate(() => (window as any).spyglass.debug().views.get('flame').boxes(10));
    const a = boxes.find((b: any) => b.name === 'a');
    assert.ok(a, 'no box for a');
    await page.mouse.dblclick(a.cx, a.cy);
    await page.waitForFunction(() => (new URLSearchParams(location.search).get('zoom') ?? '').split(',').length >= 3);
    await ready(page, '[data-testid=flame-canvas-host]');
    const crumbs = await page.$$eval('[data-testid=breadcrumbs] .crumb', (els) => els.map((e) => e.textContent));
    assert.equal(crumbs[crumbs.length - 1], 'a');
    const after = await page.evaluate(() => (window as any).spyglass.debug().views.get('flame').boxes(10));
    const zoomedA = after.find((b: any) => b.name === 'a');
    assert.ok(zoomedA.w > 1300, `a is ${zoomedA.w}px wide after zooming, not the full width`);
    await screenshot(page, 'zoomed');
    await page.click('[data-testid=breadcrumbs] .crumb:text-is("all")');
    await page.waitForFunction(() => !new URLSearchParams(location.search).has('zoom'));
    await page.close();
  });

  test('the filter greys out what does not match, in the flame graph and the table', async () => {
    const page = await open(`/p/${rec.id}`);
    await ready(page, '[data-testid=flame-canvas-host]');
    const before = await canvasStats(page, '[data-testid=flame-canvas-host]');
    await page.fill('[data-testid=filter]', 'leaf_shallow');
    await page.waitForFunction(() => new URLSearchParams(location.search).get('q') === 'leaf_shallow');
    await page.waitForFunction(() => Number((document.querySelector('[data-testid=flame-canvas-host]') as HTMLElement).dataset.dimmed) > 0);
    await page.waitForTimeout(100);
    const afterStats = await canvasStats(page, '[data-testid=flame-canvas-host]');
    assert.ok(afterStats.colors < before.colors, `colours ${before.colors} → ${afterStats.colors}: nothing greyed out`);
    await screenshot(page, 'filtered');
    await page.click('button.tab[data-view=table]');
    await ready(page, '.table-view');
    await page.waitForFunction(() => (document.querySelector('.table-view') as HTMLElement).dataset.count === '1');
    const names = await page.$$eval('.tbody .trow:not([hidden])', (els) => els.map((e) => e.children[6].textContent));
    assert.deepEqual(names, ['leaf_shallow']);
    await page.close();
  });

  test('the table filter hides the rows it does not match, says "N of M", greys on request, and reports a bad regex inline', async () => {
    const all = await getJson(server.base, `/api/profiles/${rec.id}/functions?limit=0`);
    const M: number = all.count;
    const expect = (all.rows.key as string[]).filter((k, i) => {
      const info = all.frames[String(all.rows.frame[i])];
      return /^leaf_/i.test(info ? `${info[0]} (${info[1]})` : k) || /^leaf_/i.test(k);
    });
    assert.ok(expect.length >= 2 && expect.length < M, `the recording has ${expect.length} leaf_ functions of ${M}`);
    // The listener is attached before the page is opened: a listener added
    // after goto() misses whatever the page asked while loading (in 8 of 22
    // runs here it missed the table's first page), which is how a
    // request-counting test comes to hear fewer requests than were sent.
    const page = await newPage(browser, errors);
    const asked: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/functions?')) asked.push(r.url());
    });
    await page.goto(`${server.base}/p/${rec.id}?v=table`);
    await ready(page, '.table-view');
    assert.equal(await page.textContent('[data-testid=table-count]'), `${M} functions`);
    // A regex: the server filters (match=) and counts both ways, in one answer per page.
    await page.check('[data-testid=regex]');
    await page.fill('[data-testid=filter]', '^leaf_');
    await page.waitForFunction((n) => (document.querySelector('.table-view') as HTMLElement).dataset.count === String(n), expect.length);
    // The count is set with the answer; the rows are drawn on the next frame.
    await page.waitForFunction((n) => document.querySelectorAll('.tbody .trow:not([hidden])').length === n, expect.length);
    const names = await page.$$eval('.tbody .trow:not([hidden])', (els) => els.map((e) => e.children[6].textContent));
    assert.deepEqual([...names].sort(), [...expect].sort());
    await page.waitForFunction((t) => document.querySelector('[data-testid=table-count]')?.textContent === t, `${expect.length} of ${M} functions`);
    assert.equal(await page.$$eval('.tbody .trow.dim:not([hidden])', (els) => els.length), 0, 'hidden, not greyed');
    // Every request the page made, in order: the table's first page without
    // a filter (the regex box alone changes nothing the server is asked),
    // then exactly one for the regex, a page of 500. The regex's answer
    // arrived and was drawn, so its request event came before (one
    // renderer session, in order); /functions answers are Cache-Control:
    // no-store, so nothing is answered from the HTTP cache unheard.
    const qs = asked.map((u) => new URL(u).searchParams);
    assert.deepEqual(
      qs.map((q) => [q.get('match'), q.get('offset'), q.get('limit')]),
      [
        [null, '0', '500'],
        ['^leaf_', '0', '500'],
      ],
      `the page asked: ${asked.join(' ')}`,
    );
    await screenshot(page, 'table-regex-filter');
    // The toggle keeps every row and greys the others (the server flags them: mark=1).
    await page.check('[data-testid=table-grey]');
    await page.waitForFunction((m) => (document.querySelector('.table-view') as HTMLElement).dataset.count === String(m), M);
    await page.waitForFunction(() => document.querySelectorAll('.tbody .trow.dim:not([hidden])').length > 0);
    // The table keeps only the rows on screen in the DOM: each of them is greyed iff it does not match.
    const shown = await page.$$eval('.tbody .trow:not([hidden]):not(.loading)', (els) => els.map((e) => [e.children[6].textContent ?? '', e.classList.contains('dim')] as [string, boolean]));
    assert.ok(shown.length > expect.length);
    for (const [name, dim] of shown) assert.equal(dim, !expect.includes(name), `${name} ${dim ? 'greyed' : 'not greyed'}`);
    assert.equal(query(page).get('tgrey'), '1');
    assert.match((await page.textContent('[data-testid=table-matched]')) ?? '', new RegExp(`${expect.length} match`));
    assert.ok(asked.some((u) => new URL(u).searchParams.get('mark') === '1'), 'grey-out asks the server to flag rows');
    await page.uncheck('[data-testid=table-grey]');
    await page.waitForFunction((n) => (document.querySelector('.table-view') as HTMLElement).dataset.count === String(n), expect.length);
    // A regex that does not compile: an inline error, every row, no exception.
    await page.fill('[data-testid=filter]', 'leaf_(');
    await page.waitForSelector('[data-testid=filter-error]:not([hidden])');
    assert.match((await page.textContent('[data-testid=filter-error]')) ?? '', /not a valid regular expression/);
    assert.equal(await page.getAttribute('[data-testid=filter]', 'aria-invalid'), 'true');
    await page.waitForFunction((m) => (document.querySelector('.table-view') as HTMLElement).dataset.count === String(m), M);
    assert.match((await page.textContent('[data-testid=table-status]')) ?? '', /not a valid regular expression.*showing every row/);
    await screenshot(page, 'table-bad-regex');
    // One JavaScript takes and PCRE2 does not (a lone \k): the server's reason, inline, and every row.
    await page.fill('[data-testid=filter]', 'leaf_\\k');
    await page.waitForFunction(() => /\\k is not followed by/.test(document.querySelector('[data-testid=table-filter-error]')?.textContent ?? ''));
    await page.waitForFunction((m) => (document.querySelector('.table-view') as HTMLElement).dataset.count === String(m), M);
    assert.match((await page.textContent('[data-testid=table-status]')) ?? '', /Filter: not a valid regular expression: .* at offset 7; showing every row/);
    // Text filters are the server's: "N of M" too.
    await page.uncheck('[data-testid=regex]');
    await page.fill('[data-testid=filter]', 'leaf_deep');
    await page.waitForFunction((m) => document.querySelector('[data-testid=table-count]')?.textContent === `1 of ${m} functions`, M);
    assert.ok(await page.$('[data-testid=filter-error][hidden]'), 'the error is gone');
    await page.close();
  });

  test('typing a regex quickly into the filter box asks the server once, for the final pattern', async () => {
    const final = '^leaf_d';
    const all = await getJson(server.base, `/api/profiles/${rec.id}/functions?limit=0`);
    const expect = (all.rows.key as string[]).filter((k) => /^leaf_d/i.test(k));
    assert.ok(expect.length >= 1, 'the recording has leaf_deep');
    const page = await open(`/p/${rec.id}?v=table&re=1`);
    const routed = await recordFunctions(page);
    await ready(page, '.table-view');
    const before = routed.length;
    // 20 ms a key, typed in the page (a round trip to playwright per key can
    // take longer than the quiet period on a loaded machine): the page
    // notes when each key went in, so a real pause is told from a flood.
    const gaps: number[] = await page.evaluate(async (text) => {
      const box = document.querySelector('[data-testid=filter]') as HTMLInputElement;
      box.focus();
      const at: number[] = [];
      for (let i = 1; i <= text.length; i++) {
        box.value = text.slice(0, i);
        box.dispatchEvent(new Event('input', { bubbles: true }));
        at.push(performance.now());
        await new Promise((r) => setTimeout(r, 20));
      }
      return at.slice(1).map((t, i) => t - at[i]);
    }, final);
    await page.waitForFunction((n) => (document.querySelector('.table-view') as HTMLElement).dataset.count === String(n), expect.length);
    await page.waitForFunction((n) => document.querySelectorAll('.tbody .trow:not([hidden]):not(.loading)').length === n, expect.length);
    const names = await page.$$eval('.tbody .trow:not([hidden])', (els) => els.map((e) => e.children[6].textContent));
    assert.deepEqual([...names].sort(), [...expect].sort());
    // Wait past another quiet period: nothing late may follow.
    await page.waitForTimeout(400);
    const typed = routed.slice(before).map((q) => q.get('match'));
    // A prefix may be asked only if the box then stood still for the quiet
    // period (the machine stalled the page); the final pattern exactly once.
    const paused = new Set(gaps.map((g, i) => (g >= 150 ? final.slice(0, i + 1) : '')).filter(Boolean));
    assert.equal(typed.filter((m) => m === final).length, 1, `one request for the final pattern: ${typed.join(' ')}`);
    assert.equal(typed[typed.length - 1], final, 'the final pattern is asked last');
    for (const m of typed.slice(0, -1)) assert.ok(paused.has(m!), `${m} asked without a ${150} ms pause after it (gaps ${gaps.map((g) => g.toFixed(0)).join(',')})`);
    if (paused.size === 0) assert.deepEqual(typed, [final]);
    await page.close();
  });

  test('a time range selected in the timeline restricts the other views', async () => {
    const page = await open(`/p/${rec.id}?v=timeline`);
    await ready(page, '.timeline-view');
    const box = (await page.$('[data-testid=timeline-canvas-host] canvas'))!;
    const r = (await box.boundingBox())!;
    // Drag on the time axis (the top 22 px) over the first half.
    await page.mouse.move(r.x + 5, r.y + 10);
    await page.mouse.down();
    await page.mouse.move(r.x + r.width * 0.3, r.y + 10, { steps: 5 });
    await page.mouse.move(r.x + r.width * 0.5, r.y + 10, { steps: 5 });
    await page.mouse.up();
    await page.waitForFunction(() => new URLSearchParams(location.search).has('t0'));
    const q = query(page);
    const t0 = Number(q.get('t0'));
    const t1 = Number(q.get('t1'));
    assert.ok(t1 > t0);
    await page.waitForSelector('[data-testid=range-chip]');
    await screenshot(page, 'range');
    const whole = await getJson(server.base, `/api/profiles/${rec.id}/functions?limit=1`);
    await page.click('button.tab[data-view=flame]');
    await ready(page, '[data-testid=flame-canvas-host]');
    const part = await getJson(server.base, `/api/profiles/${rec.id}/functions?limit=1&t0=${q.get('t0')}&t1=${q.get('t1')}`);
    assert.ok(part.total < whole.total, `range total ${part.total} not below ${whole.total}`);
    // The flame graph was fetched with the range: its root is the range's weight.
    const nodes = await page.evaluate(() => (window as any).spyglass.debug().views.get('flame').debugInfo().nodes);
    assert.ok(nodes > 1);
    await page.click('[data-testid=range-chip] button');
    await page.waitForFunction(() => !new URLSearchParams(location.search).has('t0'));
    await page.close();
  });

  test('a permalink reproduces the view', async () => {
    const page = await open(`/p/${rec.id}`);
    await ready(page, '[data-testid=flame-canvas-host]');
    const boxes = await page.evaluate(() => (window as any).spyglass.debug().views.get('flame').boxes(10));
    const c = boxes.find((b: any) => b.name === 'c');
    await page.mouse.click(c.cx, c.cy);
    await page.selectOption('[data-testid=color]', 'module');
    await page.selectOption('[data-testid=grey]', 'children');
    await page.fill('[data-testid=filter]', 'leaf');
    await page.waitForFunction(() => new URLSearchParams(location.search).get('q') === 'leaf');
    await page.mouse.move(1, 1); // no hover outline: the reopened page has none
    await page.waitForTimeout(150);
    const url = page.url();
    const shot1 = await canvasStats(page, '[data-testid=flame-canvas-host]');
    const state1 = await page.evaluate(() => (window as any).spyglass.debug().state);
    const page2 = await newPage(browser, errors);
    await page2.goto(url);
    await ready(page2, '[data-testid=flame-canvas-host]');
    await page2.waitForFunction(() => document.querySelector('[data-testid=selected-name]')?.textContent === 'c');
    await page2.waitForTimeout(150);
    const state2 = await page2.evaluate(() => (window as any).spyglass.debug().state);
    assert.deepEqual(state2, state1);
    assert.equal(await page2.inputValue('[data-testid=filter]'), 'leaf');
    assert.equal(await page2.inputValue('[data-testid=color]'), 'module');
    const shot2 = await canvasStats(page2, '[data-testid=flame-canvas-host]');
    assert.deepEqual(shot2, shot1);
    await page.close();
    await page2.close();
  });

  test('save a view: it gets a short link that reopens it, and is listed', async () => {
    const page = await open(`/p/${rec.id}?v=table&sort=total&q=leaf`);
    await ready(page, '.table-view');
    await page.click('[data-testid=save-view]');
    await page.fill('.save-form input[name=tags]', 'slow-leaf, e2e');
    await page.fill('.save-form input[name=note]', 'leaves by total');
    await page.click('.save-form button[type=submit]');
    const link = await page.waitForSelector('a.saved-link');
    const id = (await link.getAttribute('data-view-id'))!;
    assert.match(id, /^[a-z0-9]{8}$/);
    const saved = await getJson(server.base, `/api/views/${id}`);
    assert.equal(saved.profile, rec.id);
    assert.deepEqual(new URLSearchParams(saved.state).get('q'), 'leaf');
    assert.deepEqual(saved.tags, ['slow-leaf', 'e2e']);
    const page2 = await open(`/v/${id}`);
    await page2.waitForURL((u) => u.pathname === `/p/${rec.id}`);
    await ready(page2, '.table-view');
    assert.equal(query(page2).get('sort'), 'total');
    assert.equal(query(page2).get('q'), 'leaf');
    await page2.click('button.tab[data-view=views]');
    await page2.waitForSelector(`[data-testid=saved-views] tr[data-view-id="${id}"]`);
    await screenshot(page2, 'saved-views');
    await page.close();
    await page2.close();
  });

  test('upload by file picker and by drag-and-drop, then delete', async () => {
    const page = await open('/');
    await page.waitForSelector(`tr[data-id="${rec.id}"]`);
    await page.setInputFiles('[data-testid=upload-input]', sgl);
    const link = await page.waitForSelector('[data-testid=uploaded-link]');
    const href = (await link.getAttribute('href'))!;
    const id = href.split('/').pop()!;
    await page.waitForSelector(`tr[data-id="${id}"]`);

    // Drag-and-drop: a real File in a DataTransfer, dropped on the page.
    const bytes = Array.from(new Uint8Array(await (await fetch(`${server.base}/api/profiles/${rec.id}/download?format=collapsed`)).arrayBuffer()));
    const before = (await getJson(server.base, '/api/profiles')).profiles.length;
    await page.evaluate((data) => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(data)], 'dropped.collapsed'));
      window.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
      window.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, bytes);
    await page.waitForSelector('[data-testid=uploaded-link]:text("dropped.collapsed")');
    const list = (await getJson(server.base, '/api/profiles')).profiles;
    assert.equal(list.length, before + 1);
    assert.ok(list.some((p: Profile) => p.name === 'dropped.collapsed'));
    await screenshot(page, 'uploaded');

    // Delete the picker's upload (two clicks: the first arms the button).
    await page.click(`tr[data-id="${id}"] [data-testid=delete]`);
    await page.click(`tr[data-id="${id}"] [data-testid=delete]`);
    await page.waitForFunction((i) => !document.querySelector(`tr[data-id="${i}"]`), id);
    const r = await fetch(`${server.base}/api/profiles/${id}`);
    assert.equal(r.status, 404);
    await page.close();
  });

  test('a pstats profile leads with the table and says trees are approximate', async () => {
    const page = await open(`/p/${pst.id}`);
    await ready(page, '.table-view');
    assert.equal(query(page).get('v'), 'table');
    const names = await page.$$eval('.tbody .trow:not([hidden])', (els) => els.map((e) => e.children[6].textContent));
    assert.ok(names.some((n) => n?.includes('leaf_deep')), names.join(', '));
    const calls = await page.$$eval('.tbody .trow:not([hidden]) .calls', (els) => els.map((e) => e.textContent).filter(Boolean));
    assert.ok(calls.length > 0, 'no calls column for pstats');
    await screenshot(page, 'pstats-table');
    await page.click('button.tab[data-view=flame]');
    await ready(page, '[data-testid=flame-canvas-host]');
    const banner = await page.textContent('.flame-view .banner-slot');
    assert.match(banner ?? '', /Approximate/);
    await page.click('button.tab[data-view=timeline]');
    await page.waitForFunction(() => /No timeline/.test(document.querySelector('.timeline-view')?.textContent ?? ''));
    await page.close();
  });

  test('errors are messages that say what went wrong, never a blank page', async () => {
    const page = await open('/p/zzzzzzzz');
    await page.waitForSelector('.msg.error');
    assert.match((await page.textContent('.msg.error')) ?? '', /Could not open profile zzzzzzzz.*404/s);
    await page.goto(`${server.base}/p/${rec.id}?focus=99999999`);
    await page.waitForSelector('.flame-view .msg.error');
    assert.match((await page.textContent('.flame-view .msg.error')) ?? '', /focus/);
    await screenshot(page, 'error');
    await page.goto(`${server.base}/no/such/page`);
    await page.waitForSelector('.msg.error');
    await page.close();
  });

  test('the server logged no sanitizer report or crash while serving all this', () => {
    const log = server.log();
    assert.doesNotMatch(log, /ERROR: AddressSanitizer|runtime error:|LeakSanitizer|Segmentation fault/);
    assert.equal(server.proc.exitCode, null, `the server exited: ${log}`);
  });
});
