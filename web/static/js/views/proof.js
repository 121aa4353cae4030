// The fairness proof of a drawn lottery, verified in the browser.
import { h, replace, button } from '../dom.js';
import { t } from '../i18n.js';
import { q, seg } from '../api.js';
import { shortID } from '../format.js';
import { verifyProof, ALGORITHM } from '../draw.js';
import { hasSubtle } from '../sha256.js';
import { card, errorBox, notice, person } from '../ui.js';
import { icon } from '../icons.js';

/** proofView loads a lottery's proof and verifies it on request. */
export async function proofView(ctx) {
  const [id] = ctx.params;
  const [lottery, proof, names] = await Promise.all([
    ctx.api.get(`/api/v1/lotteries/${seg(id)}`),
    ctx.api.get(`/api/v1/lotteries/${seg(id)}/proof`),
    winnerNames(ctx.api, id),
  ]);
  if (!ctx.alive()) return;
  const f = lottery.fairness || {};
  renderVerifier(ctx, {
    title: t('proof.title', { title: lottery.title }),
    back: `#/lottery/${seg(id)}`,
    json: JSON.stringify(proof, null, 2),
    commitment: { lottery_id: lottery.id, seed_hash: f.seed_hash, entries_hash: f.entries_hash },
    names,
  });
}

/**
 * winnerNames maps the user ids of a lottery's winners to their nicknames
 * (the proof itself holds ids only: they are what the draw hashes).
 */
async function winnerNames(api, id) {
  const names = new Map();
  let cursor = '';
  do {
    const page = await api.get(`/api/v1/lotteries/${seg(id)}/winners${q({ cursor })}`);
    for (const w of page.items) if (w.nickname) names.set(w.user_id, w.nickname);
    cursor = page.next_cursor;
  } while (cursor);
  return names;
}

/** verifyView verifies any proof pasted by the reader. */
export async function verifyView(ctx) {
  renderVerifier(ctx, { title: t('proof.anyTitle'), back: '#/', json: '', commitment: null, names: new Map() });
}

function renderVerifier(ctx, { title, back, json, commitment, names }) {
  const text = h('textarea', { id: 'proof-json', rows: 14, spellcheck: 'false', class: 'mono' }, json);
  const out = h('div', { id: 'proof-result', 'aria-live': 'polite' });
  const verify = async () => {
    let proof;
    try {
      proof = JSON.parse(text.value);
    } catch (err) {
      replace(out, resultBox({ ok: false, steps: [{ key: 'json', ok: false, info: { reason: err.message } }] }));
      return;
    }
    try {
      const res = await verifyProof(proof, commitment);
      replace(out, resultBox(res, proof, names));
    } catch (err) {
      replace(out, errorBox(err));
    }
  };
  replace(ctx.view,
    h('div', { class: 'page-head' }, h('a', { class: 'back', href: back }, '‹ ', t('common.back')), h('h1', {}, title)),
    card(t('proof.how'),
      h('p', {}, t('proof.explain', { algorithm: ALGORITHM })),
      h('ol', { class: 'steps-explain' }, [1, 2, 3, 4].map((i) => h('li', {}, t(`proof.step${i}`)))),
      commitment ? h('p', { class: 'muted' }, t('proof.commitment')) : null,
      hasSubtle() ? null : notice('info', t('proof.noSubtle'))),
    card(t('proof.json'), text,
      h('div', { class: 'actions' }, button([icon('shield'), t('proof.verify')], verify, { class: 'primary', id: 'proof-verify' }))),
    out);
}

function stepText(s, who) {
  const i = s.info || {};
  if (s.ok) return t(`verify.${s.key}.ok`, i);
  return t(`verify.${s.key}.fail`, {
    ...i,
    // People count from 1: "Winner 1" is the first row of the table.
    index: typeof i.index === 'number' ? i.index + 1 : i.index,
    first: typeof i.first === 'number' ? i.first + 1 : i.first,
    entry: typeof i.entry === 'string' ? who(i.entry) : i.entry,
    got_user: who(i.got_user), want_user: who(i.want_user),
    got: i.got === undefined ? '' : String(i.got), want: i.want === undefined ? '' : String(i.want),
  });
}

function resultBox(res, proof, names = new Map()) {
  const who = (id) => names.get(id) || shortID(id);
  return h('section', { class: `card verdict ${res.ok ? 'pass' : 'fail'}`, 'data-ok': String(res.ok), id: 'proof-verdict' },
    h('h2', {}, icon(res.ok ? 'check' : 'cross'), ' ', t(res.ok ? 'proof.pass' : 'proof.fail')),
    h('ol', { class: 'checks' }, res.steps.map((s) => h('li', { class: s.ok ? 'ok' : 'bad', 'data-step': s.key }, s.ok ? '✓ ' : '✗ ', stepText(s, who)))),
    res.recomputed && res.recomputed.length ? h('details', { open: res.ok ? null : true },
      h('summary', {}, t('proof.recomputed', { n: res.recomputed.length })),
      h('div', { class: 'table-wrap' }, h('table', { id: 'proof-recomputed' },
        h('thead', {}, h('tr', {}, h('th', {}, '#'), h('th', {}, t('proof.user')), h('th', {}, t('proof.prize')), h('th', {}, t('proof.inProof')))),
        h('tbody', {}, res.recomputed.map((w, i) => {
          const p = (proof && proof.winners && proof.winners[i]) || {};
          const same = p.user_id === w.user_id && p.prize === w.prize;
          return h('tr', { class: same ? '' : 'bad', 'data-user': w.user_id, 'data-prize': w.prize },
            h('td', {}, String(i + 1)), person(names.get(w.user_id), w.user_id, 'td'), h('td', {}, w.prize),
            h('td', {}, same ? '✓' : `✗ ${p.user_id ? who(p.user_id) : '—'} / ${p.prize || '—'}`));
        }))))) : null);
}
