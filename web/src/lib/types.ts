/*
 * types.ts — the shapes of the server's answers (docs/api.md), as the
 * viewer reads them. Columnar answers stay columnar: objects of
 * equal-length arrays, never arrays of objects, so a 200,000-row answer is
 * a handful of arrays. Nothing here has behaviour.
 */

/** A frame as answers name it: [qualname, file, first_line, package]. */
export type FrameInfo = [string, string, number, string];
/** The `frames` dictionary of an answer: frame id (as a string key) → info. */
export type FrameDict = Record<string, FrameInfo>;

export interface ProfileSummary {
  id: string;
  name: string;
  uploaded_at: number;
  host?: string;
  command?: string;
  python?: string;
  format: string;
  duration_ns: number;
  samples: number;
  tags: string[];
  has_stacks: boolean;
  live: boolean;
}

export interface ThreadInfo {
  index: number;
  tid: number;
  name: string;
  samples: number;
}

export interface ProfileDetail extends ProfileSummary {
  t_start: number;
  t_end: number;
  rate_hz: number;
  mode: string;
  weight_unit: 'samples' | 'ns' | 'calls' | string;
  total_weight: number;
  threads: ThreadInfo[];
  files: { file: string; has_source: boolean }[];
  events: number;
}

export interface TreeAnswer {
  total: number;
  samples: number;
  approximate: boolean;
  nodes: {
    frame: number[];
    parent: number[];
    depth: number[];
    self: number[];
    total: number[];
    folded: number[];
  };
  frames: FrameDict;
}

export interface SpanColumns {
  x0: number[];
  x1: number[];
  depth: number[];
  frame: number[];
  weight: number[];
}

export interface TimelineThread {
  index: number;
  name: string;
  spans: SpanColumns;
  states: { cpu: [number, number][]; gil: [number, number][]; idle: [number, number][] };
  gc: [number, number, number][];
  markers: [number, number, string][];
}

export interface TimelineAnswer {
  t0: number;
  t1: number;
  width: number;
  threads: TimelineThread[];
  frames: FrameDict;
}

export interface FunctionRows {
  key: string[];
  frame: number[];
  line: number[];
  self: number[];
  total: number[];
  samples: number[];
  calls: number[];
  primitive_calls: number[];
}

export interface FunctionsAnswer {
  total: number;
  count: number;
  rows: FunctionRows;
  frames: FrameDict;
}

export interface EdgeColumns {
  frame: number[];
  weight: number[];
  calls: number[];
}

export interface ButterflyAnswer {
  frame: number;
  self: number;
  total: number;
  callers: EdgeColumns;
  callees: EdgeColumns;
  frames: FrameDict;
}

export interface SourceAnswer {
  file: string;
  text: string | null;
  lines: { line: number[]; self: number[]; total: number[] };
}

export interface SavedView {
  id: string;
  profile: string;
  state: string;
  tags: string[];
  note: string;
  created_at: number;
}

/** Frame ids of the tree's special nodes (docs/api.md). */
export const ROOT_FRAME = -1;
export const OTHER_FRAME = -2;

export interface CallGraphAnswer {
  total: number;
  nodes: { frame: number[]; self: number[]; total: number[]; calls: number[] };
  edges: { caller: number[]; callee: number[]; weight: number[]; calls: number[] };
  dropped_nodes: number;
  dropped_edges: number;
  from_pstats?: boolean;
  frames: FrameDict;
}

export interface TreemapAnswer {
  total: number;
  packages: { name: string; kind: string }[];
  cells: { level: number[]; parent: number[]; package: number[]; file: number[]; frame: number[]; self: number[] };
  files: string[];
  frames: FrameDict;
}

export interface DiffAnswer {
  total: [number, number];
  before: string;
  after: string;
  from_pstats?: boolean;
  function_count?: number;
  functions: {
    key: string[];
    file?: string[];
    self_before: number[];
    self_after: number[];
    total_before: number[];
    total_after: number[];
    delta_frac_self: number[];
    delta_frac_total: number[];
  };
  tree: { parent: number[]; name: string[]; file: string[]; before: number[]; after: number[] };
}
