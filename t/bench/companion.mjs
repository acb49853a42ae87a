// Uppy Companion (npm @uppy/companion) for the benchmarks, on 127.0.0.1 only: its own bin
// listens on every interface. Configured by the COMPANION_* environment (COMPANION_AWS_*,
// COMPANION_SECRET, COMPANION_DATADIR, ...) and `-c config.json`, exactly as its standalone
// server reads them.
//   COMPANION_PORT=P COMPANION_AWS_...=... node t/bench/companion.mjs -c config.json
import standalone from '@uppy/companion/standalone';
import * as companion from '@uppy/companion';

const port = Number(process.env.COMPANION_PORT);
if (!port) {
  console.error('companion.mjs: COMPANION_PORT is not set');
  process.exit(2);
}
const { app } = standalone();
const server = app.listen(port, '127.0.0.1', () => {
  console.log(`companion listening on http://127.0.0.1:${port}`);
});
companion.socket(server);
