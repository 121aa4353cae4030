// A red packet, as its share card opens it: the envelope and the grab
// (開), my amount and best luck, 手慢了 / expired / not for you, the grabs,
// paying an unpaid WeChat-paid packet, the lucky split check and sharing.
// While the packet can still change it is refreshed on pull-down.
const app = require('../../utils/app');
const { checkSplit } = require('luckbox-sdk');

Component({
  data: {
    t: {}, id: '', p: null, kindText: '', statusText: '', sender: false, mine: false, myAmount: '', bestLuck: false,
    canGrab: false, state: '', groupOnly: false, groupRefusal: '', grabs: [], summary: '', refunded: '', expires: '', split: '', splitOk: null, error: '', busy: false,
  },
  methods: {
    onLoad(query) {
      const target = app.getClient().launchTarget(query);
      this.setData({ t: app.dict(), id: target.id });
      app.getClient().enableShareTicket();
      // Opened from a group chat: prove membership for group-only packets
      // (a failure only means the grab may be refused, with its reason).
      const proven = target.shareTicket ? app.getClient().proveGroup(target.shareTicket).catch(() => null) : Promise.resolve();
      return proven.then(() => this.reload());
    },
    onPullDownRefresh() {
      return this.reload().then(() => wx.stopPullDownRefresh());
    },
    onShareAppMessage() {
      const p = this.data.p;
      return app.getClient().shareMessage('packet', this.data.id, p ? (p.greeting || app.t('packet.defaultGreeting')) : '');
    },
    async reload() {
      const c = app.getClient();
      let p;
      try {
        p = await c.getPacket(this.data.id);
      } catch (err) {
        if (err.status === 403) this.setData({ state: 'forbidden', error: '' });
        else this.setData({ error: app.errText(err) });
        return;
      }
      const me = c.user() || {};
      const mine = Boolean(p.me && p.me.amount !== null && p.me.amount !== undefined);
      const forOther = p.kind === 'personal' && p.to_user_id !== me.id;
      const sender = p.sender_id === me.id;
      let state = this.outcome || '';
      if (!mine && !state) {
        if (p.status === 'finished') state = 'exhausted';
        else if (p.status === 'expired') state = 'expired';
        else if (forOther && !sender) state = 'forbidden';
      }
      const grabbed = p.amount - p.remaining_amount - (p.refunded_amount || 0);
      const ok = checkSplit(p);
      this.setData({
        p, sender, mine, state, error: '', groupOnly: Boolean(p.group_only),
        kindText: app.t('packet.kind.' + p.kind),
        statusText: app.t('pstatus.' + p.status),
        myAmount: mine ? app.money(p.me.amount) : '',
        bestLuck: Boolean(p.me && p.me.best_luck),
        canGrab: !mine && !state && (p.status === 'active' || p.status === 'pending') && !forOther,
        grabs: (p.grabs || []).map((g) => ({ user_id: g.user_id, name: g.nickname || app.shortID(g.user_id), amount: app.money(g.amount), fen: g.amount, best: g.best_luck, at: app.dateTime(g.at), me: g.user_id === me.id })),
        summary: app.t('packet.summary', { taken: (p.grabs || []).length, count: p.count, amount: app.money(grabbed), total: app.money(p.amount) }),
        refunded: p.refunded_amount ? app.t('packet.refunded', { amount: app.money(p.refunded_amount) }) : '',
        expires: app.t('packet.expires', { at: app.dateTime(p.expires_at) }),
        split: p.split ? p.split.commit : '',
        splitOk: ok === null ? null : ok,
      });
    },
    async grab() {
      if (this.data.busy) return;
      this.setData({ busy: true, groupRefusal: '' });
      this.outcome = '';
      try {
        await app.getClient().grabPacket(this.data.id);
      } catch (err) {
        if (err.code === 'exhausted' || err.code === 'expired') this.outcome = err.code;
        else if (err.status === 403 && err.reason) this.setData({ groupRefusal: app.t('group.reason.' + err.reason) });
        else if (err.status === 403) this.outcome = 'forbidden';
        else this.setData({ error: app.errText(err) });
      }
      this.setData({ busy: false });
      await this.reload();
    },
    async pay() {
      if (this.data.busy) return;
      this.setData({ busy: true, error: '' });
      try {
        await app.getClient().payPacket(this.data.p);
      } catch (err) {
        this.setData({ error: app.errText(err) });
      }
      this.setData({ busy: false });
      await this.reload();
    },
  },
});
