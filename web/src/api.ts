/*
 * api.ts — the server's HTTP API (docs/api.md) as typed functions. Every
 * failure becomes an ApiError whose message says what went wrong: the
 * server's own {"error": ...} text with the status, or why the server
 * could not be reached. Requests for a view can be cancelled (AbortSignal)
 * when the view state changes under them.
 */
import type {
  ButterflyAnswer,
  CallGraphAnswer,
  DiffAnswer,
  TreemapAnswer,
  FunctionsAnswer,
  ProfileDetail,
  ProfileSummary,
  SavedView,
  SourceAnswer,
  TreeAnswer,
} from './lib/types';
import type { TimelineWire } from './lib/timeline';

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** A token from ?token= on the page, sent with every request when present. */
function token(): string | null {
  return new URLSearchParams(location.search).get('token') ?? sessionStorage.getItem('spyglass-token');
}

async function request<T>(method: string, url: string, body?: BodyInit, signal?: AbortSignal): Promise<T> {
  const headers: Record<string, string> = {};
  const t = token();
  if (t) headers['Authorization'] = `Bearer ${t}`;
  if (typeof body === 'string') headers['Content-Type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(url, { method, body, headers, signal });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError(`could not reach the spyglass server (${(e as Error).message})`, 0);
  }
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    if (res.ok) throw new ApiError(`the server's answer to ${method} ${url} is not JSON`, res.status);
  }
  if (!res.ok) {
    const msg = json && typeof json === 'object' && 'error' in json ? String((json as { error: unknown }).error) : text.slice(0, 200) || res.statusText;
    throw new ApiError(`${msg} (HTTP ${res.status})`, res.status);
  }
  return json as T;
}

const get = <T>(url: string, signal?: AbortSignal) => request<T>('GET', url, undefined, signal);
const enc = encodeURIComponent;
const withParams = (base: string, p: URLSearchParams) => {
  const q = p.toString();
  return q ? `${base}?${q}` : base;
};

export const api = {
  profiles(q: { q?: string; tag?: string; sort?: string; order?: string }) {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (v) p.set(k, v);
    return get<{ profiles: ProfileSummary[] }>(withParams('/api/profiles', p));
  },
  profile: (id: string) => get<ProfileDetail>(`/api/profiles/${enc(id)}`),
  upload(file: Blob, name: string, tags: string[]) {
    const p = new URLSearchParams({ name });
    if (tags.length) p.set('tags', tags.join(','));
    return request<ProfileSummary>('POST', withParams('/api/profiles', p), file);
  },
  patchProfile: (id: string, patch: { name?: string; tags?: string[] }) =>
    request<ProfileSummary>('PATCH', `/api/profiles/${enc(id)}`, JSON.stringify(patch)),
  deleteProfile: (id: string) => request<{ deleted: string }>('DELETE', `/api/profiles/${enc(id)}`),
  tree: (id: string, p: URLSearchParams, signal?: AbortSignal) => get<TreeAnswer>(withParams(`/api/profiles/${enc(id)}/tree`, p), signal),
  /** The timeline in its compact form (~4x fewer bytes and numbers to
   * write and parse on every pan); lib/timeline.ts decodes either form. */
  timeline(id: string, p: URLSearchParams, signal?: AbortSignal) {
    const q = new URLSearchParams(p);
    q.set('enc', 'compact');
    return get<TimelineWire>(withParams(`/api/profiles/${enc(id)}/timeline`, q), signal);
  },
  /** The function table; T widens the answer for the optional parts (`unfiltered`, `mark=1`). */
  functions: <T extends FunctionsAnswer = FunctionsAnswer>(id: string, p: URLSearchParams, signal?: AbortSignal) =>
    get<T>(withParams(`/api/profiles/${enc(id)}/functions`, p), signal),
  butterfly: (id: string, p: URLSearchParams, signal?: AbortSignal) =>
    get<ButterflyAnswer>(withParams(`/api/profiles/${enc(id)}/butterfly`, p), signal),
  source: (id: string, p: URLSearchParams, signal?: AbortSignal) =>
    get<SourceAnswer>(withParams(`/api/profiles/${enc(id)}/source`, p), signal),
  callgraph: (id: string, p: URLSearchParams, signal?: AbortSignal) =>
    get<CallGraphAnswer>(withParams(`/api/profiles/${enc(id)}/callgraph`, p), signal),
  treemap: (id: string, p: URLSearchParams, signal?: AbortSignal) =>
    get<TreemapAnswer>(withParams(`/api/profiles/${enc(id)}/treemap`, p), signal),
  diff: (p: URLSearchParams, signal?: AbortSignal) => get<DiffAnswer>(withParams('/api/diff', p), signal),
  views: (profile: string) => get<{ views: SavedView[] }>(`/api/views?profile=${enc(profile)}`),
  view: (id: string) => get<SavedView>(`/api/views/${enc(id)}`),
  saveView: (v: { profile: string; state: string; tags: string[]; note: string }) =>
    request<SavedView>('POST', '/api/views', JSON.stringify(v)),
  deleteView: (id: string) => request<{ deleted: string }>('DELETE', `/api/views/${enc(id)}`),
};

/** A message for anything a view's load may throw. */
export function errorText(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}

export function isAbort(e: unknown): boolean {
  return e instanceof Error && e.name === 'AbortError';
}
