// Shared pieces of the pages: alerts, badges, toasts, empty states.
import { h } from './dom.js';
import { t, has } from './i18n.js';
import { ApiError } from './api.js';
import { reasonText } from './reasons.js';
import { avatar } from './icons.js';
import { shortID } from './format.js';

/** errorHeadline is the localized one-line meaning of an error. */
export function errorHeadline(err) {
  if (err instanceof ApiError) {
    const key = `err.${err.code}`;
    return has(key) ? t(key) : t('err.http', { status: err.status });
  }
  return t('err.script');
}

/**
 * errorBox shows an error: the localized headline, then for field errors
 * of a file import a Line / Field / Reason table, for other field errors a
 * list of field: reason (both localized where reasons.js knows the
 * reason), and otherwise the server's message.
 */
export function errorBox(err, attrs = {}) {
  const details = (err instanceof ApiError && err.details) || [];
  const lines = details.some((d) => d.line);
  return h('div', { class: 'alert error', role: 'alert', ...attrs },
    h('strong', {}, errorHeadline(err)),
    lines ? h('div', { class: 'alert-msg' }, importSummary(err, details)) : null,
    !details.length && err && err.message ? h('div', { class: 'alert-msg' }, err.message) : null,
    lines ? h('div', { class: 'table-wrap' }, h('table', { class: 'details' },
      h('thead', {}, h('tr', {}, h('th', {}, t('err.line')), h('th', {}, t('err.field')), h('th', {}, t('err.reason')))),
      h('tbody', {}, details.map((d) => h('tr', { class: 'detail-row', 'data-line': d.line || '' },
        h('td', {}, d.line ? String(d.line) : '—'), h('td', {}, d.field || ''), h('td', {}, reasonText(d))))))) : null,
    details.length && !lines ? h('ul', { class: 'field-errors' }, details.map((d) =>
      h('li', { class: 'detail-item', 'data-field': d.field || '' }, h('code', {}, d.field || ''), ' ', reasonText(d)))) : null);
}

/** importSummary is the localized one-line summary of a refused import. */
function importSummary(err, details) {
  const bad = new Set(details.map((d) => d.line)).size;
  const m = /(\d+) of (\d+) rows are bad/.exec(err.message || '');
  return m ? t('ferr.rowsBad', { bad: Number(m[1]), rows: Number(m[2]) }) : t('ferr.linesBad', { bad });
}

/**
 * confirmAction asks before an irreversible action, in a modal dialog of
 * the page: it resolves true when the person presses okLabel, false on
 * Cancel or Escape.
 */
export function confirmAction(text, okLabel, { danger = false } = {}) {
  return new Promise((resolve) => {
    const dlg = h('dialog', { class: 'confirm', id: 'confirm-dialog', 'aria-labelledby': 'confirm-title' },
      h('h2', { id: 'confirm-title' }, t('confirm.title')),
      h('p', { id: 'confirm-text' }, text),
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'secondary', id: 'confirm-cancel', onclick: () => dlg.close('cancel') }, t('confirm.cancel')),
        h('button', { type: 'button', class: danger ? 'danger' : 'primary', id: 'confirm-ok', onclick: () => dlg.close('ok') }, okLabel)));
    dlg.addEventListener('close', () => {
      dlg.remove();
      resolve(dlg.returnValue === 'ok');
    });
    document.body.append(dlg);
    dlg.showModal();
  });
}

/**
 * person shows someone where a person is meant: a letter avatar and the
 * nickname (a short id only when there is none), the full id as a tooltip.
 * tag is the element ('span', or 'td' in a table).
 */
export function person(nickname, id, tag = 'span', attrs = {}) {
  const name = nickname || shortID(id);
  return h(tag, { class: 'person', title: id, ...attrs }, avatar(nickname || id), h('span', { class: 'person-name' }, name));
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
