/*
 * zoom.ts — viewport maths for zoomable axes (the timeline's time axis,
 * the flame graph's x): zoom around a point, pan, clamp, convert between
 * pixels and positions, pick readable tick marks. Pure.
 *
 * A viewport is [a, b) inside bounds [lo, hi), with b - a >= minSpan
 * (never inverted, never empty). Every function returns a viewport that
 * keeps these invariants whatever its input.
 */

export interface Span {
  a: number;
  b: number;
}

/** Clamps v into [lo, hi) keeping its width when it fits, else the whole bounds. */
export function clampSpan(v: Span, lo: number, hi: number, minSpan: number): Span {
  let width = Math.max(v.b - v.a, Math.min(minSpan, hi - lo));
  if (!(width > 0) || width >= hi - lo) return { a: lo, b: hi };
  let a = v.a;
  if (a < lo) a = lo;
  if (a + width > hi) a = hi - width;
  return { a, b: a + width };
}

/**
 * Zooms by `factor` (< 1 zooms in) around the point at fraction `anchor`
 * (0 = left edge, 1 = right) of the viewport, which stays put on screen.
 */
export function zoomAt(v: Span, anchor: number, factor: number, lo: number, hi: number, minSpan: number): Span {
  const width = v.b - v.a;
  const at = v.a + anchor * width;
  let nw = width * factor;
  nw = Math.max(nw, Math.min(minSpan, hi - lo));
  nw = Math.min(nw, hi - lo);
  return clampSpan({ a: at - anchor * nw, b: at - anchor * nw + nw }, lo, hi, minSpan);
}

/** Pans by `frac` of the viewport's width (positive moves the view right). */
export function pan(v: Span, frac: number, lo: number, hi: number, minSpan: number): Span {
  const d = (v.b - v.a) * frac;
  return clampSpan({ a: v.a + d, b: v.b + d }, lo, hi, minSpan);
}

/** A wheel event's zoom factor: smooth, symmetric (in then out returns). */
export function wheelFactor(deltaY: number, deltaMode: number): number {
  const px = deltaMode === 1 ? deltaY * 16 : deltaMode === 2 ? deltaY * 400 : deltaY;
  return Math.exp(Math.max(-400, Math.min(400, px)) * 0.002);
}

export function toPixel(v: Span, pos: number, width: number): number {
  return ((pos - v.a) / (v.b - v.a)) * width;
}

export function fromPixel(v: Span, px: number, width: number): number {
  return v.a + (px / width) * (v.b - v.a);
}

/** The range between two pixel positions (in any order), clamped to bounds. */
export function rangeFromPixels(v: Span, px0: number, px1: number, width: number, lo: number, hi: number): Span {
  const p = Math.min(px0, px1);
  const q = Math.max(px0, px1);
  const a = Math.max(lo, fromPixel(v, p, width));
  const b = Math.min(hi, fromPixel(v, q, width));
  return { a, b: Math.max(a, b) };
}

/** Tick positions at a 1-2-5 step giving about `count` ticks over [a, b). */
export function niceTicks(a: number, b: number, count: number): { step: number; ticks: number[] } {
  const span = b - a;
  if (!(span > 0) || count < 1) return { step: 0, ticks: [] };
  const raw = span / count;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const norm = raw / mag;
  const step = (norm < 1.5 ? 1 : norm < 3.5 ? 2 : norm < 7.5 ? 5 : 10) * mag;
  const ticks: number[] = [];
  for (let t = Math.ceil(a / step) * step; t < b && ticks.length < 1000; t += step) ticks.push(t);
  return { step, ticks };
}
