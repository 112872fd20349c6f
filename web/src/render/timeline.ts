/*
 * render/timeline.ts — draws the timeline model for a viewport: the time
 * axis, each thread's name, state lanes (on-CPU, GIL, idle), GC and
 * marker lanes, and its time-ordered flame chart; the selected range is
 * drawn as a band (outside it shaded). It only draws; colours and the
 * greyed-out test come from the caller.
 */
import { formatDuration } from '../lib/format';
import { BlockLayout, firstSpanAfter, TimelineModel, TL } from '../lib/timeline';
import { niceTicks, Span } from '../lib/zoom';
import { TextFitter } from './surface';

export interface TimelineDrawInput {
  model: TimelineModel;
  blocks: BlockLayout;
  viewport: Span;
  origin: number; // profile start: axis labels are relative to it
  scrollY: number;
  color: (frame: number) => string;
  dimmed: (thread: number, span: number) => boolean;
  label: (frame: number) => string;
  hover: { thread: number; span: number } | null;
  range: Span | null;
  selecting: Span | null;
}

const LANE_COLORS = { cpu: '#2e9d4f', gil: '#7b52c7', idle: '#c8c8c8', gc: '#d9480f', marker: '#1c7ed6' };

export function drawTimeline(ctx: CanvasRenderingContext2D, width: number, height: number, input: TimelineDrawInput, fitter: TextFitter): number {
  const { model, blocks, viewport: v } = input;
  const scale = width / (v.b - v.a);
  const X = (t: number) => (t - v.a) * scale;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, width, height);
  ctx.font = fitter.font;
  ctx.textBaseline = 'middle';
  let drawn = 0;

  for (let k = 0; k < model.threads.length; k++) {
    const th = model.threads[k];
    const top = blocks.top[k] - input.scrollY;
    if (top > height || top + blocks.height[k] < TL.axis) continue;
    ctx.fillStyle = '#f3f4f7';
    ctx.fillRect(0, top, width, TL.name);
    ctx.fillStyle = '#222';
    ctx.fillText(`${th.name} (thread ${th.index})`, 4, top + TL.name / 2);
    let y = top + TL.name;
    for (const [lane, flat] of [['cpu', th.cpu], ['gil', th.gil], ['idle', th.idle]] as const) {
      ctx.fillStyle = LANE_COLORS[lane];
      for (let i = 0; i < flat.length; i += 2) {
        const x0 = X(flat[i]);
        const x1 = X(flat[i + 1]);
        if (x1 < 0 || x0 > width) continue;
        ctx.fillRect(x0, y, Math.max(x1 - x0, 1), TL.lane - 1);
      }
      y += TL.lane;
    }
    ctx.fillStyle = LANE_COLORS.gc;
    for (let i = 0; i < th.gc.length; i += 3) {
      const x0 = X(th.gc[i]);
      const x1 = X(th.gc[i + 1]);
      if (x1 < 0 || x0 > width) continue;
      ctx.fillRect(x0, y + 1, Math.max(x1 - x0, 2), TL.gc - 2);
    }
    y += TL.gc;
    ctx.fillStyle = LANE_COLORS.marker;
    for (const mk of th.markers) {
      const x = X(mk.t);
      if (x < -4 || x > width + 4) continue;
      ctx.beginPath();
      ctx.moveTo(x, y + 1);
      ctx.lineTo(x + 4, y + TL.marker - 1);
      ctx.lineTo(x - 4, y + TL.marker - 1);
      ctx.fill();
    }
    const spansTop = blocks.spansTop[k] - input.scrollY;
    for (let d = 0; d <= th.maxDepth; d++) {
      const sy = spansTop + d * TL.row;
      if (sy > height || sy + TL.row < TL.axis) continue;
      const row = th.rows[d];
      let lastPx = -1;
      let lastFill = '';
      // Runs of spans under 2 px merge into one rect (its first span's
      // colour): at that scale stripes say nothing, and 100,000 rects cost
      // more than a frame.
      let runX0 = 0;
      let runX1 = -1;
      let runFill = '';
      const flush = () => {
        if (runX1 < 0) return;
        if (runFill !== lastFill) {
          ctx.fillStyle = runFill;
          lastFill = runFill;
        }
        ctx.fillRect(runX0, sy, Math.max(runX1 - runX0, 0.8), TL.row - 1);
        drawn++;
        runX1 = -1;
      };
      // Only the spans in view: binary search for the first, stop past the right edge.
      for (let j = firstSpanAfter(th, row, v.a); j < row.length; j++) {
        const i = row[j];
        const x0 = X(th.t0[i]);
        if (x0 > width) break;
        const x1 = X(th.t1[i]);
        if (x1 - x0 < 1 && Math.floor(x1) <= lastPx) continue;
        const dim = input.dimmed(k, i);
        const fill = dim ? '#e4e4e4' : input.color(th.frame[i]);
        if (x1 - x0 < 2) {
          if (runX1 >= 0 && x0 - runX1 < 1) runX1 = x1;
          else {
            flush();
            runX0 = x0;
            runX1 = x1;
            runFill = fill;
          }
          lastPx = Math.floor(x1);
          continue;
        }
        flush();
        const w = Math.max(x1 - x0 - (x1 - x0 > 3 ? 1 : 0), 0.8);
        if (fill !== lastFill) {
          ctx.fillStyle = fill;
          lastFill = fill;
        }
        ctx.fillRect(x0, sy, w, TL.row - 1);
        lastPx = Math.floor(x0 + w);
        drawn++;
        if (w > 24) {
          const px0 = Math.max(x0, 0);
          const label = fitter.fit(input.label(th.frame[i]), Math.min(x1, width) - px0 - 6);
          if (label) {
            ctx.fillStyle = dim ? '#999' : '#111';
            ctx.fillText(label, px0 + 3, sy + TL.row / 2);
            lastFill = '';
          }
        }
        if (input.hover && input.hover.thread === k && input.hover.span === i) {
          ctx.strokeStyle = '#000';
          ctx.lineWidth = 1;
          ctx.strokeRect(x0 + 0.5, sy + 0.5, Math.max(w - 1, 1), TL.row - 2);
        }
      }
      flush();
    }
  }

  const band = (r: Span, fill: string) => {
    const x0 = Math.max(0, X(r.a));
    const x1 = Math.min(width, X(r.b));
    ctx.fillStyle = fill;
    if (x0 > 0) ctx.fillRect(0, TL.axis, x0, height);
    if (x1 < width) ctx.fillRect(x1, TL.axis, width - x1, height);
  };
  if (input.range) band(input.range, 'rgba(40,50,70,0.18)');
  if (input.selecting) {
    const x0 = X(input.selecting.a);
    const x1 = X(input.selecting.b);
    ctx.fillStyle = 'rgba(27,79,216,0.15)';
    ctx.fillRect(x0, 0, x1 - x0, height);
    ctx.fillStyle = '#1b4fd8';
    ctx.fillText(formatDuration(input.selecting.b - input.selecting.a), x0 + 4, TL.axis + 10);
  }
  drawAxis(ctx, width, input, X);
  return drawn;
}

function drawAxis(ctx: CanvasRenderingContext2D, width: number, input: TimelineDrawInput, X: (t: number) => number) {
  const v = input.viewport;
  ctx.fillStyle = '#fafafa';
  ctx.fillRect(0, 0, width, TL.axis);
  ctx.strokeStyle = '#ccc';
  ctx.beginPath();
  ctx.moveTo(0, TL.axis - 0.5);
  ctx.lineTo(width, TL.axis - 0.5);
  ctx.stroke();
  const { ticks } = niceTicks(v.a - input.origin, v.b - input.origin, Math.max(2, Math.floor(width / 110)));
  ctx.fillStyle = '#444';
  for (const t of ticks) {
    const x = X(t + input.origin);
    ctx.fillRect(x, TL.axis - 6, 1, 6);
    ctx.fillText(formatDuration(t), x + 3, TL.axis / 2 - 1);
  }
  if (input.range) {
    ctx.fillStyle = '#1b4fd8';
    const x0 = X(input.range.a);
    const x1 = X(input.range.b);
    ctx.fillRect(Math.max(0, x0), TL.axis - 3, Math.max(2, Math.min(width, x1) - Math.max(0, x0)), 3);
  }
}
