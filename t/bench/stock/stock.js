// See index.html. window.benchUppy is the Uppy instance, for the benchmark's eyes only.
import { Uppy, Dashboard, AwsS3 } from './vendor/uppy.min.mjs';

const api = new URL(new URLSearchParams(location.search).get('api') || '/upload', location.href)
  .href.replace(/\/$/, '');
const session = await (await fetch(`${api}/api/session`, { cache: 'no-store' })).json();
const uppy = new Uppy({ id: 'bench-stock', autoProceed: false });
uppy.use(Dashboard, { inline: true, target: '#uppy', width: '100%', height: 400 });
uppy.use(AwsS3, {
  companionEndpoint: api,
  shouldUseMultipart: (file) => (file.size ?? 0) > 100 * 1024 * 1024,
  getChunkSize: () => session.part_size,
  limit: 4,
});
window.benchUppy = uppy;
document.body.dataset.ready = '1';
