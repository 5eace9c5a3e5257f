/**
 * Direct S3 access for tests (bucket set-up and inspection), bypassing gitrepro, against the
 * test server that test/s3/env.ts names.
 */
import { randomBytes } from 'node:crypto';
import type { S3TestEnv } from './env.js';

type S3Mod = typeof import('@aws-sdk/client-s3');

export async function admin(env: S3TestEnv): Promise<{ m: S3Mod; client: InstanceType<S3Mod['S3Client']> }> {
  const m = await import('@aws-sdk/client-s3');
  const client = new m.S3Client({
    endpoint: env.endpoint,
    region: env.region,
    forcePathStyle: true,
    credentials: { accessKeyId: env.key, secretAccessKey: env.secret },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return { m, client };
}

export async function createBucket(env: S3TestEnv): Promise<string> {
  const { m, client } = await admin(env);
  const bucket = `gr-e2e-${Date.now()}-${randomBytes(3).toString('hex')}`;
  try {
    await client.send(new m.CreateBucketCommand({ Bucket: bucket }));
  } finally {
    client.destroy();
  }
  return bucket;
}

/** Every key of the bucket under `prefix`. */
export async function listKeys(env: S3TestEnv, bucket: string, prefix = ''): Promise<string[]> {
  const { m, client } = await admin(env);
  const keys: string[] = [];
  try {
    let token: string | undefined;
    do {
      const r = await client.send(new m.ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      for (const c of r.Contents ?? []) keys.push(c.Key!);
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
  } finally {
    client.destroy();
  }
  return keys;
}

/** Multipart uploads that were started and neither completed nor aborted. */
export async function openUploads(env: S3TestEnv, bucket: string): Promise<number> {
  const { m, client } = await admin(env);
  try {
    return ((await client.send(new m.ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? []).length;
  } finally {
    client.destroy();
  }
}

export async function dropBucket(env: S3TestEnv, bucket: string): Promise<void> {
  const { m, client } = await admin(env);
  try {
    for (;;) {
      const r = await client.send(new m.ListObjectsV2Command({ Bucket: bucket }));
      const keys = (r.Contents ?? []).map((c) => ({ Key: c.Key! }));
      if (keys.length === 0) break;
      await client.send(new m.DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
    }
    await client.send(new m.DeleteBucketCommand({ Bucket: bucket }));
  } catch {
    // best effort: the server keeps its data in memory only
  } finally {
    client.destroy();
  }
}
