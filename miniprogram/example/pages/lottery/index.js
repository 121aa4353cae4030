// My lotteries: the ones I created or joined, paged.
const app = require('../../utils/app');

function modeText(l) {
  const d = l.draw || {};
  if (d.mode === 'time') return app.t('lottery.modeTimeAt', { at: app.dateTime(d.at) });
  if (d.mode === 'count') return app.t('lottery.modeCountN', { n: d.participants });
  return app.t('lottery.modeManual');
}

Component({
  data: { t: {}, role: 'created', items: [], cursor: '', loaded: false, error: '' },
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
        const page = await app.getClient().listMyLotteries({ role: this.data.role, cursor });
        const rows = page.items.map((l) => ({
          id: l.id, title: l.title, status: l.status, statusText: app.t('status.' + l.status),
          mode: modeText(l), people: app.t('lottery.people', { n: l.participant_count }),
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
      wx.navigateTo({ url: '/pages/lottery/detail?id=' + encodeURIComponent(e.currentTarget.dataset.id) });
    },
    create() {
      wx.navigateTo({ url: '/pages/lottery/new' });
    },
  },
});
