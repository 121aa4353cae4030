// The inbox: lottery results and exchange reminders, newest first; opening
// one marks it read and goes to what it is about.
const app = require('../../utils/app');
const pagedList = require('../../utils/paged-list');

const PAGES = { lottery: '/pages/lottery/detail', packet: '/pages/packet/detail', exchange: '/pages/exchange/index' };

Component({
  behaviors: [pagedList],
  methods: {
    fetch(cursor) {
      return app.getClient().listInbox({ cursor });
    },
    row(it) {
      return {
        id: it.id, kind: it.kind, ref: it.ref, title: it.title, body: it.body, read: it.read,
        kindText: app.dict()['inbox.kind.' + it.kind] || it.kind, at: app.dateTime(it.created_at),
      };
    },
    open(e) {
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
