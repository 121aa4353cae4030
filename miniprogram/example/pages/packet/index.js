// My red packets: sent or received, paged.
const app = require('../../utils/app');

Component({
  data: { t: {}, role: 'sent', items: [], cursor: '', loaded: false, error: '' },
  methods: {
    onLoad() {
      this.setData({ t: app.dict() });
    },
    onShow() {
      return this.load('');
    },
    onPullDownRefresh() {
      return this.load('').then(() => wx.stopPullDownRefresh());
    },
    onReachBottom() {
      if (this.data.cursor) return this.load(this.data.cursor);
      return undefined;
    },
    async load(cursor) {
      try {
        const page = await app.getClient().listMyPackets({ role: this.data.role, cursor });
        const received = this.data.role === 'received';
        const rows = page.items.map((p) => ({
          id: p.id,
          greeting: p.greeting || app.t('packet.defaultGreeting'),
          sub: app.t('packet.kind.' + p.kind) + ' · ' + app.dateTime(p.created_at),
          amount: app.money(received && p.me && p.me.amount !== null ? p.me.amount : p.amount),
          status: p.status,
          statusText: app.t('pstatus.' + p.status),
        }));
        this.setData({ items: cursor ? this.data.items.concat(rows) : rows, cursor: page.next_cursor, loaded: true, error: '' });
      } catch (err) {
        this.setData({ error: app.errText(err), loaded: true });
      }
    },
    setRole(e) {
      this.setData({ role: e.currentTarget.dataset.role, items: [], cursor: '' });
      return this.load('');
    },
    open(e) {
      wx.navigateTo({ url: '/pages/packet/detail?id=' + encodeURIComponent(e.currentTarget.dataset.id) });
    },
    send() {
      wx.navigateTo({ url: '/pages/packet/new' });
    },
  },
});
