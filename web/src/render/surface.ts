/*
 * surface.ts — a canvas that fills its container at the device's pixel
 * ratio, and redraws at most once per animation frame however many
 * changes ask for it. Renderers draw in CSS pixels (the context is scaled).
 */

export class Surface {
  readonly canvas: HTMLCanvasElement;
  readonly ctx: CanvasRenderingContext2D;
  width = 0; // CSS px
  height = 0;
  dpr = 1;
  private pending = 0;
  private observer: ResizeObserver;
  /** Time the last draw took, in ms (read by benchmarks). */
  lastDrawMs = 0;
  draws = 0;

  constructor(
    private host: HTMLElement,
    private draw: (s: Surface) => void,
    private fixedHeight?: () => number,
  ) {
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'surface';
    const ctx = this.canvas.getContext('2d', { alpha: false });
    if (!ctx) throw new Error('this browser gives no 2D canvas context');
    this.ctx = ctx;
    host.appendChild(this.canvas);
    this.observer = new ResizeObserver(() => this.request());
    this.observer.observe(host);
  }

  /** Ask for a redraw on the next animation frame (coalesced). */
  request(): void {
    if (this.pending) return;
    this.pending = requestAnimationFrame(() => {
      this.pending = 0;
      this.paint();
    });
  }

  /** Draw now (tests and the first paint use it). */
  paint(): void {
    const t = performance.now();
    this.fit();
    this.ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    this.draw(this);
    this.lastDrawMs = performance.now() - t;
    this.draws++;
    this.canvas.dataset.draws = String(this.draws);
    this.canvas.dataset.drawMs = this.lastDrawMs.toFixed(2);
  }

  private fit(): void {
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, this.host.clientWidth);
    const h = Math.max(1, this.fixedHeight ? this.fixedHeight() : this.host.clientHeight);
    if (w !== this.width || h !== this.height || dpr !== this.dpr) {
      this.width = w;
      this.height = h;
      this.dpr = dpr;
      this.canvas.width = Math.round(w * dpr);
      this.canvas.height = Math.round(h * dpr);
      this.canvas.style.width = w + 'px';
      this.canvas.style.height = h + 'px';
    }
  }

  destroy(): void {
    if (this.pending) cancelAnimationFrame(this.pending);
    this.observer.disconnect();
    this.canvas.remove();
  }
}

/**
 * Label fitting for one font without a measureText per label: a string's
 * width is the sum of its characters' advances, each measured once (the
 * first time the character is seen). Kerning is ignored, so a sum can be
 * off by a fraction of a pixel; fit() keeps a 1 px margin for it. This
 * keeps zooming cheap: every zoom step shows labels cut at new lengths,
 * and measuring each of those strings cost whole frames.
 */
export class TextFitter {
  private ascii = new Float32Array(128).fill(-1);
  private other = new Map<number, number>();
  private ellipsis: number;
  private minW: number;
  constructor(
    private ctx: CanvasRenderingContext2D,
    readonly font: string,
  ) {
    ctx.font = font;
    this.ellipsis = ctx.measureText('…').width;
    this.minW = this.ellipsis + 2 * (ctx.measureText('abcdefghijklmnopqrstuvwxyz').width / 26);
  }
  private charWidth(code: number): number {
    if (code < 128) {
      let w = this.ascii[code];
      if (w < 0) w = this.ascii[code] = this.measure(code);
      return w;
    }
    let w = this.other.get(code);
    if (w === undefined) {
      w = this.measure(code);
      this.other.set(code, w);
    }
    return w;
  }
  private measure(code: number): number {
    this.ctx.font = this.font;
    return this.ctx.measureText(String.fromCharCode(code)).width;
  }
  width(s: string): number {
    let w = 0;
    for (let i = 0; i < s.length; i++) w += this.charWidth(s.charCodeAt(i));
    return w;
  }
  /** s, or its start with "…", fitting in maxW px; "" when not even 2 chars fit. */
  fit(s: string, maxW: number): string {
    if (maxW < this.minW) return '';
    const room = maxW - 1;
    let w = 0;
    let cut = -1; // longest prefix that fits with the ellipsis
    for (let i = 0; i < s.length; i++) {
      w += this.charWidth(s.charCodeAt(i));
      if (w + this.ellipsis <= room) cut = i + 1;
      else if (w > room) break;
    }
    if (w <= room) return s;
    if (cut > 0 && (s.charCodeAt(cut - 1) & 0xfc00) === 0xd800) cut--; // never split a surrogate pair
    return cut > 1 ? s.slice(0, cut) + '…' : '';
  }
}
