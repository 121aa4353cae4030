// Sharing: the page path a shared card opens (with the lottery or packet
// id), the object onShareAppMessage returns, the shareTicket of a card
// opened from a group chat, and the id a page was opened for (share card,
// subscribe message ?id=, or the mini-program code's scene).
const wxapi = require('./wx');

const share = {
  /**
   * sharePath returns the page path of kind ("lottery", "packet",
   * "exchange") for id, with the sharer's user id as from= and any extra
   * query values: "/pages/lottery/detail?id=…&from=…".
   */
  sharePath(kind, id, extra) {
    const page = this.options.pages[kind];
    if (!page) throw new Error('luckbox-sdk: no page for ' + kind);
    const q = Object.assign({ id }, extra);
    const me = this.user();
    if (me && q.from === undefined) q.from = me.id;
    const parts = Object.keys(q).filter((k) => q[k] !== undefined && q[k] !== null && q[k] !== '')
      .map((k) => encodeURIComponent(k) + '=' + encodeURIComponent(String(q[k])));
    return page + '?' + parts.join('&');
  },

  /**
   * shareMessage returns what onShareAppMessage should return for kind and
   * id: {title, path} (and imageUrl when given).
   */
  shareMessage(kind, id, title, imageUrl) {
    const msg = { title: title || '', path: this.sharePath(kind, id) };
    if (imageUrl) msg.imageUrl = imageUrl;
    return msg;
  },

  /**
   * enableShareTicket turns on shareTicket for shares from the current page
   * (wx.showShareMenu withShareTicket), so a card opened from a group chat
   * tells which group it came from.
   */
  enableShareTicket() {
    return wxapi.call(this.wx, 'showShareMenu', { withShareTicket: true, menus: ['shareAppMessage', 'shareTimeline'] }).catch(() => undefined);
  },

  /**
   * noteLaunch remembers the shareTicket and scene of App.onLaunch / onShow
   * options; call it from both.
   */
  noteLaunch(options) {
    const o = options || {};
    this.launch = { shareTicket: o.shareTicket || '', scene: o.scene || 0 };
  },

  /**
   * launchTarget reads the page's onLoad query: the id (from ?id= of a share
   * card or a subscribe message, or the scene of a mini-program code), who
   * shared it (from) and the shareTicket of the group chat it was opened in.
   */
  launchTarget(query) {
    const q = query || {};
    let id = q.id || '';
    if (!id && q.scene) id = decodeURIComponent(q.scene);
    return { id, from: q.from || '', shareTicket: q.shareTicket || this.launch.shareTicket || '' };
  },

  /**
   * getShareInfo resolves with wx.getShareInfo's answer for a shareTicket
   * ({encryptedData, iv, cloudID}): decrypt it on your server with the
   * user's session key to learn the group's openGId.
   */
  getShareInfo(shareTicket) {
    return wxapi.call(this.wx, 'getShareInfo', { shareTicket });
  },
};

module.exports = { share };
