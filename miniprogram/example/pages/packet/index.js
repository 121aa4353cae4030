// My red packets: sent or received, paged.
const app = require('../../utils/app');
const pagedList = require('../../utils/paged-list');

Component({
  behaviors: [pagedList],
  data: { role: 'sent' },
  methods: {
    fetch(cursor) {
      return app.getClient().listMyPackets({ role: this.data.role, cursor });
    },
    row(p) {
      const received = this.data.role === 'received';
      return {
        id: p.id,
        greeting: p.greeting || app.t('packet.defaultGreeting'),
        sub: app.t('packet.kind.' + p.kind) + ' · ' + app.dateTime(p.created_at),
        amount: app.money(received && p.me && p.me.amount !== null ? p.me.amount : p.amount),
        status: p.status,
        statusText: app.t('pstatus.' + p.status),
      };
    },
    open(e) {
      wx.navigateTo({ url: '/pages/packet/detail?id=' + encodeURIComponent(e.currentTarget.dataset.id) });
    },
    send() {
      wx.navigateTo({ url: '/pages/packet/new' });
    },
  },
});
