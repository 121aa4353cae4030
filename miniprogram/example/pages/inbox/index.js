// The inbox: lottery results and cancellations, packet notices and exchange
// reminders, worded in the reader's language, newest first; opening
// one marks it read and goes to what it is about.
const app = require('../../utils/app');
const pagedList = require('../../utils/paged-list');

// wording is an item's title and body in the reader's language, from its
// kind and data (as the web client words them); other kinds, and items
// stored before they carried data, keep the server's title and body.
function wording(it) {
  const d = it.data || {};
  const kept = { title: it.title, body: it.body };
  switch (it.kind) {
    case 'lottery_result':
      if (d.title === undefined || d.won === undefined) return kept;
      return {
        title: app.t('inbox.lottery_result.title'),
        body: d.won === 'true' ? app.t('inbox.lottery_result.won', { title: d.title, prize: d.prize }) : app.t('inbox.lottery_result.lost', { title: d.title }),
      };
    case 'lottery_canceled':
      if (d.title === undefined) return kept;
      return { title: app.t('inbox.lottery_canceled.title'), body: app.t('inbox.lottery_canceled.body', { title: d.title }) };
    case 'packet_finished':
      if (d.amount_fen === undefined) return kept;
      return { title: app.t('inbox.packet_finished.title'), body: app.t('inbox.packet_finished.body', { count: d.count, amount: app.money(Number(d.amount_fen)) }) };
    case 'packet_expired':
      if (d.refunded_fen === undefined) return kept;
      return {
        title: app.t('inbox.packet_expired.title'),
        body: app.t('inbox.packet_expired.body', { count: d.count, grabbed: d.grabbed, refunded: app.money(Number(d.refunded_fen)) }),
      };
    default:
      return kept;
  }
}

const PAGES = { lottery: '/pages/lottery/detail', packet: '/pages/packet/detail', exchange: '/pages/exchange/index' };

Component({
  behaviors: [pagedList],
  methods: {
    fetch(cursor) {
      return app.getClient().listInbox({ cursor });
    },
    row(it) {
      const w = wording(it);
      return {
        id: it.id, kind: it.kind, ref: it.ref, title: w.title, body: w.body, read: it.read,
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
