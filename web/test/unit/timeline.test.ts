import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { blockAt, decodeSpans, hitSpan, layoutBlocks, modelFromAnswer, TimelineWire, TL, underSelected } from '../../src/lib/timeline';
import type { TimelineAnswer } from '../../src/lib/types';
import { getJson, recordProfile, SCALE, Server, skipReason, spyglass, startServer, upload } from '../e2e/harness';

function answer(): TimelineAnswer {
  return {
    t0: 1000,
    t1: 2000,
    width: 100,
    threads: [
      {
        index: 0,
        name: 'MainThread',
        spans: { x0: [0, 0, 10, 50], x1: [100, 50, 20, 100], depth: [0, 1, 2, 1], frame: [0, 1, 2, 3], weight: [100, 50, 10, 50] },
        states: { cpu: [[0, 40]], gil: [[0, 100]], idle: [[40, 100]] },
        gc: [[20, 22, 3]],
        markers: [[70, 1, 'checkpoint']],
      },
      { index: 2, name: 'worker', spans: { x0: [], x1: [], depth: [], frame: [], weight: [] }, states: { cpu: [], gil: [], idle: [] }, gc: [], markers: [] },
    ],
    frames: {},
  };
}

test('pixel columns become times on the profile clock', () => {
  const m = modelFromAnswer(answer());
  const th = m.threads[0];
  assert.deepEqual(Array.from(th.t0), [1000, 1000, 1100, 1500]);
  assert.deepEqual(Array.from(th.t1), [2000, 1500, 1200, 2000]);
  assert.equal(th.maxDepth, 2);
  assert.deepEqual(Array.from(th.cpu), [1000, 1400]);
  assert.deepEqual(Array.from(th.gc), [1200, 1220, 3]);
  assert.deepEqual(th.markers, [{ t: 1700, count: 1, label: 'checkpoint' }]);
  assert.equal(m.threads[1].maxDepth, -1);
});

test('thread blocks stack, and hit testing finds the deepest span', () => {
  const m = modelFromAnswer(answer());
  const b = layoutBlocks(m);
  assert.equal(b.top[0], TL.axis);
  assert.equal(b.top[1], b.top[0] + b.height[0]);
  assert.equal(b.contentHeight, b.top[1] + b.height[1]);
  const y2 = b.spansTop[0] + 2 * TL.row + 1;
  assert.equal(hitSpan(m, b, 0, 1150, y2), 2);
  assert.equal(hitSpan(m, b, 0, 1300, y2), -1);
  assert.equal(hitSpan(m, b, 0, 1600, b.spansTop[0] + TL.row + 1), 3);
  assert.equal(blockAt(b, b.top[1] + 1), 1);
  assert.equal(blockAt(b, 0), -1);
});

test('spans under a selected function', () => {
  const m = modelFromAnswer(answer());
  assert.deepEqual(Array.from(underSelected(m.threads[0], 1)), [0, 1, 1, 0]);
  assert.deepEqual(Array.from(underSelected(m.threads[0], 99)), [0, 0, 0, 0]);
});

/** answer() in the enc=compact form, written out by hand from its spans. */
function compactAnswer(): TimelineWire {
  const a = answer();
  return {
    ...a,
    enc: 'compact',
    threads: [
      // x=0: open main(0) and work(1); x=10: open inner(2); x=20: close it;
      // x=50: close work, open io(1); the rest end at width (100)
      { ...a.threads[0], spans: { runs: [0, 0, 2, 10, 2, 1, 10, 2, 0, 30, 1, 1], frame: [0, 1, 2, 3], cw: [40, -9, 10, -39, 50, -49] } },
      { ...a.threads[1], spans: { runs: [], frame: [], cw: [-100] } },
    ],
  };
}

test('the compact form decodes to the same model as the five columns', () => {
  const want = modelFromAnswer(answer());
  const got = modelFromAnswer(compactAnswer());
  assert.deepEqual(got, want);
});

test('malformed compact spans are refused with a message, not drawn', () => {
  const width = 100;
  const cases: [string, { runs: number[]; frame: number[]; cw: number[] }][] = [
    ['keeps 3 of 0', { runs: [0, 3, 1], frame: [1], cw: [-100] }],
    ['opens 2 spans', { runs: [0, 0, 2], frame: [1], cw: [-100] }],
    ['open 1 spans for 2', { runs: [0, 0, 1], frame: [1, 2], cw: [-100] }],
    ['moves x to 101', { runs: [0, 0, 1, 101, 0, 0], frame: [1], cw: [-100] }],
    ['moves x to 5', { runs: [5, 0, 1, 0, 0, 1], frame: [1, 2], cw: [-100] }],
    ['cw covers 99', { runs: [0, 0, 1], frame: [1], cw: [-99] }],
    ['triples', { runs: [0, 0], frame: [], cw: [-100] }],
  ];
  for (const [why, spans] of cases) assert.throws(() => decodeSpans(spans, width), new RegExp(why), why);
});

/*
 * The compact form equals the old one on the real server's answers: a
 * recording by the real sampler (tests/targets/stacks.py) and, when the
 * build has it, the benchmark generator's profile of deep random stacks
 * on 8 threads, over several windows, widths and views.
 */
describe('compact timeline answers of the real server', { skip: skipReason() ?? undefined }, () => {
  let srv: Server;
  let work: string;
  const ids: { id: string; t_start: number; t_end: number }[] = [];
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'sg-tl-compact-'));
    srv = await startServer();
    const files = [recordProfile(work, 'stacks.py', '1')];
    const gen = join(dirname(spyglass()), 'bench-serve-gen');
    if (existsSync(gen)) {
      const out = join(work, 'gen.sgl');
      const r = spawnSync(gen, [out, '200000'], { encoding: 'utf8', timeout: 60_000 * SCALE });
      if (r.status !== 0) throw new Error(`bench-serve-gen failed: ${r.stderr}`);
      files.push(out);
    }
    for (const f of files) {
      const p = await upload(srv.base, f, f);
      const d = await getJson(srv.base, `/api/profiles/${p.id}`);
      ids.push({ id: p.id, t_start: d.t_start, t_end: d.t_end });
    }
  });
  after(async () => {
    await srv?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('decodes to exactly the old answer', async () => {
    let spans = 0;
    for (const p of ids) {
      const len = p.t_end - p.t_start;
      const windows = ['', `&t0=${p.t_start + Math.floor(len / 3)}&t1=${p.t_start + Math.floor(len / 3) + Math.floor(len / 50) + 1}`, `&t0=${p.t_start}&t1=${p.t_start + Math.floor(len / 7) + 1}`];
      for (const w of windows) {
        for (const extra of ['&width=1600', '&width=37', '&width=900&threads=0', '&width=1200&state=cpu']) {
          const path = `/api/profiles/${p.id}/timeline?${w}${extra}`;
          const old = await getJson<TimelineAnswer>(srv.base, path + '&enc=json');
          const compact = await getJson<TimelineWire>(srv.base, path); // the default
          assert.equal(compact.enc, 'compact');
          assert.equal(compact.threads.length, old.threads.length, path);
          old.threads.forEach((th, k) => {
            const d = decodeSpans(compact.threads[k].spans, compact.width);
            assert.deepEqual(
              { x0: Array.from(d.x0), x1: Array.from(d.x1), depth: Array.from(d.depth), frame: Array.from(d.frame), weight: Array.from(d.weight) },
              th.spans,
              `${path} thread ${k}`,
            );
            spans += d.x0.length;
          });
          // everything else is the same, and so is the model drawn from it
          const strip = (a: TimelineAnswer | TimelineWire) => ({ ...a, enc: undefined, threads: a.threads.map((t) => ({ ...t, spans: null })) });
          assert.deepEqual(strip(compact), strip(old), path);
          assert.deepEqual(modelFromAnswer(compact), modelFromAnswer(old), path);
        }
      }
    }
    assert.ok(spans > 1000, `only ${spans} spans compared`);
  });
});
