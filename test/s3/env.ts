/**
 * Where the S3 tests find their server: what test/s3/global-setup.ts provided, or, when the
 * setup is not wired in, the GITREPRO_S3_* variables that `bash test/s3/rgw.sh env` prints.
 */
import { inject } from 'vitest';

export interface S3TestEnv {
  endpoint: string;
  /** owner of the buckets the tests create */
  key: string;
  secret: string;
  /** a second user that owns nothing */
  key2: string;
  secret2: string;
  region: string;
}

export type S3Provided = { ok: true; env: S3TestEnv } | { ok: false; reason: string };

declare module 'vitest' {
  export interface ProvidedContext {
    gitreproS3: S3Provided;
  }
}

/** The S3 test server, or why there is none. */
export function s3TestEnv(): S3Provided {
  const provided = inject('gitreproS3') as S3Provided | undefined;
  if (provided) return provided;
  const e = process.env;
  if (e.GITREPRO_S3_ENDPOINT) {
    return {
      ok: true,
      env: {
        endpoint: e.GITREPRO_S3_ENDPOINT,
        key: e.GITREPRO_S3_KEY ?? 'GRTESTKEY',
        secret: e.GITREPRO_S3_SECRET ?? 'GRTESTSECRET',
        key2: e.GITREPRO_S3_KEY2 ?? 'GRTESTKEY2',
        secret2: e.GITREPRO_S3_SECRET2 ?? 'GRTESTSECRET2',
        region: e.GITREPRO_S3_REGION ?? 'us-east-1',
      },
    };
  }
  return { ok: false, reason: 'test/s3/global-setup.ts is not in vitest.config.ts globalSetup and GITREPRO_S3_ENDPOINT is not set' };
}
