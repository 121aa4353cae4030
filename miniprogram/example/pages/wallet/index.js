// Wallet: balance, ledger, and top-ups paid with WeChat Pay (the SDK calls
// wx.requestPayment, then polls the order until the server has the payment).
const app = require('../../utils/app');
const { parseYuan } = require('luckbox-sdk');

Component({
  data: { t: {}, demo: false, balance: '', fen: 0, amount: '100.00', chips: [], ledger: [], cursor: '', loaded: false, status: '', error: '', busy: false },
  methods: {
    onLoad() {
      this.setData({
        t: app.dict(),
        demo: app.config.demo,
        chips: [1000, 5000, 10000, 20000].map((f) => ({ fen: f, label: app.money(f) })),
      });
    },
    onShow() {
      return this.refresh();
    },
    onPullDownRefresh() {
      return this.refresh().then(() => wx.stopPullDownRefresh());
    },
    onReachBottom() {
      if (this.data.cursor) return this.loadLedger(this.data.cursor);
      return undefined;
    },
    async refresh() {
      try {
        const w = await app.getClient().getWallet();
        this.setData({ balance: app.money(w.balance), fen: w.balance });
        await this.loadLedger('');
      } catch (err) {
        this.setData({ error: app.errText(err) });
      }
    },
    async loadLedger(cursor) {
      const page = await app.getClient().listLedger({ cursor });
      const rows = page.items.map((e, i) => ({
        key: (cursor || '') + i,
        kind: app.dict()['ledger.' + e.kind] || e.kind,
        ref: app.shortID(e.ref),
        delta: app.money(e.delta, true),
        neg: e.delta < 0,
        after: app.money(e.balance_after),
        at: app.dateTime(e.at),
      }));
      this.setData({ ledger: cursor ? this.data.ledger.concat(rows) : rows, cursor: page.next_cursor, loaded: true });
    },
    onAmount(e) {
      this.setData({ amount: e.detail.value });
    },
    chip(e) {
      this.setData({ amount: app.money(Number(e.currentTarget.dataset.fen)).slice(1) });
    },
    async topup() {
      if (this.data.busy) return;
      const fen = parseYuan(this.data.amount);
      if (!(fen > 0)) {
        this.setData({ error: app.t('money.bad') });
        return;
      }
      this.setData({ busy: true, error: '', status: app.t('mp.paying') });
      try {
        const order = await app.getClient().topUp(fen);
        this.setData({ status: app.t('wallet.paid', { amount: app.money(order.amount) }) });
      } catch (err) {
        this.setData({ status: '', error: app.errText(err) });
      }
      this.setData({ busy: false });
      await this.refresh();
    },
  },
});
