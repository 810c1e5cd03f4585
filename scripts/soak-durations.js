'use strict';
// How long `npm run soak` runs, with and without --quick. Read by scripts/soak.js and by the
// docs generator (scripts/figures), so docs/leak-testing.md states what the script does.
module.exports = {
  full: { seconds: 90, warmup: 20 },
  quick: { seconds: 25, warmup: 8 },
};
