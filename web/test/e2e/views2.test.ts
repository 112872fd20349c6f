/*
 * views2.test.ts — the call graph, callee pie, treemap and diff views end
 * to end (issue 7): Debian's chromium against the real `spyglass serve`,
 * on a recording made here by the real sampler and a pstats file written
 * here by cProfile. Each view must render on both; a selection made in
 * the call graph must be the flame graph's; the diff of a profile with
 * itself must show no change, and of two recordings of targets/hot.py
 * with different weights must list the function whose share changed
 * most first; two time ranges of one recording of targets/phases.py
 * (phase_a, then phase_b), picked on the timeline, must diff as phase_b
 * slower and phase_a faster, and the link must carry both ranges.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
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
  ROOT,
  SCALE,
  screenshot,
  Server,
  skipReason,
  spyglass,
  startServer,
  upload,
} from './harness';

const reason = skipReason();

/** Records web/test/e2e/targets/hot.py with the given weights. */
function recordHot(dir: string, name: string, weights: string[]): string {
  const out = join(dir, `${name}.sgl`);
  const r = spawnSync(spyglass(), ['record', '-o', out, '--', 'python3', join(ROOT, 'web/test/e2e/targets/hot.py'), '1', ...weights], {
    encoding: 'utf8',
    timeout: 60_000 * SCALE,
  });
  if (r.status !== 0) throw new Error(`spyglass record failed (${r.status}): ${r.stderr}`);
  return out;
}

/** Records web/test/e2e/targets/phases.py: phase_a for the first half, then phase_b. */
function recordPhases(dir: string): string {
  const out = join(dir, 'phases.sgl');
  const r = spawnSync(spyglass(), ['record', '-o', out, '--', 'python3', join(ROOT, 'web/test/e2e/targets/phases.py'), '1.6'], {
    encoding: 'utf8',
    timeout: 60_000 * SCALE,
  });
  if (r.status !== 0) throw new Error(`spyglass record failed (${r.status}): ${r.stderr}`);
  return out;
}

describe('call graph, callee pie, treemap and diff in chromium', { skip: reason ?? false }, () => {
  let server: Server;
  let browser: Browser;
  let work: string;
  let rec: Profile;
  let pst: Profile;
  let even: Profile;
  let xHeavy: Profile;
  let phases: Profile;
  /** Why the two-range diff test cannot run on this server, or null. */
  let sidesMissing: string | null = null;
  const errors: string[] = [];
  const frameOf = new Map<string, number>();

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'sg-web2-profiles-'));
    const sgl = recordProfile(work, 'stacks.py', '1');
    const prof = pstatsProfile(work, 'stacks.py', '0.5');
    const evenPath = recordHot(work, 'even', ['1', '1', '1']);
    const xPath = recordHot(work, 'xheavy', ['4', '1', '1']);
    server = await startServer();
    rec = await upload(server.base, sgl, 'stacks recording');
    pst = await upload(server.base, prof, 'stacks cprofile');
    even = await upload(server.base, evenPath, 'hot even');
    xHeavy = await upload(server.base, xPath, 'hot x heavy');
    phases = await upload(server.base, recordPhases(work), 'phases');
    // The viewer's two-range diff needs the server's per-side parameters
    // (before.t0/before.t1, after.t0/after.t1 on /api/diff): without them
    // both sides are the whole profile and nothing changes.
    const d = await getJson(server.base, `/api/profiles/${phases.id}`);
    const mid = Math.floor((d.t_start + d.t_end) / 2);
    const r = await fetch(`${server.base}/api/diff?before=${phases.id}&after=${phases.id}&before.t0=${d.t_start}&before.t1=${mid}&after.t0=${mid}&after.t1=${d.t_end}&limit=1`);
    const j = r.ok ? await r.json() : null;
    if (!j || Math.abs(j.functions?.delta_frac_self?.[0] ?? 0) < 0.1) {
      sidesMissing = `the server does not take /api/diff's per-side parameters before.t0/before.t1/after.t0/after.t1 (answered ${r.status}; largest change ${j?.functions?.delta_frac_self?.[0]})`;
    }
    const fns = await getJson(server.base, `/api/profiles/${rec.id}/functions?limit=0`);
    fns.rows.key.forEach((k: string, i: number) => frameOf.set(k, fns.rows.frame[i]));
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  async function open(path: string): Promise<Page> {
    const page = await newPage(browser, errors);
    await page.goto(server.base + path);
    return page;
  }

  async function nodeNames(page: Page, host = '[data-testid=callgraph]'): Promise<string[]> {
    return page.$$eval(`${host} .cg-node text:not(.sub)`, (ts) => ts.map((t) => (t.textContent ?? '').replace(/^↻ /, '')));
  }

  for (const which of ['recorded', 'pstats'] as const) {
    test(`the call graph lays out and draws the ${which} profile, with sliders that thin it`, async () => {
      const p = which === 'recorded' ? rec : pst;
      const page = await open(`/p/${p.id}?v=callgraph`);
      await ready(page, '[data-testid=callgraph]');
      const names = await nodeNames(page);
      for (const fn of ['main', 'a', which === 'recorded' ? 'Box.b' : 'b', 'c', 'leaf_deep', 'leaf_shallow']) assert.ok(names.includes(fn), `${fn} is a node (${names.join(', ')})`);
      const edges = await page.$$eval('[data-testid=callgraph] .cg-edge', (es) => es.map((e) => `${e.getAttribute('data-caller')}>${e.getAttribute('data-callee')}`));
      assert.ok(edges.length >= 5, `edges drawn: ${edges.length}`);
      // Node size grows with self time: leaf_deep (≈2/3 self) is taller than main (no self).
      const height = (name: string) =>
        page.$$eval('[data-testid=callgraph] .cg-node', (gs, n) => {
          const g = gs.find((x) => (x.querySelector('text')?.textContent ?? '').replace(/^↻ /, '') === n);
          return Number(g?.querySelector('rect')?.getAttribute('height'));
        }, name);
      assert.ok((await height('leaf_deep')) > (await height('main')), 'a box grows with its self time');
      await screenshot(page, `callgraph-${which}`);
      // The node slider at its top hides all but the heaviest functions.
      const before = names.length;
      await page.$eval('[data-testid=cg-node]', (el) => {
        const i = el as HTMLInputElement;
        i.value = '100';
        i.dispatchEvent(new Event('change', { bubbles: true }));
      });
      await page.waitForFunction((n) => {
        const v = document.querySelector('[data-testid=callgraph]') as HTMLElement;
        return v.dataset.state === 'ready' && document.querySelectorAll('[data-testid=callgraph] .cg-node').length < n;
      }, before);
      assert.ok(query(page).get('cgn'), 'the threshold is in the URL');
      await page.close();
    });

    test(`the callee pie and the treemap render the ${which} profile`, async () => {
      const p = which === 'recorded' ? rec : pst;
      const aFrame = which === 'recorded' ? frameOf.get('a')! : (await getJson(server.base, `/api/profiles/${pst.id}/functions?limit=0&filter=stacks.py`)).rows.frame[
        (await getJson(server.base, `/api/profiles/${pst.id}/functions?limit=0&filter=stacks.py`)).rows.key.indexOf('a')
      ];
      const page = await open(`/p/${p.id}?v=pie&sel=${aFrame}`);
      await ready(page, '[data-testid=pie]');
      assert.equal(await page.textContent('[data-testid=pie-center]'), 'a');
      const pie = await canvasStats(page, '[data-testid=pie-canvas-host]');
      assert.ok(pie.painted > 20000 && pie.colors > 3, `the pie is drawn (${JSON.stringify(pie)})`);
      assert.ok(Number(await page.$eval('[data-testid=pie-canvas-host]', (e) => (e as HTMLElement).dataset.arcs)) >= 2, 'b, leaf_shallow (and below)');
      await screenshot(page, `pie-${which}`);
      await page.click('button.tab[data-view=treemap]');
      await ready(page, '[data-testid=treemap]');
      const tm = await canvasStats(page, '[data-testid=treemap-canvas-host]');
      assert.ok(tm.painted > 50000 && tm.colors > 3, `the treemap is drawn (${JSON.stringify(tm)})`);
      await screenshot(page, `treemap-${which}`);
      await page.close();
    });
  }

  test('the pie splits a function among its callees with its self time as a slice, and a click descends', async () => {
    const page = await open(`/p/${rec.id}?v=pie&sel=${frameOf.get('a')}`);
    await ready(page, '[data-testid=pie]');
    // The server's own numbers for `a`: its callees' shares must be the arcs of ring 1.
    const bf = await getJson(server.base, `/api/profiles/${rec.id}/butterfly?frame=${frameOf.get('a')}`);
    const arcs = await page.evaluate(() => {
      const v = (window as any).spyglass.debug().views.get('pie');
      return v.arcs.filter((a: any) => a.ring === 1).map((a: any) => ({ frame: a.frame, share: (a.a1 - a.a0) / (2 * Math.PI) }));
    });
    for (let i = 0; i < bf.callees.frame.length; i++) {
      const arc = arcs.find((a: any) => a.frame === bf.callees.frame[i]);
      const share = bf.callees.weight[i] / bf.total;
      if (share < 0.01) continue;
      assert.ok(arc, `callee ${bf.callees.frame[i]} has an arc`);
      assert.ok(Math.abs(arc.share - share) < 0.01, `arc share ${arc.share} ≈ butterfly share ${share}`);
    }
    // Click the middle of the largest ring-1 slice that is a function: it becomes the selection.
    const target = await page.evaluate(() => {
      const v = (window as any).spyglass.debug().views.get('pie');
      const a = v.arcs.filter((x: any) => x.ring === 1 && x.frame >= 0).sort((x: any, y: any) => y.a1 - y.a0 - (x.a1 - x.a0))[0];
      const mid = (a.a0 + a.a1) / 2 - Math.PI / 2;
      const r = v.geo.r0 + v.geo.dr / 2;
      const box = document.querySelector('[data-testid=pie-canvas-host]')!.getBoundingClientRect();
      return { frame: a.frame, x: box.left + v.geo.cx + Math.cos(mid) * r, y: box.top + v.geo.cy + Math.sin(mid) * r };
    });
    await page.mouse.click(target.x, target.y);
    await page.waitForFunction((f) => new URL(location.href).searchParams.get('sel') === String(f), target.frame);
    await ready(page, '[data-testid=pie]');
    assert.equal(await page.textContent('[data-testid=pie-center]'), 'Box.b');
    await page.close();
  });

  test('a click in the call graph selects the function in the flame graph too', async () => {
    const page = await open(`/p/${rec.id}?v=callgraph`);
    await ready(page, '[data-testid=callgraph]');
    const c = frameOf.get('c')!;
    await page.click(`[data-testid=callgraph] .cg-node[data-frame="${c}"]`);
    await page.waitForFunction((f) => new URL(location.href).searchParams.get('sel') === String(f), c);
    assert.equal(await page.textContent('[data-testid=selected-name]'), 'c');
    assert.ok(await page.$(`[data-testid=callgraph] .cg-node.selected[data-frame="${c}"]`), 'the node shows it is selected');
    await page.click('button.tab[data-view=flame]');
    await ready(page, '[data-testid=flame-canvas-host]').catch(() => undefined);
    await page.waitForFunction(() => document.body.dataset !== undefined);
    assert.equal(query(page).get('sel'), String(c));
    assert.equal(await page.textContent('[data-testid=selected-name]'), 'c');
    // Back in the call graph, the neighbourhood of the selection one level out: c, its caller and callee.
    await page.click('button.tab[data-view=callgraph]');
    await page.selectOption('[data-testid=cg-hood]', '1');
    await page.waitForFunction(() => {
      const v = document.querySelector('[data-testid=callgraph]') as HTMLElement;
      return v.dataset.state === 'ready' && document.querySelectorAll('[data-testid=callgraph] .cg-node').length === 3;
    });
    assert.deepEqual((await nodeNames(page)).sort(), ['Box.b', 'c', 'leaf_deep']);
    await page.close();
  });

  test('the treemap zooms into a package on click and keeps the zoom in the URL', async () => {
    const page = await open(`/p/${rec.id}?v=treemap`);
    await ready(page, '[data-testid=treemap]');
    // The largest rectangle is the target's own package ("stacks").
    const box = (await (await page.$('[data-testid=treemap-canvas-host] canvas'))!.boundingBox())!;
    const spot = await page.evaluate(() => {
      const v = (window as any).spyglass.debug().views.get('treemap');
      const r = v.rects.filter((x: any) => x.level === 2).sort((x: any, y: any) => y.value - x.value)[0];
      return { x: (r.x0 + r.x1) / 2, y: (r.y0 + r.y1) / 2, frame: r.frame };
    });
    await page.mouse.click(box.x + spot.x, box.y + spot.y);
    await page.waitForFunction(() => new URL(location.href).searchParams.get('tmp') === 'stacks');
    assert.equal(query(page).get('sel'), String(spot.frame));
    assert.equal(spot.frame, frameOf.get('leaf_deep'));
    assert.match(await page.textContent('[data-testid=tm-crumbs]') ?? '', /stacks/);
    // Reloading the link shows the same zoom.
    await page.reload();
    await ready(page, '[data-testid=treemap]');
    const pkgs = await page.evaluate(() => (window as any).spyglass.debug().views.get('treemap').rects.map((r: any) => r.pkg));
    assert.equal(new Set(pkgs).size, 1, 'only the zoomed package is laid out');
    // The filter greys out functions it does not match.
    const beforeStats = await canvasStats(page, '[data-testid=treemap-canvas-host]');
    await page.fill('[data-testid=filter]', 'leaf_shallow');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('q') === 'leaf_shallow');
    await page.waitForTimeout(100);
    const afterStats = await canvasStats(page, '[data-testid=treemap-canvas-host]');
    assert.notDeepEqual(afterStats, beforeStats, 'the filter changes the drawing');
    await page.close();
  });

  test('the diff of a profile with itself shows no change', async () => {
    const page = await open(`/p/${even.id}?v=diff&vs=${even.id}`);
    await ready(page, '[data-testid=diff]');
    assert.match(await page.textContent('[data-testid=diff-summary]') ?? '', /No change/);
    const deltas = await page.$$eval('[data-testid=diff-table] td.delta', (ts) => ts.map((t) => t.textContent));
    assert.ok(deltas.length > 0 && deltas.every((d) => d === '±0.00 pp'), deltas.join(' '));
    const flame = await canvasStats(page, '[data-testid=diff-flame-host]');
    assert.ok(flame.painted > 1000, 'the diff flame graph is drawn');
    await page.close();
  });

  test('the diff of two different recordings lists the changed function first, in red, and tints the call graph', async () => {
    const page = await open(`/p/${xHeavy.id}?v=diff`);
    await page.waitForSelector(`[data-testid=diff-against] option[value="${even.id}"]`, { state: 'attached' });
    await page.selectOption('[data-testid=diff-against]', even.id);
    await ready(page, '[data-testid=diff]');
    assert.equal(query(page).get('vs'), even.id);
    const first = await page.$eval('[data-testid=diff-table] tbody tr', (tr) => ({ key: tr.getAttribute('data-key'), delta: tr.querySelector('td.delta')!.textContent }));
    assert.equal(first.key, 'work_x');
    assert.match(first.delta ?? '', /^\+/, 'work_x is slower: a larger share after');
    await ready(page, '[data-testid=diff-callgraph]');
    const fill = await page.$$eval('[data-testid=diff-callgraph] .cg-node', (gs) => {
      const g = gs.find((x) => x.querySelector('text')?.textContent === 'work_x');
      return g?.querySelector('rect')?.getAttribute('fill');
    });
    assert.match(fill ?? '', /^hsl\(2,/, `work_x is red in the call graph (${fill})`);
    await screenshot(page, 'diff');
    await page.close();
  });

  test('two time ranges of one profile, picked on the timeline, diff as phase_b slower and phase_a faster; the link carries both', async (t) => {
    if (sidesMissing) return t.skip(sidesMissing);
    const page = await open(`/p/${phases.id}?v=timeline`);
    await ready(page, '.timeline-view');
    const r = (await (await page.$('[data-testid=timeline-canvas-host] canvas'))!.boundingBox())!;
    const drag = async (from: number, to: number) => {
      await page.mouse.move(r.x + r.width * from, r.y + 10);
      await page.mouse.down();
      await page.mouse.move(r.x + r.width * ((from + to) / 2), r.y + 10, { steps: 4 });
      await page.mouse.move(r.x + r.width * to, r.y + 10, { steps: 4 });
      await page.mouse.up();
    };
    // The first range: inside the first half (phase_a only).
    await drag(0.08, 0.4);
    await page.waitForFunction(() => new URLSearchParams(location.search).has('t0'));
    await page.click('[data-testid=compare-range]');
    await page.waitForSelector('[data-testid=compare-prompt]');
    // The second: inside the second half (phase_b only).
    await drag(0.6, 0.92);
    await page.waitForFunction(() => new URLSearchParams(location.search).get('v') === 'diff');
    await ready(page, '[data-testid=diff]');
    const q = query(page);
    assert.equal(q.get('vs'), phases.id);
    const [bt0, bt1, at0, at1] = ['bt0', 'bt1', 'at0', 'at1'].map((k) => Number(q.get(k)));
    assert.ok(bt0 < bt1 && bt1 <= at0 && at0 < at1, `ranges ${bt0}-${bt1}, ${at0}-${at1}`);
    const top = async () =>
      page.$$eval('[data-testid=diff-table] tbody tr', (trs) => trs.slice(0, 2).map((tr) => [tr.getAttribute('data-key'), tr.querySelector('td.delta')!.textContent] as [string, string]));
    const rows = new Map(await top());
    assert.deepEqual([...rows.keys()].sort(), ['phase_a', 'phase_b'], JSON.stringify([...rows]));
    assert.match(rows.get('phase_b')!, /^\+/, 'phase_b only runs in the "after" range');
    assert.match(rows.get('phase_a')!, /^-/, 'phase_a only runs in the "before" range');
    assert.match((await page.textContent('[data-testid=diff-sides]')) ?? '', /Before: .* – .*; after: .* – /);
    await screenshot(page, 'diff-ranges');
    // The permalink reproduces both ranges and the same answer.
    const url = page.url();
    const again = await open(new URL(url).pathname + new URL(url).search);
    await ready(again, '[data-testid=diff]');
    assert.equal(await again.inputValue('[data-testid=diff-before-from]'), await page.inputValue('[data-testid=diff-before-from]'));
    assert.equal(await again.inputValue('[data-testid=diff-after-to]'), await page.inputValue('[data-testid=diff-after-to]'));
    assert.deepEqual(new Map(await again.$$eval('[data-testid=diff-table] tbody tr', (trs) => trs.slice(0, 2).map((tr) => [tr.getAttribute('data-key'), tr.querySelector('td.delta')!.textContent] as [string, string]))), rows);
    await again.close();
    // Typed in the diff view: the "after" range made equal to "before" shows no change.
    await page.fill('[data-testid=diff-after-from]', await page.inputValue('[data-testid=diff-before-from]'));
    await page.fill('[data-testid=diff-after-to]', await page.inputValue('[data-testid=diff-before-to]'));
    await page.press('[data-testid=diff-after-to]', 'Enter');
    await page.dispatchEvent('[data-testid=diff-after-to]', 'change');
    await page.waitForFunction(() => { const p = new URLSearchParams(location.search); return p.get('at0') === p.get('bt0') && p.get('at1') === p.get('bt1'); });
    await page.waitForFunction(() => /No change/.test(document.querySelector('[data-testid=diff-summary]')?.textContent ?? ''));
    // A range out of order is said inline, and not applied.
    await page.fill('[data-testid=diff-before-from]', '5');
    await page.fill('[data-testid=diff-before-to]', '1');
    await page.dispatchEvent('[data-testid=diff-before-to]', 'change');
    await page.waitForFunction(() => /before range needs two numbers/.test(document.querySelector('[data-testid=diff-range-error]')?.textContent ?? ''));
    await page.close();
  });

  test('the new views save into saved views and reopen as they were', async () => {
    const page = await open(`/p/${rec.id}?v=callgraph&cgn=0.01&hood=2&sel=${frameOf.get('c')}`);
    await ready(page, '[data-testid=callgraph]');
    const r = await fetch(`${server.base}/api/views`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ profile: rec.id, state: new URL(page.url()).search.slice(1), tags: [], note: '' }),
    });
    const saved = await r.json();
    await page.goto(`${server.base}/v/${saved.id}`);
    await ready(page, '[data-testid=callgraph]');
    const q = query(page);
    assert.equal(q.get('v'), 'callgraph');
    assert.equal(q.get('cgn'), '0.01');
    assert.equal(q.get('hood'), '2');
    assert.equal(await page.$eval('[data-testid=cg-hood]', (s) => (s as HTMLSelectElement).value), '2');
    await page.close();
  });

  test('no page errors in any of this', () => {
    assert.deepEqual(errors, []);
  });
});
