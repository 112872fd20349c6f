/*
 * render/flame.ts — draws a flame graph (root at the bottom) or an icicle
 * (root at the top) from a FlameLayout. It only draws: the layout, colours
 * and greyed-out mask come from the logic modules.
 *
 * Fast on any tree: per row, a binary search finds the first visible box;
 * boxes narrower than a pixel that would land on an already-painted pixel
 * are skipped (the row's last painted x is kept); labels only on boxes
 * wider than 24 px, through a width cache.
 */
import { FlameLayout, firstVisible, nodeLabel } from '../lib/flame';
import { Span } from '../lib/zoom';
import { TextFitter } from './surface';

export const ROW_H = 18;
export const LABEL_FONT = '12px system-ui, -apple-system, "Segoe UI", sans-serif';

export interface FlameDrawInput {
  layout: FlameLayout;
  viewport: Span; // visible x range, in layout fractions
  colors: string[]; // per node
  dim: Uint8Array; // per node: 1 = greyed out
  icicle: boolean;
  hover: number;
  selected: number; // node index or -1
  topRows: number; // rows above the layout's root (ancestors of a zoomed call), drawn by the caller
  scrollRow: number; // first row shown (vertical scroll)
}

/** y of a row's top in CSS px. */
export function rowY(row: number, height: number, input: Pick<FlameDrawInput, 'icicle' | 'topRows' | 'scrollRow'>): number {
  const r = row + input.topRows - input.scrollRow;
  return input.icicle ? r * ROW_H : height - (r + 1) * ROW_H;
}

/** The row under a y position (inverse of rowY). */
export function rowAt(y: number, height: number, input: Pick<FlameDrawInput, 'icicle' | 'topRows' | 'scrollRow'>): number {
  const r = input.icicle ? Math.floor(y / ROW_H) : Math.floor((height - y) / ROW_H);
  return r - input.topRows + input.scrollRow;
}

export function drawFlame(ctx: CanvasRenderingContext2D, width: number, height: number, input: FlameDrawInput, fitter: TextFitter): number {
  const { layout: l, viewport: v, colors, dim } = input;
  const scale = width / (v.b - v.a);
  const GREY = 'hsl(0,0%,88%)';
  let drawn = 0;
  ctx.font = fitter.font;
  ctx.textBaseline = 'middle';
  for (let d = 0; d < l.rows.length; d++) {
    const y = rowY(d, height, input);
    if (y + ROW_H < 0 || y > height) continue;
    const row = l.rows[d];
    let lastPx = -1;
    for (let k = firstVisible(l, row, v.a); k < row.length; k++) {
      const i = row[k];
      const x0 = (l.x[i] - v.a) * scale;
      if (x0 >= width) break;
      const x1 = (l.x[i] + l.w[i] - v.a) * scale;
      if (x1 - x0 < 1 && Math.floor(x1) <= lastPx) continue;
      const px0 = Math.max(x0, -1);
      const px1 = Math.min(x1, width + 1);
      const w = Math.max(px1 - px0 - (px1 - px0 > 3 ? 1 : 0), 0.8);
      ctx.fillStyle = dim[i] ? GREY : colors[i];
      ctx.fillRect(px0, y, w, ROW_H - 1);
      lastPx = Math.floor(px0 + w);
      drawn++;
      if (w > 24) {
        const label = fitter.fit(nodeLabel(l, i), w - 6);
        if (label) {
          ctx.fillStyle = dim[i] ? '#888' : '#111';
          ctx.fillText(label, px0 + 3, y + ROW_H / 2);
        }
      }
    }
  }
  outline(ctx, width, height, input, input.selected, '#1b4fd8', 2);
  outline(ctx, width, height, input, input.hover, '#000', 1);
  return drawn;
}

function outline(ctx: CanvasRenderingContext2D, width: number, height: number, input: FlameDrawInput, i: number, color: string, lw: number) {
  if (i < 0 || i >= input.layout.count) return;
  const l = input.layout;
  const scale = width / (input.viewport.b - input.viewport.a);
  const x0 = Math.max((l.x[i] - input.viewport.a) * scale, 0);
  const x1 = Math.min((l.x[i] + l.w[i] - input.viewport.a) * scale, width);
  if (x1 <= 0 || x0 >= width) return;
  const y = rowY(l.depth[i], height, input);
  ctx.strokeStyle = color;
  ctx.lineWidth = lw;
  ctx.strokeRect(x0 + lw / 2, y + lw / 2, Math.max(x1 - x0 - lw, 1), ROW_H - 1 - lw);
}
