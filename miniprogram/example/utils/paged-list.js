// A Behavior for the pages that list something paged (lotteries, packets,
// inbox): load on show, pull down to refresh, scroll down for more, and a
// role tab. The page defines fetch(cursor) → {items, next_cursor} and
// row(item) → what its wxml shows.
const app = require('./app');

module.exports = Behavior({
  data: { t: {}, items: [], cursor: '', loaded: false, error: '' },
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
        const page = await this.fetch(cursor);
        const rows = page.items.map((it) => this.row(it));
        this.setData({ items: cursor ? this.data.items.concat(rows) : rows, cursor: page.next_cursor, loaded: true, error: '' });
      } catch (err) {
        this.setData({ error: app.errText(err), loaded: true });
      }
    },
    setRole(e) {
      this.setData({ role: e.currentTarget.dataset.role, items: [], cursor: '' });
      return this.load('');
    },
  },
});
