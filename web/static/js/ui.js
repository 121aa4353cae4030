// Shared pieces of the pages: alerts, badges, toasts, empty states.
import { h } from './dom.js';
import { t, has } from './i18n.js';
import { ApiError } from './api.js';

/** errorHeadline is the localized one-line meaning of an error. */
export function errorHeadline(err) {
  if (err instanceof ApiError) {
    const key = `err.${err.code}`;
    return has(key) ? t(key) : t('err.http', { status: err.status });
  }
  return t('err.script');
}

/**
 * errorBox shows an error: the localized headline, the server's message and
 * its details (for imports: one row per line/field/reason).
 */
export function errorBox(err, attrs = {}) {
  const details = err instanceof ApiError ? err.details : [];
  return h('div', { class: 'alert error', role: 'alert', ...attrs },
    h('strong', {}, errorHeadline(err)),
    err && err.message ? h('div', { class: 'alert-msg' }, err.message) : null,
    details && details.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'details' },
      h('thead', {}, h('tr', {}, h('th', {}, t('err.line')), h('th', {}, t('err.field')), h('th', {}, t('err.reason')))),
      h('tbody', {}, details.map((d) => h('tr', { class: 'detail-row', 'data-line': d.line || '' },
        h('td', {}, d.line ? String(d.line) : '—'), h('td', {}, d.field || ''), h('td', {}, d.reason || '')))))) : null);
}

/** notice is an informational or success alert. */
export const notice = (kind, ...children) => h('div', { class: `alert ${kind}` }, ...children);

/** badge shows a status ("open", "drawn", ...) in the page language. */
export function badge(status, prefix = 'status') {
  return h('span', { class: `badge st-${status}` }, has(`${prefix}.${status}`) ? t(`${prefix}.${status}`) : status);
}

/** loading is a placeholder shown while a page loads. */
export const loading = () => h('p', { class: 'loading' }, t('common.loading'));

/** empty is the text of an empty list. */
export const empty = (text) => h('p', { class: 'empty' }, text);

/** card is a titled section. */
export function card(title, ...children) {
  return h('section', { class: 'card' }, title ? h('h2', {}, title) : null, ...children);
}

let toastTimer = 0;
/** toast shows a short message at the bottom of the screen. */
export function toast(text, kind = 'info') {
  const el = document.getElementById('toast');
  if (!el) return;
  el.textContent = text;
  el.className = `show ${kind}`;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.className = ''; }, 2600);
}

/** tabs renders a tab bar; current is the active value. */
export function tabs(items, current, onPick) {
  return h('div', { class: 'tabs', role: 'tablist' }, items.map(([value, label]) =>
    h('button', { type: 'button', role: 'tab', class: value === current ? 'active' : '', 'aria-selected': String(value === current), 'data-tab': value, onclick: () => onPick(value) }, label)));
}
