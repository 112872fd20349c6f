/*
 * render/raster.ts — a pixel buffer for canvases that draw tens of
 * thousands of axis-aligned boxes (the timeline): boxes are written into
 * one ImageData in device pixels and put on the canvas in one call,
 * because a fillRect per box (with a fillStyle change per colour) costs
 * more than a frame in software-rendered browsers once boxes number in
 * the tens of thousands. Text and the few translucent overlays are drawn
 * with the 2D context afterwards, over the put image.
 *
 * Rows of boxes that share a y and a height (a flame-chart row, a state
 * lane) are composed on one scanline of the canvas's width and copied
 * down: the cost is one write per pixel, never one call per box.
 *
 * Invariants: every pixel written is opaque (alpha 255), so the image
 * matches an `alpha: false` context; coordinates are clipped to the
 * buffer, so no write leaves it; colours are packed as ImageData's bytes
 * read as one little-endian Uint32 (see packRgba in lib/colors).
 */

export class Raster {
  width = 0; // device px
  height = 0;
  private bytes = new Uint8ClampedArray(0);
  private image: ImageData | null = null; // made by put(), over `bytes`
  private pixels = new Uint32Array(0);
  /** One scanline being composed (rowBegin … rowEnd). */
  private scan = new Uint32Array(0);
  private scanBg = 0;

  /** Sizes the buffer to the canvas (device px) and clears it to `bg`. */
  begin(width: number, height: number, bg: number): void {
    width = Math.max(1, Math.round(width));
    height = Math.max(1, Math.round(height));
    if (width !== this.width || height !== this.height || this.bytes.length === 0) {
      this.width = width;
      this.height = height;
      this.bytes = new Uint8ClampedArray(width * height * 4);
      this.image = null;
      this.pixels = new Uint32Array(this.bytes.buffer);
      this.scan = new Uint32Array(width);
    }
    this.pixels.fill(bg);
  }

  /** The packed colour at device pixel (x, y) (tests read it). */
  pixel(x: number, y: number): number {
    return this.pixels[y * this.width + x];
  }

  /** A filled box [x0, x1) × [y0, y1) in device px (clipped). */
  fill(x0: number, y0: number, x1: number, y1: number, color: number): void {
    const W = this.width;
    const a = clamp(Math.round(x0), 0, W);
    const b = clamp(Math.round(x1), 0, W);
    const top = clamp(Math.round(y0), 0, this.height);
    const bottom = clamp(Math.round(y1), 0, this.height);
    if (b <= a) return;
    for (let y = top; y < bottom; y++) this.pixels.fill(color, y * W + a, y * W + b);
  }

  /** Starts composing a row of boxes on a background colour. */
  rowBegin(bg: number): void {
    this.scanBg = bg;
    this.scan.fill(bg);
  }

  /**
   * A box [x0, x1) of the row being composed, device px. Boxes narrower
   * than a pixel still take the pixel they start in, so nothing vanishes.
   */
  rowBox(x0: number, x1: number, color: number): void {
    const W = this.width;
    let a = Math.floor(x0);
    let b = Math.round(x1);
    if (b <= a) b = a + 1;
    if (a < 0) a = 0;
    if (b > W) b = W;
    if (b <= a) return;
    if (b - a === 1) this.scan[a] = color;
    else this.scan.fill(color, a, b);
  }

  /** Copies the composed row onto device rows [y0, y1) (clipped). */
  rowEnd(y0: number, y1: number): void {
    const W = this.width;
    const top = clamp(Math.round(y0), 0, this.height);
    const bottom = clamp(Math.round(y1), 0, this.height);
    for (let y = top; y < bottom; y++) this.pixels.set(this.scan, y * W);
    this.scan.fill(this.scanBg);
  }

  /** Puts the buffer on the canvas (device px; the context's transform is ignored). */
  put(ctx: CanvasRenderingContext2D): void {
    if (this.bytes.length === 0) return;
    // ImageData over our bytes shares them (no copy), so make it once per size.
    this.image ??= new ImageData(this.bytes, this.width, this.height);
    ctx.putImageData(this.image, 0, 0);
  }
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}
