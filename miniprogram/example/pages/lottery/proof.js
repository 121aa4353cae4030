// The fairness proof of a drawn lottery, verified on the phone: the SDK
// recomputes the draw from the revealed seed and the entries.
const app = require('../../utils/app');
const { verifyProof, ALGORITHM } = require('luckbox-sdk');

function stepText(s) {
  const i = Object.assign({}, s.info);
  if (!s.ok) {
    i.got_user = app.shortID(i.got_user);
    i.want_user = app.shortID(i.want_user);
  }
  return (s.ok ? '✓ ' : '✗ ') + app.t('verify.' + s.key + (s.ok ? '.ok' : '.fail'), i);
}

Component({
  data: { t: {}, id: '', title: '', proofText: '', explain: '', steps: [], verdict: '', ok: false, recomputed: '', error: '' },
  methods: {
    async onLoad(query) {
      this.setData({ t: app.dict(), id: query.id || '' });
      const c = app.getClient();
      try {
        const [l, proof] = await Promise.all([c.getLottery(this.data.id), c.getProof(this.data.id)]);
        this.lottery = l;
        this.proof = proof;
        this.setData({
          title: app.t('proof.title', { title: l.title }),
          explain: app.t('proof.how') + ' · ' + ALGORITHM,
          proofText: JSON.stringify(proof, null, 2),
        });
      } catch (err) {
        this.setData({ error: app.errText(err) });
      }
    },
    verify() {
      if (!this.proof) return;
      const res = verifyProof(this.proof, this.lottery.fairness);
      this.setData({
        ok: res.ok,
        verdict: app.t(res.ok ? 'proof.pass' : 'proof.fail'),
        steps: res.steps.map((s) => ({ key: s.key, ok: s.ok, text: stepText(s) })),
        recomputed: res.recomputed ? app.t('proof.recomputed', { n: res.recomputed.length }) : '',
      });
    },
  },
});
