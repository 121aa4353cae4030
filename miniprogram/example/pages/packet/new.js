// The send form: lucky, equal or personal; paid from the balance or with
// WeChat Pay (the SDK pays, reports it and waits until the packet is funded).
const app = require('../../utils/app');
const { parseYuan } = require('luckbox-sdk');

Component({
  data: {
    t: {}, kinds: [], kind: 'lucky', count: '3', amount: '10.00', to: '', greeting: '', payWith: 'balance',
    payOptions: [], payIndex: 0, total: '¥—', amountLabel: '', error: '', busy: false, needTopup: false,
  },
  methods: {
    async onLoad() {
      this.setData({
        t: app.dict(),
        greeting: app.t('packet.defaultGreeting'),
        kinds: ['lucky', 'equal', 'personal'].map((k) => ({ value: k, label: app.t('packet.kind.' + k) })),
      });
      let balance = '—';
      try {
        balance = app.money((await app.getClient().getWallet()).balance);
      } catch (err) {
        this.setData({ error: app.errText(err) });
      }
      this.setData({ payOptions: [app.t('packet.payBalance', { amount: balance }), app.t('packet.payWechat')] });
      this.update();
    },
    update() {
      const d = this.data;
      const fen = parseYuan(d.amount);
      const n = d.kind === 'personal' ? 1 : Number(d.count);
      const sum = d.kind === 'equal' ? fen * n : fen;
      this.setData({
        amountLabel: app.t(d.kind === 'equal' ? 'packet.amountEach' : 'packet.amountTotal'),
        total: Number.isFinite(sum) && sum > 0 ? app.money(sum) : '¥—',
      });
    },
    onKind(e) {
      this.setData({ kind: e.detail.value });
      this.update();
    },
    onInput(e) {
      this.setData({ [e.currentTarget.dataset.field]: e.detail.value });
      this.update();
    },
    onPay(e) {
      const i = Number(e.detail.value);
      this.setData({ payIndex: i, payWith: i === 1 ? 'wechat' : 'balance' });
    },
    /** body builds the request of POST /packets from the form (null: bad amount). */
    body() {
      const d = this.data;
      const fen = parseYuan(d.amount);
      if (!(fen > 0)) return null;
      const body = { kind: d.kind, greeting: d.greeting.trim(), pay_with: d.payWith };
      if (d.kind === 'lucky') Object.assign(body, { count: Number(d.count), amount: fen });
      if (d.kind === 'equal') Object.assign(body, { count: Number(d.count), amount_each: fen });
      if (d.kind === 'personal') Object.assign(body, { amount: fen, to_user_id: d.to.trim() });
      return body;
    },
    async send() {
      if (this.data.busy) return;
      const body = this.body();
      if (!body) {
        this.setData({ error: app.t('money.bad') });
        return;
      }
      this.setData({ busy: true, error: '', needTopup: false });
      let created = null;
      try {
        const p = await app.getClient().sendPacket(body, { onPacket: (x) => { created = x; } });
        this.setData({ sent: p.id });
        wx.redirectTo({ url: '/pages/packet/detail?id=' + encodeURIComponent(p.id) });
      } catch (err) {
        this.setData({ error: app.errText(err), needTopup: err.code === 'conflict' && body.pay_with === 'balance' });
        // Created but not paid (canceled, or the payment is late): the packet page can pay it.
        if (created) wx.redirectTo({ url: '/pages/packet/detail?id=' + encodeURIComponent(created.id) });
      }
      this.setData({ busy: false });
    },
    topup() {
      wx.navigateTo({ url: '/pages/wallet/index' });
    },
  },
});
