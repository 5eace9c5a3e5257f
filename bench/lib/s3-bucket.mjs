#!/usr/bin/env node
// Untimed S3 chores for bench/remote.sh and bench/remote-v2.sh: `create <bucket>` (idempotent),
// `empty <bucket>` (deletes every object), `size <bucket>` (prints "<bytes> <objects>"). Endpoint and keys from GITREPRO_S3_ENDPOINT / AWS_ACCESS_KEY_ID /
// AWS_SECRET_ACCESS_KEY (test/s3/rgw.sh env).
import { createHash } from 'node:crypto';
import { CreateBucketCommand, DeleteObjectsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const [op, Bucket] = process.argv.slice(2);
const client = new S3Client({
  endpoint: process.env.GITREPRO_S3_ENDPOINT,
  region: process.env.AWS_REGION ?? 'us-east-1',
  forcePathStyle: true,
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
});
// RGW requires Content-MD5 on DeleteObjects; WHEN_REQUIRED sends only a CRC32 checksum
client.middlewareStack.add(
  (next, context) => async (args) => {
    const req = args.request;
    if (context.commandName === 'DeleteObjectsCommand' && req?.headers && typeof req.body === 'string') {
      req.headers['content-md5'] = createHash('md5').update(req.body).digest('base64');
    }
    return next(args);
  },
  { step: 'build', name: 'benchDeleteContentMd5' },
);
if (op === 'create') {
  await client.send(new CreateBucketCommand({ Bucket })).catch((e) => {
    if (e.name !== 'BucketAlreadyOwnedByYou' && e.name !== 'BucketAlreadyExists') throw e;
  });
} else if (op === 'empty') {
  for (;;) {
    const r = await client.send(new ListObjectsV2Command({ Bucket, MaxKeys: 1000 }));
    const keys = (r.Contents ?? []).map((c) => ({ Key: c.Key }));
    if (keys.length === 0) break;
    await client.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: keys, Quiet: true } }));
  }
} else if (op === 'size') {
  let bytes = 0;
  let n = 0;
  let token;
  do {
    const r = await client.send(new ListObjectsV2Command({ Bucket, ContinuationToken: token }));
    for (const c of r.Contents ?? []) {
      bytes += c.Size ?? 0;
      n++;
    }
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token);
  console.log(`${bytes} ${n}`);
} else {
  console.error('usage: s3-bucket.mjs create|empty|size <bucket>');
  process.exit(2);
}
client.destroy();
