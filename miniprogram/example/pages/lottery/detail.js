// One lottery, live: the participant count, the lock and the draw arrive
// over the SDK's watchLottery (a chunked event stream, or polling). Join
// (asking for the result notification first), leave, draw, cancel, the
// winners, my result, the claim form and sharing. Share cards, subscribe
// messages (?id=) and the mini-program code (scene) all open this page.
const app = require('../../utils/app');

Component({
  data: {
    t: {}, id: '', l: null, statusText: '', mode: '', prizeCount: 0, maxText: '', mine: false, joined: false,
    count: 0, live: '', liveText: '', winners: [], myResult: '', won: false, claim: { name: '', phone: '', address: '' },
    claimDone: false, claims: [], shareTicket: '', error: '', busy: false,
  },
  methods: {
    onLoad(query) {
      const c = app.getClient();
      const target = c.launchTarget(query);
      this.setData({ t: app.dict(), id: target.id, shareTicket: target.shareTicket });
      c.enableShareTicket();
      return this.reload().then(() => this.watch());
    },
    onUnload() {
      if (this.live) this.live.close();
      this.live = null;
    },
    onPullDownRefresh() {
      return this.reload().then(() => wx.stopPullDownRefresh());
    },
    onShareAppMessage() {
      return app.getClient().shareMessage('lottery', this.data.id, this.data.l ? this.data.l.title : '');
    },

    watch() {
      if (this.live || !this.data.l) return;
      this.live = app.getClient().watchLottery(this.data.id, {
        onMode: (m) => this.setData({ live: m, liveText: app.t(m === 'stream' ? 'mp.liveStream' : 'mp.livePoll') }),
        onCount: (d) => this.setData({ count: d.participant_count }),
        onState: (l) => {
          if (l.status !== this.data.l.status || l.participant_count !== this.data.count) this.reload();
        },
        onLocked: () => this.reload(),
        onDrawn: () => this.reload(),
        onCanceled: () => this.reload(),
      });
    },

    async reload() {
      const c = app.getClient();
      try {
        const l = await c.getLottery(this.data.id);
        const me = c.user();
        const view = {
          l,
          statusText: app.t('status.' + l.status),
          mode: app.lotteryModeText(l),
          prizeCount: l.prizes.reduce((n, p) => n + p.quantity, 0),
          maxText: l.max_participants ? app.t('lottery.max', { n: l.max_participants }) : '',
          mine: Boolean(me && l.creator_id === me.id),
          joined: Boolean(l.me && l.me.joined),
          count: l.participant_count,
          won: Boolean(l.me && l.me.prize),
          error: '',
        };
        if (l.status === 'drawn') {
          const winners = await c.listAllWinners(l.id);
          view.winners = winners.map((w) => ({ user_id: w.user_id, prize: w.prize, name: w.nickname || app.shortID(w.user_id), me: Boolean(me && w.user_id === me.id) }));
          view.myResult = l.me && l.me.joined ? (l.me.prize ? app.t('lottery.youWon', { prize: l.me.prize }) : app.t('lottery.youLost')) : '';
          if (view.mine) view.claims = (await c.listClaims(l.id)).items;
        }
        this.setData(view);
      } catch (err) {
        this.setData({ error: app.errText(err) });
      }
    },

    /** act runs one action, shows its error, and reloads. */
    async act(fn) {
      if (this.data.busy) return;
      this.setData({ busy: true, error: '' });
      try {
        await fn(app.getClient());
      } catch (err) {
        this.setData({ error: app.errText(err) });
      }
      this.setData({ busy: false });
      await this.reload();
    },
    // join asks for the result notification (it must be the first thing a
    // tap does), then joins whatever the answer.
    join() {
      return this.act(async (c) => {
        const r = await c.subscribeAndJoin(this.data.id);
        if (r.subscribed.length) wx.showToast({ title: app.t('mp.subscribed') });
      });
    },
    leave() {
      return this.act((c) => c.leaveLottery(this.data.id));
    },
    draw() {
      return this.act((c) => c.drawLottery(this.data.id));
    },
    cancel() {
      return new Promise((resolve) => {
        wx.showModal({
          content: app.t('lottery.cancelConfirm'),
          success: (r) => resolve(r.confirm ? this.act((c) => c.cancelLottery(this.data.id)) : undefined),
          fail: () => resolve(),
        });
      });
    },
    onClaimInput(e) {
      this.setData({ ['claim.' + e.currentTarget.dataset.field]: e.detail.value });
    },
    submitClaim() {
      return this.act(async (c) => {
        const cl = this.data.claim;
        await c.claimPrize(this.data.id, { name: cl.name.trim(), phone: cl.phone.trim(), address: cl.address.trim() });
        this.setData({ claimDone: true });
      });
    },
    proof() {
      wx.navigateTo({ url: '/pages/lottery/proof?id=' + encodeURIComponent(this.data.id) });
    },
  },
});
