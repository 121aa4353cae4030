// The server words the reasons of its field errors in English, for API
// clients; reasonText maps the ones a person can meet in these pages to
// localized texts, with amounts in yuan.
import { t } from './i18n.js';
import { money } from './format.js';

const n = Number;
const RULES = [
  [/^must be (\d+)\.\.(\d+) fen$/, (m) => t('ferr.amountRange', { min: money(m[1]), max: money(m[2]) })],
  [/^× count must be at most (\d+) fen$/, (m) => t('ferr.amountMax', { max: money(m[1]) })],
  [/^must be at least 1 fen per share \((\d+)\)$/, (m) => t('ferr.perShare', { count: n(m[1]), min: money(m[1]) })],
  [/^must be absent or amount_each × count \((\d+)\)$/, (m) => t('ferr.amountMatch', { total: money(m[1]) })],
  [/^must be (\d+)\.\.(\d+) characters$/, (m) => t('ferr.length', { min: n(m[1]), max: n(m[2]) })],
  [/^must be at most (\d+) characters$/, (m) => t('ferr.maxLength', { max: n(m[1]) })],
  [/^must be (\d+)\.\.(\d+) digits$/, (m) => t('ferr.digits', { min: n(m[1]), max: n(m[2]) })],
  [/^must be (\d+)\.\.(\d+)(?: for a count lottery)?$/, (m) => t('ferr.range', { min: n(m[1]), max: n(m[2]) })],
  [/bidirectional control/, () => t('ferr.bidi')],
  [/control characters/, () => t('ferr.control')],
  [/visible characters/, () => t('ferr.invisible')],
  [/valid UTF-8|surrogate/, () => t('ferr.utf8')],
  [/^is required|^missing /, () => t('ferr.required')],
  [/^no such user$/, () => t('ferr.noUser')],
  [/^must not be yourself$/, () => t('ferr.notYourself')],
  [/is already the name of prizes\[(\d+)\]/, (m) => t('ferr.dupPrize', { n: n(m[1]) + 1 })],
  [/^must be later than now/, () => t('ferr.drawAtSoon')],
  [/^must be within a year/, () => t('ferr.drawAtFar')],
  [/malformed phone|not a (mainland )?phone/i, () => t('ferr.phone')],
  [/refused by the content safety check/, () => t('ferr.unsafe')],
];

/** reasonText is the localized text of one field error ({field, reason}). */
export function reasonText(d) {
  const reason = String((d && d.reason) || '');
  for (const [re, fn] of RULES) {
    const m = re.exec(reason);
    if (m) return fn(m);
  }
  return t('ferr.other', { reason });
}
