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

/** A warm flame-graph colour picked by a hash (hue 0–60, varied lightness). */
export function warmColor(h: number): string {
  const hue = h % 55;
  const sat = 70 + ((h >>> 8) % 25);
  const light = 55 + ((h >>> 16) % 15);
  return `hsl(${hue},${sat}%,${light}%)`;
}

/** A cooler palette for module/package modes, so they read as groups. */
export function groupColor(h: number): string {
  const hue = (h % 360);
  const sat = 45 + ((h >>> 9) % 25);
  const light = 62 + ((h >>> 17) % 12);
  return `hsl(${hue},${sat}%,${light}%)`;
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

/** The greyed-out version of any box. */
export function greyOf(): string {
  return 'hsl(0,0%,86%)';
}
