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

/** Text width cache for one font: labels are measured once. */
export class TextFitter {
  private widths = new Map<string, number>();
  private charW: number;
  constructor(
    private ctx: CanvasRenderingContext2D,
    readonly font: string,
  ) {
    ctx.font = font;
    this.charW = ctx.measureText('abcdefghijklmnopqrstuvwxyz').width / 26;
  }
  width(s: string): number {
    let w = this.widths.get(s);
    if (w === undefined) {
      w = this.ctx.measureText(s).width;
      if (this.widths.size > 20000) this.widths.clear();
      this.widths.set(s, w);
    }
    return w;
  }
  /** s, or its start with "…", fitting in maxW px; "" when not even 2 chars fit. */
  fit(s: string, maxW: number): string {
    if (maxW < this.charW * 2) return '';
    if (s.length * this.charW * 0.6 <= maxW && this.width(s) <= maxW) return s;
    let n = Math.min(s.length - 1, Math.floor(maxW / this.charW));
    while (n > 1 && this.width(s.slice(0, n) + '…') > maxW) n--;
    return n > 1 ? s.slice(0, n) + '…' : '';
  }
}
