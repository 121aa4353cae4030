// Type checks of luckbox-sdk against WeChat's official typings
// (miniprogram-api-typings): a page written the way the sample's are, in
// TypeScript. tsc --noEmit must accept it, and reject each @ts-expect-error.
import { createClient, isLuckboxError, LuckboxError, verifyProof, money, type Lottery, type Packet, type ErrorCode } from '../luckbox-sdk';

const lb = createClient({ baseURL: 'https://luck.example.com', wx, templates: { lotteryResult: 'tpl-1' } });

Page({
  data: { count: 0, title: '', joined: false, prize: '' as string | null, mode: '' },
  live: null as null | ReturnType<typeof lb.watchLottery>,

  async onLoad(query: Record<string, string | undefined>) {
    const target = lb.launchTarget(query);
    const l: Lottery = await lb.getLottery(target.id);
    const status: 'open' | 'locked' | 'drawn' | 'canceled' = l.status;
    this.setData({ title: l.title, count: l.participant_count, joined: l.me ? l.me.joined : false, prize: l.me && l.me.prize });
    this.live = lb.watchLottery(target.id, {
      onCount: (d) => this.setData({ count: d.participant_count }),
      onDrawn: (d) => this.setData({ count: d.winner_count }),
      onMode: (m) => this.setData({ mode: m }),
      onError: (e) => console.warn(e.code, e.status, e.requestId),
    });
    void status;
  },

  onUnload() {
    if (this.live) this.live.close();
  },

  async onJoin() {
    try {
      const { entry, subscribed } = await lb.subscribeAndJoin('id');
      this.setData({ count: entry.participant_count, joined: subscribed.length > 0 });
    } catch (err) {
      if (isLuckboxError(err, 'conflict')) wx.showToast({ title: err.message, icon: 'none' });
      else if (err instanceof LuckboxError) {
        const code: ErrorCode | 'network' | string = err.code;
        wx.showToast({ title: code + ' ' + err.details.map((d) => d.field).join(','), icon: 'none' });
      }
    }
  },

  async onGetPhoneNumber(e: WechatMiniprogram.ButtonGetPhoneNumber) {
    const { phone } = await lb.bindPhone(e.detail);
    wx.showToast({ title: phone });
  },

  async onSend() {
    const p: Packet = await lb.sendPacket({ kind: 'lucky', count: 3, amount: 888, pay_with: 'wechat' });
    const order = await lb.topUp(10000, { onOrder: (o) => console.log(o.out_trade_no, o.pay_params && o.pay_params.paySign) });
    const proof = await lb.getProof('id');
    const ok: boolean = verifyProof(proof, (await lb.getLottery('id')).fairness).ok;
    wx.showToast({ title: money(order.amount) + p.status + String(ok) });
  },

  onShareAppMessage(): WechatMiniprogram.Page.ICustomShareContent {
    return lb.shareMessage('lottery', 'id', this.data.title);
  },
});

async function mistakes() {
  // @ts-expect-error draw.mode is one of time, count, manual
  await lb.createLottery({ title: 't', prizes: [{ name: 'p', quantity: 1 }], draw: { mode: 'sometime' } });
  // @ts-expect-error packets take kind and amounts, not a title
  await lb.createPacket({ title: 'x' });
  const l = await lb.getLottery('id');
  // @ts-expect-error participant_count is a number
  const s: string = l.participant_count;
  // @ts-expect-error the role is created or joined
  await lb.listMyLotteries({ role: 'sent' });
  // @ts-expect-error wallet balance is the only field
  (await lb.getWallet()).amount;
  void s;
}
void mistakes;
