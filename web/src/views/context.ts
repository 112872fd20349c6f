/*
 * context.ts — what every view of a profile page shares: the profile, the
 * one view-state store, the tooltip, and the names of every frame seen in
 * any answer (answers only name the frames they mention, so names are
 * merged here for breadcrumbs and the selection bar).
 */
import type { Store } from '../store';
import type { FrameDict, FrameInfo, ProfileDetail } from '../lib/types';
import { frameInfo } from '../lib/flame';
import type { Tooltip } from './tooltip';
import type { ViewState } from '../lib/viewstate';

export interface ProfileContext {
  id: string;
  profile: ProfileDetail;
  store: Store;
  tooltip: Tooltip;
  frames: FrameDict;
  /** Called by views when an answer names frames, so the shell can relabel. */
  learnFrames(frames: FrameDict): void;
}

export function infoOf(ctx: ProfileContext, frame: number): FrameInfo {
  return frameInfo(ctx.frames, frame);
}

/** A view of the profile page: built once, told of every state change. */
export interface ProfileView {
  readonly el: HTMLElement;
  update(state: ViewState, prev: ViewState | null): void;
  /** Called after the view's element is shown (sizes are known). */
  shown?(): void;
  destroy(): void;
}
