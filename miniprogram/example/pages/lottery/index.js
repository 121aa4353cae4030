// My lotteries: the ones I created or joined, paged.
const app = require('../../utils/app');
const pagedList = require('../../utils/paged-list');

Component({
  behaviors: [pagedList],
  data: { role: 'created' },
  methods: {
    fetch(cursor) {
      return app.getClient().listMyLotteries({ role: this.data.role, cursor });
    },
    row(l) {
      return {
        id: l.id, title: l.title, status: l.status, statusText: app.t('status.' + l.status),
        mode: app.lotteryModeText(l), people: app.t('lottery.people', { n: l.participant_count }),
      };
    },
    open(e) {
      wx.navigateTo({ url: '/pages/lottery/detail?id=' + encodeURIComponent(e.currentTarget.dataset.id) });
    },
    create() {
      wx.navigateTo({ url: '/pages/lottery/new' });
    },
  },
});
