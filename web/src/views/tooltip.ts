/*
 * tooltip.ts — one tooltip for the page. show() places it near the
 * pointer with a short summary; if the pointer rests on the same thing
 * for DETAIL_MS, the detail builder adds more (file, line, package,
 * absolute numbers, share of the parent). hide() cancels both.
 */
import { clear, h } from '../dom';

const DETAIL_MS = 600;

export class Tooltip {
  readonly el = h('div.tooltip', { role: 'tooltip' });
  private key: unknown = null;
  private timer = 0;

  constructor() {
    document.body.appendChild(this.el);
    this.el.hidden = true;
  }

  /** `key` identifies what is hovered: the detail timer restarts when it changes. */
  show(x: number, y: number, key: unknown, summary: () => (Node | null)[], detail?: () => (Node | null)[]): void {
    if (key !== this.key) {
      this.key = key;
      window.clearTimeout(this.timer);
      clear(this.el);
      this.el.append(...summary().filter((n): n is Node => n !== null));
      this.el.classList.remove('detailed');
      if (detail) {
        this.timer = window.setTimeout(() => {
          this.el.append(h('div.tt-detail', null, ...detail()));
          this.el.classList.add('detailed');
          this.place(this.lastX, this.lastY);
        }, DETAIL_MS);
      }
    }
    this.el.hidden = false;
    this.place(x, y);
  }

  private lastX = 0;
  private lastY = 0;
  private place(x: number, y: number): void {
    this.lastX = x;
    this.lastY = y;
    const r = this.el.getBoundingClientRect();
    let left = x + 14;
    let top = y + 16;
    if (left + r.width > window.innerWidth - 4) left = Math.max(4, x - r.width - 10);
    if (top + r.height > window.innerHeight - 4) top = Math.max(4, y - r.height - 10);
    this.el.style.left = left + 'px';
    this.el.style.top = top + 'px';
  }

  hide(): void {
    window.clearTimeout(this.timer);
    this.key = null;
    this.el.hidden = true;
  }

  destroy(): void {
    this.hide();
    this.el.remove();
  }
}
