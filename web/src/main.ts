/*
 * main.ts — the viewer's entry: routes on the path (/ the profile list,
 * /p/{id} a profile page, /v/{id} a saved view, which is opened by
 * rewriting the URL to its profile page and state) and shows any error as
 * a message, never a blank page.
 */
import { api, errorText } from './api';
import { h, messageBox } from './dom';
import { ListPage } from './views/listpage';
import { openProfile, ProfilePage } from './views/profilepage';

const root = document.getElementById('app') ?? document.body;
let current: { destroy(): void } | null = null;

function showFatal(title: string, detail: string): void {
  const bar = h('div.fatal', { role: 'alert' }, messageBox('error', title, detail), h('button', { onclick: () => bar.remove() }, 'Dismiss'));
  document.body.prepend(bar);
}

window.addEventListener('error', (ev) => showFatal('The viewer hit an error', `${ev.message} (${ev.filename?.split('/').pop()}:${ev.lineno})`));
window.addEventListener('unhandledrejection', (ev) => showFatal('The viewer hit an error', errorText(ev.reason)));

async function route(): Promise<void> {
  current?.destroy();
  current = null;
  const token = new URLSearchParams(location.search).get('token');
  if (token) sessionStorage.setItem('spyglass-token', token);
  const path = location.pathname;
  let m: RegExpMatchArray | null;
  if (path === '/' || path === '/index.html') {
    const page = new ListPage();
    root.replaceChildren(page.el);
    current = page;
    document.title = 'spyglass — profiles';
  } else if ((m = path.match(/^\/p\/([a-z0-9]+)\/?$/))) {
    const page: ProfilePage | null = await openProfile(root, m[1]);
    current = page;
    if (page) document.title = `spyglass — ${root.querySelector('h1')?.textContent ?? m[1]}`;
    (window as unknown as { spyglass: unknown }).spyglass = page;
  } else if ((m = path.match(/^\/v\/([a-z0-9]+)\/?$/))) {
    root.replaceChildren(h('div.loading', null, 'Opening the saved view…'));
    try {
      const v = await api.view(m[1]);
      history.replaceState(null, '', `/p/${v.profile}${v.state ? '?' + v.state : ''}`);
      await route();
    } catch (e) {
      root.replaceChildren(h('div.page', null, h('header.page-head', null, h('a.home', { href: '/' }, '◀ spyglass')), messageBox('error', `Could not open saved view ${m[1]}`, errorText(e))));
    }
  } else {
    root.replaceChildren(h('div.page', null, h('header.page-head', null, h('a.home', { href: '/' }, '◀ spyglass')), messageBox('error', 'No such page', `Nothing lives at ${path}. Profiles are at /p/{id}, saved views at /v/{id}.`)));
  }
}

void route();
