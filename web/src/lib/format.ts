/*
 * format.ts — numbers as people read them: durations, counts, shares,
 * weights in the profile's unit, dates. Pure; every function returns a
 * short string and never throws (NaN and negatives are shown, not hidden).
 */

const NS_UNITS: [number, string][] = [
  [3600e9, 'h'],
  [60e9, 'min'],
  [1e9, 's'],
  [1e6, 'ms'],
  [1e3, 'µs'],
];

/** A duration in nanoseconds: "1.23 s", "45.6 ms", "789 µs", "12 ns". */
export function formatDuration(ns: number): string {
  if (!Number.isFinite(ns)) return String(ns);
  const a = Math.abs(ns);
  for (const [scale, unit] of NS_UNITS) {
    if (a >= scale) return `${significant(ns / scale)} ${unit}`;
  }
  return `${Math.round(ns)} ns`;
}

/** Three significant digits, no exponent: 1.23, 45.6, 789, 1234. */
export function significant(x: number): string {
  const a = Math.abs(x);
  if (a >= 100) return Math.round(x).toString();
  if (a >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

/** A count with thousands separators: 1234567 → "1,234,567". */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const s = Math.round(Math.abs(n)).toString();
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (i > 0 && (s.length - i) % 3 === 0) out += ',';
    out += s[i];
  }
  return n < 0 ? '-' + out : out;
}

/** A compact count: 950, 12.3k, 4.56M, 7.89G. */
export function formatCompact(n: number): string {
  const a = Math.abs(n);
  if (a >= 1e9) return significant(n / 1e9) + 'G';
  if (a >= 1e6) return significant(n / 1e6) + 'M';
  if (a >= 1e4) return significant(n / 1e3) + 'k';
  return formatCount(n);
}

/** A share of a whole: 0.1234 → "12.3%"; small shares keep two digits. */
export function formatPercent(part: number, whole: number): string {
  if (!(whole > 0)) return '–';
  const p = (100 * part) / whole;
  if (p === 0) return '0%';
  if (Math.abs(p) >= 10) return p.toFixed(1) + '%';
  if (Math.abs(p) >= 0.01) return p.toFixed(2) + '%';
  return '<0.01%';
}

/**
 * A weight in the profile's unit: samples (a count, with the duration it
 * stands for when the rate is known), nanoseconds, or calls.
 */
export function formatWeight(w: number, unit: string, rateHz = 0): string {
  if (unit === 'ns') return formatDuration(w);
  if (unit === 'calls') return formatCount(w) + ' calls';
  const s = formatCount(w) + (w === 1 ? ' sample' : ' samples');
  return rateHz > 0 ? `${s} (${formatDuration((w / rateHz) * 1e9)})` : s;
}

/** A weight in a table cell: compact, unit-aware, no words. */
export function formatWeightCell(w: number, unit: string): string {
  if (unit === 'ns') return formatDuration(w);
  return formatCount(w);
}

/** Unix seconds → "2024-05-01 13:45" in local time. */
export function formatDate(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  if (Number.isNaN(d.getTime())) return '–';
  const p = (x: number) => String(x).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** A file path shortened from the left to at most `max` characters. */
export function shortenPath(path: string, max = 48): string {
  if (path.length <= max) return path;
  return '…' + path.slice(path.length - max + 1);
}
