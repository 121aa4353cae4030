// Formatting of money (fen) and times for the pages.
import { lang } from './i18n.js';

/** money renders fen as ¥12.34 (negative: -¥12.34; sign: +¥ for credits). */
export function money(fen, { sign = false } = {}) {
  const n = Number(fen) || 0;
  const abs = Math.abs(n);
  const s = `¥${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
  if (n < 0) return `-${s}`;
  return sign && n > 0 ? `+${s}` : s;
}

/**
 * parseYuan reads a yuan amount typed by a person ("12", "12.3", "12.34",
 * "¥12.34") into integer fen without floating point. NaN when malformed.
 */
export function parseYuan(text) {
  const m = /^\s*¥?\s*(\d{1,9})(?:\.(\d{1,2}))?\s*$/.exec(String(text));
  if (!m) return NaN;
  return Number(m[1]) * 100 + Number((m[2] || '').padEnd(2, '0'));
}

/** yuanInput renders fen for an input box ("12.34"). */
export function yuanInput(fen) {
  return money(fen).slice(1);
}

/** dateTime renders an RFC 3339 time in the reader's time zone. */
export function dateTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return new Intl.DateTimeFormat(lang() === 'zh' ? 'zh-CN' : 'en-GB', {
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
  }).format(d);
}

/** duration renders milliseconds as "2d 03:04:05", "03:04:05" or "04:05". */
export function duration(ms) {
  let s = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const hh = Math.floor(s / 3600);
  s -= hh * 3600;
  const mm = Math.floor(s / 60);
  const ss = s - mm * 60;
  const p = (n) => String(n).padStart(2, '0');
  const clock = hh > 0 || d > 0 ? `${p(hh)}:${p(mm)}:${p(ss)}` : `${p(mm)}:${p(ss)}`;
  return d > 0 ? `${d}${lang() === 'zh' ? '天' : 'd'} ${clock}` : clock;
}

/** shortID shortens an opaque id for display. */
export function shortID(id) {
  return id && id.length > 10 ? `${id.slice(0, 6)}…${id.slice(-4)}` : id || '';
}

/** localInput renders a Date for an <input type=datetime-local> (local time). */
export function localInput(d) {
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}
