// Login (demo users through the fake WeChat) and the home page.
import { h, replace, field, button, copyText } from '../dom.js';
import { t } from '../i18n.js';
import * as session from '../session.js';
import { ApiError } from '../api.js';
import { money } from '../format.js';
import { card, errorBox, toast, notice } from '../ui.js';
import { formError } from '../fielderrors.js';
import { icon, avatar } from '../icons.js';

/** DEMO_USERS are the demo personas offered on the login page. */
const DEMO_USERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'];

/** loginView lets a person pick or type a demo user; done() runs after login. */
export async function loginView(ctx, done) {
  const status = h('div', { class: 'status-slot' });
  const login = async (openid) => {
    openid = openid.trim();
    if (!openid) return;
    try {
      await session.demoLogin(openid);
      done();
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) replace(status, notice('error', t('login.noDemo')));
      else replace(status, errorBox(err));
    }
  };
  const input = h('input', { id: 'login-openid', autocomplete: 'off', placeholder: 'openid', maxlength: 64 });
  const form = h('form', { class: 'inline-form', onsubmit: (e) => { e.preventDefault(); login(input.value); } },
    field(t('login.type'), input), h('button', { type: 'submit', id: 'login-submit', class: 'primary' }, t('login.go')));
  replace(ctx.view,
    h('section', { class: 'card hero' },
      h('h1', {}, t('login.title')),
      h('p', {}, location.hash && location.hash !== '#/' ? t('login.continue') : t('login.intro')),
      h('div', { class: 'persona-grid' }, DEMO_USERS.map((name) =>
        button([h('span', { class: 'persona-icon', 'aria-hidden': 'true' }, avatar(name)), h('span', {}, name)], () => login(name),
          { class: 'persona', id: `login-as-${name}` }))),
      form, status,
      h('p', { class: 'hint' }, t('login.tabs'))));
}

/** homeView greets the user and links to everything. */
export async function homeView(ctx) {
  const s = ctx.session;
  const [me, wallet, inbox] = await Promise.all([
    ctx.api.get('/api/v1/me'),
    ctx.api.get('/api/v1/wallet').catch(() => null),
    ctx.api.get('/api/v1/me/inbox').catch(() => ({ items: [] })),
  ]);
  if (!ctx.alive()) return;
  const unread = (inbox.items || []).filter((i) => !i.read).length;
  const nick = h('input', { id: 'nickname', value: me.nickname, maxlength: 32 });
  const save = async () => {
    try {
      const u = await ctx.api.patch('/api/v1/me', { nickname: nick.value.trim() });
      session.save({ ...s, user: { ...s.user, nickname: u.nickname } });
      toast(t('common.saved'), 'ok');
      ctx.rerender();
    } catch (err) {
      formError(nickForm, nickStatus, err, { nickname: nick });
    }
  };
  const nickStatus = h('div', { class: 'status-slot', id: 'nickname-status' });
  const nickForm = h('form', { class: 'inline-form', id: 'nickname-form', onsubmit: (e) => { e.preventDefault(); save(); } },
    field(t('home.nickname'), nick), h('button', { type: 'submit', class: 'secondary', id: 'nickname-save' }, t('common.save')));
  const tile = (href, glyph, title, sub, id) => h('a', { class: 'tile', href, id },
    h('span', { class: 'tile-icon' }, icon(glyph)), h('strong', {}, title), sub ? h('small', {}, sub) : null);
  replace(ctx.view,
    h('section', { class: 'card hero' },
      h('h1', {}, t('home.hello', { name: me.nickname })),
      h('p', { class: 'muted' }, t('home.intro')),
      h('div', { class: 'id-line' }, h('span', {}, t('home.myId')), h('code', { id: 'my-id' }, me.id),
        button(t('common.copy'), async () => toast(await copyText(me.id) ? t('common.copied') : me.id), { class: 'small', id: 'copy-my-id' })),
      nickForm, nickStatus),
    h('div', { class: 'tiles' },
      tile('#/lotteries/new', 'gift', t('home.newLottery'), t('home.newLotterySub'), 'tile-lottery'),
      tile('#/packets/new', 'packet', t('home.sendPacket'), wallet ? t('home.balance', { amount: money(wallet.balance) }) : '', 'tile-packet'),
      tile('#/wallet', 'wallet', t('nav.wallet'), wallet ? money(wallet.balance) : '', 'tile-wallet'),
      tile('#/exchange', 'tree', t('nav.exchange'), me.phone ? t('home.phone', { phone: me.phone }) : t('home.noPhone'), 'tile-exchange'),
      tile('#/inbox', 'mail', t('nav.inbox'), unread ? t('home.unread', { n: unread }) : t('home.noUnread'), 'tile-inbox'),
      tile('#/verify', 'shield', t('nav.verify'), t('home.verifySub'), 'tile-verify')),
    card(t('home.guideTitle'), h('ol', { class: 'guide' }, [1, 2, 3, 4, 5].map((i) => h('li', {}, t(`home.guide${i}`))))));
}
