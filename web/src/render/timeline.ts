/*
 * render/timeline.ts — draws the timeline model for a viewport: the time
 * axis, each thread's name, state lanes (on-CPU, GIL, idle), GC and
 * marker lanes, and its time-ordered flame chart; the selected range is
 * drawn as a band (outside it shaded). It only draws; colours and the
 * greyed-out test come from the caller.
 *
 * Fast at any zoom (a frame well under 16 ms with ~500,000 spans): boxes
 * go into a pixel buffer (render/raster.ts) row by row, one write per
 * pixel, and the buffer is put on the canvas once; per row, a binary
 * search finds the first span in view, and a span that would land on a
 * pixel already painted jumps (by binary search again) to the first span
 * that reaches the next pixel, so a row costs O(pixels × log spans)
 * however many spans it holds. Labels, markers, the hover outline, the
 * range bands and the axis are drawn over it with the 2D context.
 */
import { formatDuration } from '../lib/format';
import { BlockLayout, firstSpanAfter, TimelineModel, TL } from '../lib/timeline';
import { packRgba } from '../lib/colors';
import { niceTicks, Span } from '../lib/zoom';
import { Raster } from './raster';
import { TextFitter } from './surface';

export interface TimelineDrawInput {
  model: TimelineModel;
  blocks: BlockLayout;
  viewport: Span;
  origin: number; // profile start: axis labels are relative to it
  scrollY: number;
  /** Box colour by frame id, packed as packRgba() does (flat tables, not
   * callbacks: the span loop reads them ~100,000 times a frame). */
  colors: Uint32Array;
  /** Per thread, per span: 1 = greyed out (absent: none). */
  dim: (Uint8Array | undefined)[];
  label: (frame: number) => string;
  hover: { thread: number; span: number } | null;
  range: Span | null;
  selecting: Span | null;
}

const LANE_COLORS = { cpu: '#2e9d4f', gil: '#7b52c7', idle: '#c8c8c8', gc: '#d9480f', marker: '#1c7ed6' };
const PACKED = {
  white: packRgba('#fff'),
  nameBar: packRgba('#f3f4f7'),
  dim: packRgba('#e4e4e4'),
  cpu: packRgba(LANE_COLORS.cpu),
  gil: packRgba(LANE_COLORS.gil),
  idle: packRgba(LANE_COLORS.idle),
  gc: packRgba(LANE_COLORS.gc),
};

/** Labels found while rasterizing, drawn after the image is put. */
interface Labels {
  x: number[];
  y: number[];
  text: string[];
  color: string[];
}

export function drawTimeline(
  ctx: CanvasRenderingContext2D,
  width: number,
  height: number,
  dpr: number,
  input: TimelineDrawInput,
  fitter: TextFitter,
  raster: Raster,
): number {
  const { model, blocks, viewport: v } = input;
  const scale = width / (v.b - v.a);
  const X = (t: number) => (t - v.a) * scale;
  raster.begin(width * dpr, height * dpr, PACKED.white);
  const labels: Labels = { x: [], y: [], text: [], color: [] };
  let hoverBox: [number, number, number, number] | null = null;
  let drawn = 0;
  // One CSS px of time, for jumping over spans that share a pixel.
  const pxTime = (v.b - v.a) / width;

  for (let k = 0; k < model.threads.length; k++) {
    const th = model.threads[k];
    const top = blocks.top[k] - input.scrollY;
    if (top > height || top + blocks.height[k] < TL.axis) continue;
    raster.fill(0, top * dpr, width * dpr, (top + TL.name) * dpr, PACKED.nameBar);
    labels.x.push(4);
    labels.y.push(top + TL.name / 2);
    labels.text.push(`${th.name} (thread ${th.index})`);
    labels.color.push('#222');
    let y = top + TL.name;
    for (const [lane, flat] of [['cpu', th.cpu], ['gil', th.gil], ['idle', th.idle]] as const) {
      raster.rowBegin(PACKED.white);
      for (let i = 0; i < flat.length; i += 2) {
        const x0 = X(flat[i]);
        const x1 = X(flat[i + 1]);
        if (x1 < 0 || x0 > width) continue;
        raster.rowBox(x0 * dpr, Math.max(x1, x0 + 1) * dpr, PACKED[lane]);
      }
      raster.rowEnd(y * dpr, (y + TL.lane - 1) * dpr);
      y += TL.lane;
    }
    raster.rowBegin(PACKED.white);
    for (let i = 0; i < th.gc.length; i += 3) {
      const x0 = X(th.gc[i]);
      const x1 = X(th.gc[i + 1]);
      if (x1 < 0 || x0 > width) continue;
      raster.rowBox(x0 * dpr, Math.max(x1, x0 + 2) * dpr, PACKED.gc);
    }
    raster.rowEnd((y + 1) * dpr, (y + TL.gc - 1) * dpr);
    y += TL.gc;
    const spansTop = blocks.spansTop[k] - input.scrollY;
    for (let d = 0; d <= th.maxDepth; d++) {
      const sy = spansTop + d * TL.row;
      if (sy > height || sy + TL.row < TL.axis) continue;
      const row = th.rows[d];
      const dimOf = input.dim[k];
      const colors = input.colors;
      raster.rowBegin(PACKED.white);
      let lastPx = -1; // last CSS px painted in this row
      for (let j = firstSpanAfter(th, row, v.a); j < row.length; j++) {
        const i = row[j];
        const x0 = X(th.t0[i]);
        if (x0 > width) break;
        const x1 = X(th.t1[i]);
        if (x1 - x0 < 1 && Math.floor(x1) <= lastPx) {
          // Under a painted pixel: skip to the first span reaching the next one.
          const next = firstSpanAfter(th, row, v.a + (lastPx + 1) * pxTime) - 1;
          if (next > j) j = next;
          continue;
        }
        const dim = dimOf !== undefined && dimOf[i] === 1;
        const w = x1 - x0;
        // A 1 px gap between boxes wide enough to show it.
        raster.rowBox(x0 * dpr, (w > 3 ? x1 - 1 : x1) * dpr, dim ? PACKED.dim : colors[th.frame[i]] || PACKED.dim);
        lastPx = Math.floor(x1);
        drawn++;
        if (w > 24) {
          const px0 = Math.max(x0, 0);
          const text = fitter.fit(input.label(th.frame[i]), Math.min(x1, width) - px0 - 6);
          if (text) {
            labels.x.push(px0 + 3);
            labels.y.push(sy + TL.row / 2);
            labels.text.push(text);
            labels.color.push(dim ? '#999' : '#111');
          }
        }
        if (input.hover && input.hover.thread === k && input.hover.span === i) hoverBox = [x0, sy, Math.max(w - 1, 1), TL.row - 2];
      }
      raster.rowEnd(sy * dpr, (sy + TL.row - 1) * dpr);
    }
  }
  raster.put(ctx);

  ctx.font = fitter.font;
  ctx.textBaseline = 'middle';
  let fill = '';
  for (let n = 0; n < labels.text.length; n++) {
    const c = labels.color[n];
    if (c !== fill) ctx.fillStyle = fill = c;
    ctx.fillText(labels.text[n], labels.x[n], labels.y[n]);
  }
  drawMarkers(ctx, width, height, input, X);
  if (hoverBox) {
    ctx.strokeStyle = '#000';
    ctx.lineWidth = 1;
    ctx.strokeRect(hoverBox[0] + 0.5, hoverBox[1] + 0.5, hoverBox[2], hoverBox[3]);
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

/** Marker triangles of every visible thread, as one path (one fill). */
function drawMarkers(ctx: CanvasRenderingContext2D, width: number, height: number, input: TimelineDrawInput, X: (t: number) => number) {
  const { model, blocks } = input;
  ctx.beginPath();
  for (let k = 0; k < model.threads.length; k++) {
    const top = blocks.top[k] - input.scrollY;
    if (top > height || top + blocks.height[k] < TL.axis) continue;
    const y = top + TL.name + 3 * TL.lane + TL.gc;
    let lastX = -Infinity;
    for (const mk of model.threads[k].markers) {
      const x = X(mk.t);
      if (x < -4 || x > width + 4 || x - lastX < 1) continue;
      lastX = x;
      ctx.moveTo(x, y + 1);
      ctx.lineTo(x + 4, y + TL.marker - 1);
      ctx.lineTo(x - 4, y + TL.marker - 1);
      ctx.closePath();
    }
  }
  ctx.fillStyle = LANE_COLORS.marker;
  ctx.fill();
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
