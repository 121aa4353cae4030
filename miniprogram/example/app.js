// The sample app: remembers how it was opened (a share card from a group
// chat carries a shareTicket) for the pages.
const { getClient } = require('./utils/app');

App({
  onLaunch(options) {
    getClient().noteLaunch(options);
  },
  onShow(options) {
    getClient().noteLaunch(options);
  },
});
