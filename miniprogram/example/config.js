// The one file to edit: where the sample's server is and how it logs in.
module.exports = {
  // The mini-program's AppID. WeChat DevTools asks for it when you import
  // this folder (use the same one, or the test account "touristappid" for
  // demo mode); the server needs it too (--wechat-app-id) outside demo mode.
  appId: 'touristappid',

  // Your luckbox server. In production: https, and listed under
  // 开发管理 → 开发设置 → 服务器域名 (request domain). In DevTools, tick
  // "不校验合法域名" (the project does) to use http://127.0.0.1:8080.
  serverURL: 'http://127.0.0.1:8080',

  // Demo mode: the server runs without WeChat credentials and has the fake
  // WeChat at /_fake/wechat/. The sample then logs in as a demo user you
  // pick (no wx.login), pays through the fake WeChat Pay (no
  // wx.requestPayment) and binds a phone number you type. false: the real
  // wx.login, wx.requestPayment and getPhoneNumber button.
  demo: true,

  // Subscribe-message templates, as configured on the server
  // (--lottery-template). Ask for the lottery result before joining.
  templates: { lotteryResult: 'luckbox_lottery_result' },

  // Demo users to pick from.
  demoUsers: ['alice', 'bob', 'carol', 'dave'],
};
