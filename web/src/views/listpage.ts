/*
 * listpage.ts — the profile list: search, tag filter, sort by date /
 * duration / samples / name, upload by drag-and-drop (or a file picker),
 * rename tags, delete. Its own state (q, tag, sort, order) lives in the
 * URL like the profile page's. It refreshes itself when the server's
 * event stream says the list changed.
 */
import { api, errorText } from '../api';
import { h, messageBox } from '../dom';
import { formatCount, formatDate, formatDuration, shortenPath } from '../lib/format';
import type { ProfileSummary } from '../lib/types';

const SORTS = ['date', 'duration', 'samples', 'name'] as const;

export class ListPage {
  readonly el = h('div.page.list-page');
  private status = h('div.status', { role: 'status', 'data-testid': 'upload-status' });
  private body = h('div.list-body');
  private controls = h('div.toolbar');
  private drop = h('div.dropzone', null, 'Drop profile files to upload them');
  private fileInput = h('input', { type: 'file', multiple: true, hidden: true, 'data-testid': 'upload-input' });
  private params: URLSearchParams;
  private events: EventSource | null = null;
  private allTags = new Set<string>();
  private seq = 0;

  constructor() {
    this.params = new URLSearchParams(location.search);
    this.fileInput.addEventListener('change', () => {
      if (this.fileInput.files) void this.upload([...this.fileInput.files]);
      this.fileInput.value = '';
    });
    this.el.append(
      h(
        'header.page-head',
        null,
        h('a.home', { href: '/' }, 'spyglass'),
        h('h1', null, 'Profiles'),
        h('span.spacer'),
        h('button', { onclick: () => this.fileInput.click(), 'data-testid': 'upload-button' }, 'Upload…'),
        this.fileInput,
      ),
      this.controls,
      this.status,
      this.body,
      this.drop,
    );
    this.drop.hidden = true;
    window.addEventListener('dragover', this.onDragOver);
    window.addEventListener('dragleave', this.onDragLeave);
    window.addEventListener('drop', this.onDrop);
    this.renderControls();
    void this.reload();
    try {
      this.events = new EventSource('/api/events');
      this.events.addEventListener('profiles', () => void this.reload());
      this.events.onerror = () => {
        // The list still works without live updates; reconnects are the browser's.
      };
    } catch {
      this.events = null;
    }
  }

  private get(k: string, d = ''): string {
    return this.params.get(k) ?? d;
  }

  private setParam(k: string, v: string): void {
    if (v) this.params.set(k, v);
    else this.params.delete(k);
    const q = this.params.toString();
    history.replaceState(null, '', '/' + (q ? '?' + q : ''));
    this.renderControls();
    void this.reload();
  }

  private renderControls(): void {
    const q = h('input', {
      type: 'search',
      placeholder: 'Search name, command, host',
      value: this.get('q'),
      'aria-label': 'Search',
      'data-testid': 'search',
    });
    let t = 0;
    q.addEventListener('input', () => {
      window.clearTimeout(t);
      t = window.setTimeout(() => this.setParam('q', q.value), 200);
    });
    const sort = this.get('sort', 'date');
    const order = this.get('order', 'desc');
    const tag = this.get('tag');
    this.controls.replaceChildren(
      h('div.group', null, q),
      h(
        'label',
        null,
        'Sort by ',
        h('select', { 'data-testid': 'sort', onchange: (ev: Event) => this.setParam('sort', (ev.target as HTMLSelectElement).value) }, ...SORTS.map((s) => h('option', { value: s, selected: s === sort }, s))),
      ),
      h('button', { onclick: () => this.setParam('order', order === 'desc' ? 'asc' : 'desc'), title: 'Reverse the order' }, order === 'desc' ? '▼ descending' : '▲ ascending'),
      tag ? h('span.chip', null, `tag: ${tag}`, h('button', { onclick: () => this.setParam('tag', ''), 'aria-label': 'Clear the tag filter' }, '✕')) : '',
      this.allTags.size ? h('span.tags', null, 'Tags: ', ...[...this.allTags].sort().map((t) => h('a.tag', { href: '#', onclick: (ev: Event) => { ev.preventDefault(); this.setParam('tag', t); } }, t))) : '',
    );
  }

  async reload(): Promise<void> {
    const seq = ++this.seq;
    try {
      const { profiles } = await api.profiles({ q: this.get('q'), tag: this.get('tag'), sort: this.get('sort', 'date'), order: this.get('order', 'desc') });
      if (seq !== this.seq) return;
      const before = this.allTags.size;
      for (const p of profiles) for (const t of p.tags) this.allTags.add(t);
      if (this.allTags.size !== before) this.renderControls();
      this.render(profiles);
    } catch (e) {
      if (seq !== this.seq) return;
      this.body.replaceChildren(messageBox('error', 'Could not list the profiles', errorText(e)));
    }
  }

  private render(profiles: ProfileSummary[]): void {
    this.body.dataset.count = String(profiles.length);
    if (profiles.length === 0) {
      const filtered = this.get('q') || this.get('tag');
      this.body.replaceChildren(
        messageBox('info', filtered ? 'No profile matches' : 'No profiles yet', filtered ? 'Clear the search or tag filter.' : 'Drop a profile file here (.sgl, pstats, collapsed, speedscope, Chrome trace, pprof), or upload with `curl --data-binary @app.sgl localhost:PORT/api/profiles`.'),
      );
      return;
    }
    this.body.replaceChildren(
      h(
        'table.profiles',
        { 'data-testid': 'profiles' },
        h('thead', null, h('tr', null, ...['Name', 'Tags', 'Uploaded', 'Duration', 'Samples', 'Format', 'Command', ''].map((c) => h('th', null, c)))),
        h('tbody', null, ...profiles.map((p) => this.row(p))),
      ),
    );
  }

  private row(p: ProfileSummary): HTMLElement {
    const tagInput = h('input.tag-input', { type: 'text', placeholder: '+ tag', 'aria-label': `Add a tag to ${p.name}` });
    tagInput.addEventListener('keydown', async (ev) => {
      if (ev.key !== 'Enter' || !tagInput.value.trim()) return;
      await this.patchTags(p, [...p.tags, tagInput.value.trim()]);
    });
    const del = h('button.danger', { 'data-testid': 'delete' }, 'Delete');
    let armed = 0;
    del.addEventListener('click', async () => {
      if (!armed) {
        del.textContent = 'Really delete?';
        armed = window.setTimeout(() => {
          armed = 0;
          del.textContent = 'Delete';
        }, 4000);
        return;
      }
      window.clearTimeout(armed);
      try {
        await api.deleteProfile(p.id);
        this.status.replaceChildren(`Deleted ${p.name}.`);
        void this.reload();
      } catch (e) {
        this.status.replaceChildren(messageBox('error', `Could not delete ${p.name}`, errorText(e)));
      }
    });
    return h(
      'tr',
      { 'data-id': p.id },
      h('td', null, h('a.pname', { href: `/p/${p.id}` }, p.name || p.id), p.live ? h('span.badge', null, 'live') : null),
      h(
        'td.tags',
        null,
        ...p.tags.map((t) =>
          h('span.tag', null, h('a', { href: '#', onclick: (ev: Event) => { ev.preventDefault(); this.setParam('tag', t); } }, t), h('button', { onclick: () => void this.patchTags(p, p.tags.filter((x) => x !== t)), 'aria-label': `Remove tag ${t}` }, '×')),
        ),
        tagInput,
      ),
      h('td', null, formatDate(p.uploaded_at)),
      h('td.num', null, p.has_stacks ? formatDuration(p.duration_ns) : '–'),
      h('td.num', null, formatCount(p.samples)),
      h('td', null, p.format, p.has_stacks ? '' : h('span.badge.warn', { title: 'no call stacks' }, 'no stacks')),
      h('td.cmd', { title: p.command ?? '' }, shortenPath(p.command ?? '', 50)),
      h('td', null, del),
    );
  }

  private async patchTags(p: ProfileSummary, tags: string[]): Promise<void> {
    try {
      await api.patchProfile(p.id, { tags });
      void this.reload();
    } catch (e) {
      this.status.replaceChildren(messageBox('error', `Could not change the tags of ${p.name}`, errorText(e)));
    }
  }

  async upload(files: File[]): Promise<void> {
    for (const f of files) {
      this.status.replaceChildren(`Uploading ${f.name} (${formatCount(Math.round(f.size / 1024))} KiB)…`);
      try {
        const p = await api.upload(f, f.name, []);
        this.status.replaceChildren('Uploaded ', h('a', { href: `/p/${p.id}`, 'data-testid': 'uploaded-link' }, p.name), '.');
      } catch (e) {
        this.status.replaceChildren(messageBox('error', `Could not upload ${f.name}`, errorText(e)));
        return;
      }
    }
    void this.reload();
  }

  private onDragOver = (ev: DragEvent) => {
    if (!ev.dataTransfer?.types.includes('Files')) return;
    ev.preventDefault();
    this.drop.hidden = false;
  };
  private onDragLeave = (ev: DragEvent) => {
    if (ev.relatedTarget === null) this.drop.hidden = true;
  };
  private onDrop = (ev: DragEvent) => {
    ev.preventDefault();
    this.drop.hidden = true;
    const files = ev.dataTransfer ? [...ev.dataTransfer.files] : [];
    if (files.length) void this.upload(files);
  };

  destroy(): void {
    this.events?.close();
    window.removeEventListener('dragover', this.onDragOver);
    window.removeEventListener('dragleave', this.onDragLeave);
    window.removeEventListener('drop', this.onDrop);
  }
}
