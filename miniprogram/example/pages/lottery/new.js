// The create form: title, prizes (handed out in order), draw mode.
const app = require('../../utils/app');

function pad(n) {
  return String(n).padStart(2, '0');
}

Component({
  data: {
    t: {}, title: '', description: '', prizes: [], mode: 'manual', modes: [],
    participants: '10', date: '', time: '', lockBefore: '60', maxParticipants: '', error: '', busy: false,
  },
  methods: {
    onLoad() {
      const soon = new Date(Date.now() + 10 * 60000);
      this.setData({
        t: app.dict(),
        title: app.t('lottery.defaultTitle'),
        prizes: [{ name: app.t('lottery.defaultPrize1'), quantity: '1' }, { name: app.t('lottery.defaultPrize2'), quantity: '2' }],
        modes: ['manual', 'count', 'time'].map((m) => ({ value: m, label: app.t('lottery.mode.' + m) })),
        date: soon.getFullYear() + '-' + pad(soon.getMonth() + 1) + '-' + pad(soon.getDate()),
        time: pad(soon.getHours()) + ':' + pad(soon.getMinutes()),
      });
    },
    onInput(e) {
      this.setData({ [e.currentTarget.dataset.field]: e.detail.value });
    },
    onPrize(e) {
      const { index, field } = e.currentTarget.dataset;
      this.setData({ ['prizes[' + index + '].' + field]: e.detail.value });
    },
    addPrize() {
      this.setData({ prizes: this.data.prizes.concat([{ name: '', quantity: '1' }]) });
    },
    removePrize(e) {
      if (this.data.prizes.length < 2) return;
      const prizes = this.data.prizes.slice();
      prizes.splice(Number(e.currentTarget.dataset.index), 1);
      this.setData({ prizes });
    },
    onMode(e) {
      this.setData({ mode: e.detail.value });
    },
    /** body builds the request of POST /lotteries from the form. */
    body() {
      const d = this.data;
      const body = {
        title: d.title.trim(),
        description: d.description.trim(),
        prizes: d.prizes.map((p) => ({ name: p.name.trim(), quantity: Number(p.quantity) })),
        draw: { mode: d.mode },
      };
      if (d.mode === 'count') body.draw.participants = Number(d.participants);
      if (d.mode === 'time') {
        const parts = (d.date + ' ' + d.time).split(/[- :]/).map(Number);
        body.draw.at = new Date(parts[0], parts[1] - 1, parts[2], parts[3], parts[4]).toISOString();
        body.lock_before_seconds = Number(d.lockBefore || 0);
      }
      if (d.maxParticipants) body.max_participants = Number(d.maxParticipants);
      return body;
    },
    async submit() {
      if (this.data.busy) return;
      this.setData({ busy: true, error: '' });
      try {
        const l = await app.getClient().createLottery(this.body());
        wx.showToast({ title: app.t('lottery.createdToast') });
        wx.redirectTo({ url: '/pages/lottery/detail?id=' + encodeURIComponent(l.id) });
        this.setData({ created: l.id });
      } catch (err) {
        this.setData({ error: app.errText(err) });
      }
      this.setData({ busy: false });
    },
  },
});
