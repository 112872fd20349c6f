/*
 * colors.ts — colour modes for boxes: by function (one function, one
 * colour, in every view and every page load), by module (file) or package,
 * or by frequency (the function's share of self time, as heat). Pure; a
 * colour is a CSS string. Dimmed ("greyed out") boxes use greyOf().
 */
import { FrameInfo } from './types';
import type { ColorMode } from './viewstate';

/** FNV-1a, 32 bits: stable across sessions, so a colour never changes. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

type Hsl = [number, number, number]; // hue in degrees, saturation and lightness in %

const hslText = (c: Hsl) => `hsl(${c[0]},${c[1]}%,${c[2]}%)`;

function warmHsl(h: number): Hsl {
  return [h % 55, 70 + ((h >>> 8) % 25), 55 + ((h >>> 16) % 15)];
}

function groupHsl(h: number): Hsl {
  return [h % 360, 45 + ((h >>> 9) % 25), 62 + ((h >>> 17) % 12)];
}

/** A warm flame-graph colour picked by a hash (hue 0–60, varied lightness). */
export function warmColor(h: number): string {
  return hslText(warmHsl(h));
}

/** A cooler palette for module/package modes, so they read as groups. */
export function groupColor(h: number): string {
  return hslText(groupHsl(h));
}

/** Heat for a share in [0, 1], on a log scale from 1e-4 to 1: blue → yellow → red. */
export function heatColor(share: number): string {
  const t = share <= 1e-4 ? 0 : share >= 1 ? 1 : (Math.log10(share) + 4) / 4;
  const hue = 220 - 220 * t;
  return `hsl(${hue.toFixed(0)},75%,${(60 - 8 * t).toFixed(0)}%)`;
}

export const OTHER_COLOR = 'hsl(0,0%,78%)';
export const ROOT_COLOR = 'hsl(30,10%,70%)';

/** The colour of a frame under a mode; `share` is used by 'frequency'. */
export function frameColor(mode: ColorMode, info: FrameInfo, share = 0): string {
  switch (mode) {
    case 'function':
      return warmColor(hashString(info[0] + '\0' + info[1]));
    case 'module':
      return groupColor(hashString(info[1]));
    case 'package':
      return groupColor(hashString(info[3] || info[1]));
    case 'frequency':
      return heatColor(share);
  }
}

/**
 * frameColor() packed as packRgba() does, without a CSS string in
 * between (the timeline asks it for thousands of frames while zooming).
 */
export function frameRgba(mode: Exclude<ColorMode, 'frequency'>, info: FrameInfo): number {
  const c = mode === 'function' ? warmHsl(hashString(info[0] + '\0' + info[1])) : groupHsl(hashString(mode === 'module' ? info[1] : info[3] || info[1]));
  const rgb = hslToRgb(c[0], c[1] / 100, c[2] / 100);
  return ((255 << 24) | (rgb[2] << 16) | (rgb[1] << 8) | rgb[0]) >>> 0;
}

/** The greyed-out version of any box. */
export function greyOf(): string {
  return 'hsl(0,0%,86%)';
}

/**
 * A CSS colour of the forms this module and the renderers write (#rgb,
 * #rrggbb, rgb(r,g,b), hsl(h,s%,l%)) as the four bytes R, G, B, 255 of an
 * ImageData pixel read as one little-endian Uint32 (the byte order of
 * every browser's platform), for the pixel-buffer renderer. A colour it
 * cannot read becomes mid grey, never an exception.
 */
export function packRgba(css: string): number {
  const rgb = parseCss(css.trim()) ?? [128, 128, 128];
  return ((255 << 24) | (rgb[2] << 16) | (rgb[1] << 8) | rgb[0]) >>> 0;
}

function parseCss(s: string): [number, number, number] | null {
  let m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(s);
  if (m) {
    const x = m[1].length === 3 ? m[1].replace(/./g, (c) => c + c) : m[1];
    const n = parseInt(x, 16);
    return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  }
  m = /^rgba?\(\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*([\d.]+)\s*(?:,\s*[\d.]+\s*)?\)$/i.exec(s);
  if (m) return [byte(Number(m[1])), byte(Number(m[2])), byte(Number(m[3]))];
  m = /^hsla?\(\s*(-?[\d.]+)\s*,\s*([\d.]+)%\s*,\s*([\d.]+)%\s*(?:,\s*[\d.]+\s*)?\)$/i.exec(s);
  if (m) return hslToRgb(Number(m[1]), Number(m[2]) / 100, Number(m[3]) / 100);
  return null;
}

function byte(x: number): number {
  return Math.max(0, Math.min(255, Math.round(x)));
}

/** CSS Color 4's hsl → sRGB, bytes. */
function hslToRgb(h: number, s: number, l: number): [number, number, number] {
  h = ((h % 360) + 360) % 360;
  s = Math.max(0, Math.min(1, s));
  l = Math.max(0, Math.min(1, l));
  const f = (n: number) => {
    const k = (n + h / 30) % 12;
    const a = s * Math.min(l, 1 - l);
    return l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
  };
  return [byte(f(0) * 255), byte(f(8) * 255), byte(f(4) * 255)];
}
