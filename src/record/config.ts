/**
 * gitrepro.yaml: the committed project config. Parse with zod (descriptions, defaults), then
 * cross-field rules; problems are reported as `path: message` lines. docs/gitrepro.schema.json
 * is generated from this schema (a snapshot test keeps it in step).
 */
import { z } from 'zod';
import { safePath } from './paths.js';

import { CONFIG_FILE } from './rules.js';

export { CONFIG_FILE };

export const remoteSchema = z.strictObject({
  url: z.string().min(1).describe('filesystem path, file:// URL, or s3://bucket[/prefix]'),
  endpoint: z.string().optional().describe('S3 endpoint URL for non-AWS servers (path-style is then used)'),
  region: z.string().optional().describe('S3 region'),
  format: z
    .union([z.literal(1), z.literal(2)])
    .optional()
    .describe('storage format a first push declares on an empty remote: 2 (packs, chunked big files; the default) or 1 (one object per file, readable by gitrepro versions before storage v2)'),
});

export const stageSchema = z.strictObject({
  cmd: z.string().min(1).describe('shell command run from wdir'),
  deps: z.array(safePath).default([]).describe('input files or directories'),
  outs: z.array(safePath).default([]).describe('output files or directories (tracked automatically)'),
  params: z.array(z.string().min(1)).default([]).describe('params keys (file:key or key in the default params file)'),
  seed: z.number().int().optional().describe('exported as GITREPRO_SEED (and PYTHONHASHSEED unless set)'),
  wdir: safePath.optional().describe('working directory relative to the repo root'),
  metrics: z.array(safePath).optional().describe('metrics files the command writes (JSON, YAML, CSV/TSV), recorded with its run; usually also outs'),
});
export type StageConfig = z.infer<typeof stageSchema>;

export const configSchema = z
  .strictObject({
    version: z.literal(1).default(1).describe('config format version'),
    track: z.array(z.string().min(1)).default([]).describe('gitignore-syntax patterns of data paths kept in the store'),
    params: z.array(safePath).optional().describe('params files (YAML or JSON); default params.yaml when present'),
    metrics: z.array(safePath).optional().describe('metrics files (JSON, YAML, CSV/TSV) recorded with every commit, git-tracked or tracked data'),
    env: z
      .strictObject({
        allow: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*\*?$/)).default([]).describe('extra environment variable names to record (trailing * for a prefix)'),
        packages: z.boolean().default(false).describe('record pip freeze / conda list (cached by lockfile hash)'),
      })
      .default({ allow: [], packages: false }),
    remotes: z.record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/), remoteSchema).default({}),
    default_remote: z.string().optional(),
    policy: z
      .strictObject({
        maxGitFileSize: z.number().int().positive().default(10 * 1024 * 1024).describe('largest untracked file pre-commit lets into git (bytes)'),
        autoStage: z.boolean().default(true).describe('pre-commit stores changed data and stages gitrepro.lock'),
        pushMissing: z.enum(['upload', 'refuse']).default('upload').describe('pre-push: upload objects the remote lacks, or refuse'),
        jobs: z.number().int().min(1).max(256).default(8).describe('parallel transfers'),
      })
      .default({ maxGitFileSize: 10 * 1024 * 1024, autoStage: true, pushMissing: 'upload', jobs: 8 }),
    stages: z.record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/), stageSchema).default({}),
  })
  .superRefine((c, ctx) => {
    if (c.default_remote !== undefined && !(c.default_remote in c.remotes)) {
      ctx.addIssue({ code: 'custom', path: ['default_remote'], message: `names no remote (have: ${Object.keys(c.remotes).join(', ') || 'none'})` });
    }
  });

export type Config = z.infer<typeof configSchema>;

export function defaultConfig(): Config {
  return configSchema.parse({});
}
