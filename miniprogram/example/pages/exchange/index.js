// Gift exchange (secret santa), participant side: bind the phone number
// (the getPhoneNumber button; in demo mode a typed number and the fake
// WeChat's code), draw, and see whom to give a gift to.
const app = require('../../utils/app');

Component({
  data: {
    t: {}, demo: false, id: '', input: '', phoneInput: '', phone: '', phoneText: '', ex: null, statusText: '',
    recipient: '', drawnAt: '', notice: '', canDraw: false, error: '', busy: false,
  },
  methods: {
    onLoad(query) {
      const target = app.getClient().launchTarget(query);
      this.setData({ t: app.dict(), demo: app.config.demo, id: target.id, input: target.id });
      return this.reload();
    },
    onShareAppMessage() {
      return app.getClient().shareMessage('exchange', this.data.id, this.data.ex ? this.data.ex.title : '');
    },
    async reload() {
      const c = app.getClient();
      try {
        const me = await c.getMe();
        this.setData({ phone: me.phone || '', phoneText: me.phone ? app.t('phone.current', { phone: me.phone }) : '' });
        if (!this.data.id) return;
        const ex = await c.getExchange(this.data.id);
        const view = { ex, statusText: app.t('xstatus.' + ex.status), recipient: '', drawnAt: '', notice: '', canDraw: false, error: '' };
        if (!me.phone) view.notice = app.t('exchange.needPhone');
        else {
          try {
            const mine = await c.getMyExchange(this.data.id);
            if (mine.drawn && mine.recipient) {
              view.recipient = mine.recipient.name;
              view.drawnAt = app.t('exchange.drawnAt', { at: app.dateTime(mine.drawn_at) });
            } else if (ex.status !== 'started') view.notice = app.t('exchange.notStarted');
            else view.canDraw = true;
          } catch (err) {
            view.notice = err.status === 404 ? app.t('exchange.notListed', { phone: me.phone }) : app.errText(err);
          }
        }
        this.setData(view);
      } catch (err) {
        this.setData({ error: app.errText(err) });
      }
    },
    onInput(e) {
      this.setData({ [e.currentTarget.dataset.field]: e.detail.value });
    },
    open() {
      this.setData({ id: this.data.input.trim() });
      return this.reload();
    },
    /** onGetPhoneNumber takes the getPhoneNumber button's event. */
    async onGetPhoneNumber(e) {
      await this.bind(() => app.getClient().bindPhone(e.detail));
    },
    /** bindDemo binds a typed number through the fake WeChat (demo mode). */
    async bindDemo() {
      const number = this.data.phoneInput.replace(/[\s-]/g, '');
      if (!number) return;
      await this.bind(async () => app.getClient().bindPhone({ code: await app.demoPhoneCode(number) }));
    },
    async bind(fn) {
      try {
        const res = await fn();
        wx.showToast({ title: app.t('phone.bound', { phone: res.phone }) });
      } catch (err) {
        this.setData({ error: app.errText(err) });
      }
      await this.reload();
    },
    async draw() {
      if (this.data.busy) return;
      this.setData({ busy: true });
      try {
        await app.getClient().drawExchange(this.data.id);
      } catch (err) {
        this.setData({ error: app.errText(err) });
      }
      this.setData({ busy: false });
      await this.reload();
    },
  },
});
