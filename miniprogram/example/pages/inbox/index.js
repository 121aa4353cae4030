// The inbox: lottery results and exchange reminders, newest first; opening
// one marks it read and goes to what it is about.
const app = require('../../utils/app');

const PAGES = { lottery: '/pages/lottery/detail', packet: '/pages/packet/detail', exchange: '/pages/exchange/index' };

Component({
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
        const page = await app.getClient().listInbox({ cursor });
        const rows = page.items.map((it) => ({
          id: it.id, kind: it.kind, ref: it.ref, title: it.title, body: it.body, read: it.read,
          kindText: app.dict()['inbox.kind.' + it.kind] || it.kind, at: app.dateTime(it.created_at),
        }));
        this.setData({ items: cursor ? this.data.items.concat(rows) : rows, cursor: page.next_cursor, loaded: true, error: '' });
      } catch (err) {
        this.setData({ error: app.errText(err), loaded: true });
      }
    },
    async open(e) {
      const i = Number(e.currentTarget.dataset.index);
      const it = this.data.items[i];
      if (!it.read) {
        this.setData({ ['items[' + i + '].read']: true });
        app.getClient().markInboxRead(it.id).catch(() => {});
      }
      const area = Object.keys(PAGES).find((k) => it.kind.indexOf(k) === 0);
      if (area && it.ref) wx.navigateTo({ url: PAGES[area] + '?id=' + encodeURIComponent(it.ref) });
    },
    async readAll() {
      try {
        await app.getClient().markInboxRead('all');
      } catch (err) {
        this.setData({ error: app.errText(err) });
      }
      await this.load('');
    },
  },
});
