// Field errors of a form: the details of an invalid_argument answer shown
// under their inputs, in the page's language (see reasons.js).
import { h, replace } from './dom.js';
import { t } from './i18n.js';
import { ApiError } from './api.js';
import { errorBox, notice } from './ui.js';
import { reasonText } from './reasons.js';

/** clearFieldErrors removes the field errors shown in form. */
export function clearFieldErrors(form) {
  for (const el of form.querySelectorAll('.field-error')) el.remove();
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
}

/**
 * formError shows err for a form: each invalid field's reason under the
 * control that fields maps its name to (an object, or a function of the
 * name), and in slot the headline plus whatever could not be placed.
 */
export function formError(form, slot, err, fields) {
  clearFieldErrors(form);
  const details = err instanceof ApiError && err.code === 'invalid_argument' ? err.details || [] : [];
  if (!details.length || details.some((d) => d.line)) {
    replace(slot, errorBox(err));
    return;
  }
  const rest = [];
  for (const d of details) {
    const control = typeof fields === 'function' ? fields(d.field) : fields[d.field];
    if (!control) {
      rest.push(d);
      continue;
    }
    control.setAttribute('aria-invalid', 'true');
    const holder = control.closest('.field, .prize-row, .segmented') || control.parentElement;
    holder.append(h('small', { class: 'field-error', 'data-field': d.field, role: 'alert' }, reasonText(d)));
  }
  if (rest.length) replace(slot, errorBox(new ApiError(err.status, err.code, '', rest)));
  else replace(slot, notice('error', h('strong', {}, t('err.invalid_argument')), ' ', t('ferr.see')));
  const first = form.querySelector('[aria-invalid]');
  if (first && first.focus) first.focus();
}
