/*
 * savedviews.ts — saving the current view on the server under a short
 * link (with tags and a note), and the list of a profile's saved views.
 */
import { api, errorText } from '../api';
import { h, messageBox } from '../dom';
import { formatDate } from '../lib/format';
import type { SavedView } from '../lib/types';
import type { ViewState } from '../lib/viewstate';
import { ProfileContext, ProfileView } from './context';

/** The "save view" form: returns the element; calls done(view) on success. */
export function saveViewForm(ctx: ProfileContext, done: (v: SavedView) => void): HTMLElement {
  const tags = h('input', { type: 'text', placeholder: 'tags, comma separated', 'aria-label': 'Tags', name: 'tags' });
  const note = h('input', { type: 'text', placeholder: 'note', 'aria-label': 'Note', name: 'note' });
  const status = h('div.save-status', { role: 'status' });
  const form = h(
    'form.save-form',
    {
      onsubmit: async (ev: Event) => {
        ev.preventDefault();
        status.replaceChildren('Saving…');
        try {
          const v = await api.saveView({
            profile: ctx.id,
            state: ctx.store.query(),
            tags: tags.value.split(',').map((t) => t.trim()).filter(Boolean),
            note: note.value,
          });
          const url = `${location.origin}/v/${v.id}`;
          status.replaceChildren('Saved: ', h('a.saved-link', { href: `/v/${v.id}`, 'data-view-id': v.id }, url), ' ', h('button', { type: 'button', onclick: () => void navigator.clipboard?.writeText(url) }, 'Copy'));
          done(v);
        } catch (e) {
          status.replaceChildren(messageBox('error', 'Could not save the view', errorText(e)));
        }
      },
    },
    tags,
    note,
    h('button', { type: 'submit' }, 'Save'),
    status,
  );
  setTimeout(() => tags.focus(), 0);
  return form;
}

export class SavedViewsView implements ProfileView {
  readonly el = h('div.view.saved-views', { 'data-testid': 'saved-views' });
  private loaded = false;

  constructor(private ctx: ProfileContext) {}

  update(_state: ViewState, _prev: ViewState | null): void {
    if (!this.loaded) void this.reload();
  }

  shown(): void {
    void this.reload();
  }

  async reload(): Promise<void> {
    this.loaded = true;
    this.el.dataset.state = 'loading';
    try {
      const { views } = await api.views(this.ctx.id);
      this.el.replaceChildren(
        h('h3', null, 'Saved views of this profile'),
        views.length === 0
          ? messageBox('info', 'No saved views yet', 'Use “Save view” (or press s) to keep the current view under a short link.')
          : h(
              'table.views-table',
              null,
              h('thead', null, h('tr', null, h('th', null, 'Link'), h('th', null, 'Tags'), h('th', null, 'Note'), h('th', null, 'Saved'), h('th', null, 'State'), h('th', null, ''))),
              h('tbody', null, ...views.map((v) => this.row(v))),
            ),
      );
      this.el.dataset.state = 'ready';
      this.el.dataset.count = String(views.length);
    } catch (e) {
      this.el.dataset.state = 'error';
      this.el.replaceChildren(messageBox('error', 'Could not list the saved views', errorText(e)));
    }
  }

  private row(v: SavedView): HTMLElement {
    return h(
      'tr',
      { 'data-view-id': v.id },
      h('td', null, h('a', { href: `/v/${v.id}` }, `/v/${v.id}`)),
      h('td', null, ...v.tags.map((t) => h('span.tag', null, t))),
      h('td', null, v.note),
      h('td', null, formatDate(v.created_at)),
      h('td.state-cell', { title: v.state }, v.state || '(default view)'),
      h(
        'td',
        null,
        h(
          'button.danger',
          {
            onclick: async () => {
              try {
                await api.deleteView(v.id);
                void this.reload();
              } catch (e) {
                this.el.prepend(messageBox('error', 'Could not delete the view', errorText(e)));
              }
            },
          },
          'Delete',
        ),
      ),
    );
  }

  destroy(): void {}
}
