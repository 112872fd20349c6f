/*
 * pieview.ts — the callee pie (a sunburst) of the selected function: its
 * total as the full circle, ring 1 its callees and its own self time (the
 * hatched grey slice), outer rings their callees. With nothing selected
 * the centre is the whole profile. Clicking a slice selects that function
 * (everywhere) and descends into it; clicking the centre goes back up to
 * the previous selection (browser history). Shares come from the tree
 * with view focus = the function, so they are exact for sampled
 * profiles and approximate for pstats (as the trees are).
 */
import { api, errorText, isAbort } from '../api';
import { h, messageBox } from '../dom';
import { frameColor, greyOf } from '../lib/colors';
import { makeMatcher } from '../lib/filter';
import { frameInfo } from '../lib/flame';
import { formatPercent, formatWeight } from '../lib/format';
import { arcAt, Arc, SELF_ARC, sunburstArcs } from '../lib/sunburst';
import { ROOT_FRAME, TreeAnswer } from '../lib/types';
import { apiParams, dataKey, ViewState } from '../lib/viewstate';
import { Surface, TextFitter } from '../render/surface';
import { ProfileContext, ProfileView } from './context';

const MAX_RINGS = 7;

export class PieView implements ProfileView {
  readonly el = h('div.view.pie-view', { 'data-testid': 'pie' });
  private title = h('div.pie-title', { 'data-testid': 'pie-title' });
  private host = h('div.canvas-host.pie-host', { 'data-testid': 'pie-canvas-host' });
  private surface: Surface;
  private fitter: TextFitter | null = null;
  private key: string | null = null;
  private abort: AbortController | null = null;
  private answer: TreeAnswer | null = null;
  private center = 0;
  private arcs: Arc[] = [];
  private geo = { cx: 0, cy: 0, r0: 0, dr: 0 };
  private state: ViewState;

  constructor(private ctx: ProfileContext) {
    this.state = ctx.store.state;
    this.el.append(this.title, this.host);
    this.surface = new Surface(this.host, (s) => this.paint(s));
    this.host.addEventListener('click', (ev) => this.onClick(ev));
    this.host.addEventListener('mousemove', (ev) => this.onMove(ev));
    this.host.addEventListener('mouseleave', () => ctx.tooltip.hide());
  }

  update(state: ViewState): void {
    this.state = state;
    const key = dataKey(state) + '|' + state.sel;
    if (key !== this.key) {
      this.key = key;
      void this.load(state);
    } else this.surface.request();
  }

  private async load(state: ViewState): Promise<void> {
    this.abort?.abort();
    const ac = new AbortController();
    this.abort = ac;
    const p = apiParams(state);
    if (state.sel !== null) p.set('focus', String(state.sel));
    p.set('max_nodes', '4000');
    p.set('width', '3000');
    this.el.dataset.state = 'loading';
    try {
      const pstats = !this.ctx.profile.has_stacks && state.sel !== null;
      const a = pstats ? await this.fromButterfly(state, ac.signal) : await api.tree(this.ctx.id, p, ac.signal);
      if (ac.signal.aborted) return;
      this.ctx.learnFrames(a.frames);
      this.answer = a;
      // Focused on F, the tree is rooted at F (node 1); unfocused, the centre is the root.
      this.center = !pstats && state.sel !== null && a.nodes.frame.length > 1 && a.nodes.frame[1] === state.sel ? 1 : 0;
      this.arcs = sunburstArcs(a, this.center, MAX_RINGS);
      this.renderTitle();
      this.surface.paint();
      this.el.dataset.state = 'ready';
      this.host.dataset.arcs = String(this.arcs.length);
      this.host.dataset.readyAt = performance.now().toFixed(1);
    } catch (e) {
      if (isAbort(e)) return;
      this.el.dataset.state = 'error';
      this.title.replaceChildren(messageBox('error', 'Could not load the callee pie', errorText(e)));
    }
  }

  /**
   * pstats has no stacks, so a focused tree is not available; its caller
   * edges are exact, so the pie of a pstats function is one ring built from
   * the butterfly: the callees' times through the edge, and the self time.
   */
  private async fromButterfly(state: ViewState, signal: AbortSignal): Promise<TreeAnswer> {
    const p = apiParams(state);
    p.set('frame', String(state.sel));
    const b = await api.butterfly(this.ctx.id, p, signal);
    const frame = [b.frame];
    const parent = [-1];
    const self = [b.self];
    const total = [b.total];
    const order = b.callees.frame.map((_, i) => i).sort((x, y) => b.callees.weight[y] - b.callees.weight[x]);
    for (const i of order) {
      if (b.callees.frame[i] === b.frame) continue; // recursion: already inside its total
      frame.push(b.callees.frame[i]);
      parent.push(0);
      self.push(0);
      total.push(b.callees.weight[i]);
    }
    const n = frame.length;
    return {
      total: b.total,
      samples: 0,
      approximate: false,
      nodes: { frame, parent, depth: parent.map((x) => (x < 0 ? 0 : 1)), self, total, folded: new Array(n).fill(0) },
      frames: b.frames,
    };
  }

  private renderTitle(): void {
    const a = this.answer!;
    const f = a.nodes.frame[this.center];
    const name = f === ROOT_FRAME ? 'the whole profile' : frameInfo(a.frames, f)[0];
    const unit = this.ctx.profile.weight_unit;
    const rate = this.ctx.profile.rate_hz;
    this.title.replaceChildren(
      h('strong', { 'data-testid': 'pie-center' }, name),
      ` — total ${formatWeight(a.nodes.total[this.center], unit, rate)}, self ${formatWeight(a.nodes.self[this.center], unit, rate)} (${formatPercent(a.nodes.self[this.center], a.nodes.total[this.center])}). `,
      h('span.hint', null, this.state.sel === null ? 'Select a function (click a slice) to see how its time splits among its callees.' : 'Click a slice to descend; click the centre to go back.'),
      a.approximate ? h('span.badge.warn', null, 'approximate: pstats has no stacks') : '',
    );
  }

  private paint(s: Surface): void {
    const ctx = s.ctx;
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, s.width, s.height);
    const a = this.answer;
    if (!a) return;
    this.fitter ??= new TextFitter(ctx, '11px system-ui, sans-serif');
    const rings = Math.max(1, Math.min(MAX_RINGS, this.arcs.reduce((m, x) => Math.max(m, x.ring), 1)));
    const R = Math.max(40, Math.min(s.width, s.height) / 2 - 8);
    const r0 = Math.max(24, R * 0.16);
    const dr = (R - r0) / rings;
    const cx = s.width / 2;
    const cy = s.height / 2;
    this.geo = { cx, cy, r0, dr };
    const m = makeMatcher(this.state.q, this.state.regex);
    const whole = a.nodes.total[this.center];
    // The centre.
    ctx.beginPath();
    ctx.arc(cx, cy, r0 - 1, 0, 2 * Math.PI);
    ctx.fillStyle = '#f1efe9';
    ctx.fill();
    ctx.font = this.fitter.font;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.fillStyle = '#222';
    const cf = a.nodes.frame[this.center];
    ctx.fillText(this.fitter.fit(cf === ROOT_FRAME ? 'all' : frameInfo(a.frames, cf)[0], 2 * r0 - 8) || '•', cx, cy);
    for (const arc of this.arcs) {
      const inner = r0 + (arc.ring - 1) * dr;
      const outer = inner + dr - 1;
      const b0 = arc.a0 - Math.PI / 2;
      const b1 = arc.a1 - Math.PI / 2;
      ctx.beginPath();
      ctx.arc(cx, cy, outer, b0, b1);
      ctx.arc(cx, cy, inner, b1, b0, true);
      ctx.closePath();
      let fill: string;
      if (arc.frame === SELF_ARC) fill = 'hsl(40,8%,72%)';
      else {
        const info = frameInfo(a.frames, arc.frame, a.nodes.folded[arc.node]);
        fill = m.active && !m.test(info) ? greyOf() : frameColor(this.state.color, info, whole > 0 ? a.nodes.self[arc.node] / whole : 0);
      }
      ctx.fillStyle = fill;
      ctx.fill();
      ctx.strokeStyle = '#fff';
      ctx.lineWidth = 1;
      ctx.stroke();
      if (arc.frame !== SELF_ARC && arc.frame === this.state.sel) {
        ctx.strokeStyle = '#1b4fd8';
        ctx.lineWidth = 2;
        ctx.stroke();
      }
      // A label along the middle of the arc when it has room.
      const mid = (b0 + b1) / 2;
      const rm = (inner + outer) / 2;
      const room = Math.min((arc.a1 - arc.a0) * rm, dr * 1.6);
      if ((arc.a1 - arc.a0) * rm > 14 && dr > 14) {
        const name = arc.frame === SELF_ARC ? 'self' : frameInfo(a.frames, arc.frame, a.nodes.folded[arc.node])[0];
        const text = this.fitter.fit(`${name} ${formatPercent(arc.value, whole)}`, Math.max(dr - 6, room * 0.9));
        if (text) {
          ctx.save();
          ctx.translate(cx + Math.cos(mid) * rm, cy + Math.sin(mid) * rm);
          let rot = mid;
          if (Math.cos(mid) < 0) rot += Math.PI;
          ctx.rotate(rot);
          ctx.fillStyle = '#111';
          ctx.fillText(text, 0, 0);
          ctx.restore();
        }
      }
    }
    ctx.textAlign = 'left';
  }

  private at(ev: MouseEvent): { center: boolean; arc: number } {
    const b = this.host.getBoundingClientRect();
    const x = ev.clientX - b.left - this.geo.cx;
    const y = ev.clientY - b.top - this.geo.cy;
    const r = Math.hypot(x, y);
    if (r < this.geo.r0) return { center: true, arc: -1 };
    let ang = Math.atan2(y, x) + Math.PI / 2;
    if (ang < 0) ang += 2 * Math.PI;
    const ring = 1 + Math.floor((r - this.geo.r0) / this.geo.dr);
    return { center: false, arc: arcAt(this.arcs, ang, ring) };
  }

  private onClick(ev: MouseEvent): void {
    const hit = this.at(ev);
    if (hit.center) {
      if (this.state.sel !== null) history.back();
      return;
    }
    const arc = this.arcs[hit.arc];
    if (!arc || arc.frame < 0) return;
    this.ctx.store.set({ sel: arc.frame });
  }

  private onMove(ev: MouseEvent): void {
    const hit = this.at(ev);
    const arc = this.arcs[hit.arc];
    const a = this.answer;
    if (!arc || !a) return this.ctx.tooltip.hide();
    const whole = a.nodes.total[this.center];
    const unit = this.ctx.profile.weight_unit;
    const rate = this.ctx.profile.rate_hz;
    const name = arc.frame === SELF_ARC ? `self time of ${frameInfo(a.frames, a.nodes.frame[this.center])[0]}` : frameInfo(a.frames, arc.frame, a.nodes.folded[arc.node])[0];
    this.ctx.tooltip.show(ev.clientX, ev.clientY, arc, () => [h('div.tt-name', null, name), h('div', null, `${formatWeight(arc.value, unit, rate)} · ${formatPercent(arc.value, whole)} of the centre`)]);
  }

  shown(): void {
    this.surface.request();
  }

  destroy(): void {
    this.abort?.abort();
    this.surface.destroy();
  }
}
