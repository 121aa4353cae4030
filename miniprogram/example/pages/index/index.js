// Home: who I am (in demo mode: pick a demo user), my balance and unread
// messages, and the way to every part of the sample.
const app = require('../../utils/app');

Component({
  data: { t: {}, demo: false, demoUsers: [], user: null, hello: '', balance: '', unread: '', phone: '', error: '' },
  methods: {
    onLoad() {
      this.setData({ t: app.dict(), demo: app.config.demo, demoUsers: app.config.demoUsers });
    },
    onShow() {
      return this.refresh();
    },
    async refresh() {
      const c = app.getClient();
      if (app.config.demo && !app.demoUser()) {
        this.setData({ user: null });
        return;
      }
      try {
        const [me, wallet, inbox] = await Promise.all([c.getMe(), c.getWallet(), c.listInbox()]);
        const n = inbox.items.filter((i) => !i.read).length;
        this.setData({
          user: me,
          hello: app.t('home.hello', { name: me.nickname }),
          balance: app.t('home.balance', { amount: app.money(wallet.balance) }),
          unread: n ? app.t('home.unread', { n }) : app.t('home.noUnread'),
          phone: me.phone ? app.t('home.phone', { phone: me.phone }) : app.t('home.noPhone'),
          error: '',
        });
      } catch (err) {
        this.setData({ error: app.errText(err) });
      }
    },
    async pickUser(e) {
      try {
        await app.useDemoUser(e.currentTarget.dataset.openid);
        await this.refresh();
      } catch (err) {
        this.setData({ error: app.errText(err) });
      }
    },
    switchUser() {
      this.setData({ user: null });
      wx.removeStorageSync('luckbox.demoUser');
    },
    toggleLang() {
      app.setLang(app.lang() === 'zh' ? 'en' : 'zh');
      this.setData({ t: app.dict() });
      return this.refresh();
    },
    go(e) {
      wx.navigateTo({ url: e.currentTarget.dataset.url });
    },
  },
});
