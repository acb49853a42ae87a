// The tus row of t/bench/transfer: a tus server (npm @tus/server) with its S3 store
// (@tus/s3-store) writing into the benchmark's bucket, and a plain tus client
// (tus-js-client in node) sending one file to it. Two processes, so that each one's CPU
// time can be read on its own.
//
//   TUS_PORT=P TUS_PREFIX=uploads/x/ TUS_PART_SIZE=BYTES S3UP_TEST_...=... node t/bench/tus.mjs serve
//     listens on 127.0.0.1:P, path /files; objects go to TUS_PREFIX<random> (the upload's
//     id, base64url-encoded in its URL), TUS_PART_SIZE bytes a part. The store stages each
//     part in a file under TMPDIR before sending it on.
//   node t/bench/tus.mjs upload URL FILE CHUNK_SIZE
//     creates the upload and PATCHes FILE in CHUNK_SIZE requests, one after another (the
//     store does not take concatenation, tus' way to send several at once);
//     prints {key, seconds, bytes} as JSON.
import { createReadStream, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

const [mode, ...args] = process.argv.slice(2);

if (mode === 'serve') {
  const { Server } = await import('@tus/server');
  const { S3Store } = await import('@tus/s3-store');
  const env = process.env;
  const port = Number(env.TUS_PORT);
  if (!port || !env.TUS_PREFIX || !env.S3UP_TEST_ENDPOINT) {
    console.error('tus.mjs serve: TUS_PORT, TUS_PREFIX and S3UP_TEST_* must be set');
    process.exit(2);
  }
  const store = new S3Store({
    partSize: Number(env.TUS_PART_SIZE) || 64 * 1024 * 1024,
    useTags: false,
    s3ClientConfig: {
      bucket: env.S3UP_TEST_BUCKET,
      region: env.S3UP_TEST_REGION || 'us-east-1',
      endpoint: env.S3UP_TEST_ENDPOINT,
      forcePathStyle: true,
      // Ceph 16 takes no aws-chunked trailing checksums, which the SDK sends by default.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      credentials: { accessKeyId: env.S3UP_TEST_ACCESS_KEY, secretAccessKey: env.S3UP_TEST_SECRET_KEY },
    },
  });
  const server = new Server({
    path: '/files',
    datastore: store,
    namingFunction: () => `${env.TUS_PREFIX}${randomBytes(8).toString('hex')}`,
    generateUrl: (req, { proto, host, path, id }) =>
      `${proto}://${host}${path}/${Buffer.from(id, 'utf8').toString('base64url')}`,
    getFileIdFromRequest: (req, last) => Buffer.from(last ?? '', 'base64url').toString('utf8'),
  });
  server.listen(port, '127.0.0.1', () => console.log(`tus listening on http://127.0.0.1:${port}/files`));
} else if (mode === 'upload') {
  const { Upload } = await import('tus-js-client');
  const [endpoint, file, chunkS] = args;
  const size = statSync(file).size;
  const t0 = process.hrtime.bigint();
  const url = await new Promise((resolve, reject) => {
    const up = new Upload(createReadStream(file), {
      endpoint,
      chunkSize: Number(chunkS),
      uploadSize: size,
      retryDelays: null,
      metadata: { filename: 'tus.bin' },
      onError: reject,
      onSuccess: () => resolve(up.url),
    });
    up.start();
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const key = Buffer.from(new URL(url).pathname.split('/').pop(), 'base64url').toString('utf8');
  process.stdout.write(`${JSON.stringify({ key, seconds, bytes: size })}\n`);
} else {
  console.error('usage: tus.mjs serve | upload URL FILE CHUNK_SIZE');
  process.exit(2);
}
