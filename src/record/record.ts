/**
 * The per-commit record, stored as a git note in refs/notes/gitrepro (DESIGN §5, docs/spec.md).
 * A note holds one record object, or (after two clones recorded the same commit and their
 * notes were merged) a JSON array of records; readers accept both and never drop one.
 */
import { z } from 'zod';
import { envSnapshotSchema } from './env.js';
import { gitOid, safePath, sha256Hex } from './paths.js';
import { canonicalJson } from './canonical.js';
import { formatIssues } from './issues.js';

import { METRICS_LIMITS, NOTES_REF, RECORD_SCHEMA, SNAPSHOTS_REF } from './rules.js';

export { NOTES_REF, RECORD_SCHEMA, SNAPSHOTS_REF };

const jsonValue: z.ZodType<unknown> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(jsonValue), z.record(z.string(), jsonValue)]),
);

export const paramsFileSchema = z.strictObject({
  sha256: sha256Hex,
  /** flattened dotted keys ("train.lr") to values */
  values: z.record(z.string(), jsonValue),
  /** why the file's values could not be read (it does not parse) */
  error: z.string().max(400).optional(),
});

/**
 * A metrics file as recorded (docs/spec.md): values flattened like params; a file with rows
 * (CSV/TSV, a JSON/YAML list of steps) also has its numeric columns as `series` (thinned to at
 * most METRICS_LIMITS.seriesPoints points; `rows` is the file's row count).
 */
export const metricsFileSchema = z.strictObject({
  sha256: sha256Hex,
  values: z
    .record(z.string().max(METRICS_LIMITS.keyLength), jsonValue)
    .refine((v) => Object.keys(v).length <= METRICS_LIMITS.values, `more than ${METRICS_LIMITS.values} values`)
    .refine((v) => JSON.stringify(v).length <= METRICS_LIMITS.valuesJson, `values larger than ${METRICS_LIMITS.valuesJson} bytes`),
  series: z
    .record(z.string().max(METRICS_LIMITS.keyLength), z.array(z.number().nullable()).max(METRICS_LIMITS.seriesPoints))
    .refine((v) => Object.keys(v).length <= METRICS_LIMITS.seriesColumns, `more than ${METRICS_LIMITS.seriesColumns} series`)
    .optional(),
  rows: z.number().int().nonnegative().optional(),
  /** why the file's values could not be read (it does not parse, is too large, is missing) */
  error: z.string().max(400).optional(),
});
export type MetricsFile = z.infer<typeof metricsFileSchema>;
export const metricsMapSchema = z.record(safePath, metricsFileSchema);

export const hashMapSchema = z.record(safePath, sha256Hex);

export const runRecordSchema = z.object({
  stage: z.string().min(1).max(200),
  cmd: z.string(),
  wdir: safePath.optional(),
  deps: hashMapSchema,
  outs: hashMapSchema,
  params: z.record(z.string(), jsonValue).default({}),
  seed: z.number().int().optional(),
  exit: z.number().int(),
  durationMs: z.number().nonnegative(),
  startedAt: z.string(),
  env: envSnapshotSchema.optional(),
  /** the stage's metrics files as the run left them (stage `metrics:`) */
  metrics: metricsMapSchema.optional(),
});
export type RunRecord = z.infer<typeof runRecordSchema>;

export const recordSchema = z.object({
  schema: z.literal(RECORD_SCHEMA),
  tool: z.string().max(100),
  recordedAt: z.string().max(40),
  data: z.strictObject({
    tree: gitOid,
    files: z.number().int().nonnegative(),
    bytes: z.number().int().nonnegative(),
  }),
  params: z.record(safePath, paramsFileSchema),
  /** metrics files of the commit (gitrepro.yaml `metrics:` and every stage's); absent when none is named */
  metrics: metricsMapSchema.optional(),
  env: envSnapshotSchema,
  runs: z.array(runRecordSchema).default([]),
  /** set when the note was written after the commit (gitrepro record, backfill): env is from then */
  recordedLater: z.boolean().optional(),
  /** the commit whose provenance was copied (gitrepro record --from) */
  from: gitOid.optional(),
  /** commits this one was rewritten from (amend, rebase) */
  rewrittenFrom: z.array(gitOid).optional(),
  /** true when pre-commit did not run (--no-verify) and the work tree held uncommitted data */
  dataNotCommitted: z.boolean().optional(),
});
export type GitreproRecord = z.infer<typeof recordSchema>;

export type NoteParse = { ok: true; records: GitreproRecord[] } | { ok: false; error: string };

/** Parses a note's text into one or more records; every problem is reported as `path: message`. */
export function parseNote(text: string): NoteParse {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `not JSON (${(e as Error).message.slice(0, 80)})` };
  }
  const list = Array.isArray(raw) ? raw : [raw];
  if (list.length === 0 || list.length > 64) return { ok: false, error: 'a note holds 1 to 64 records' };
  const records: GitreproRecord[] = [];
  for (const item of list) {
    const r = recordSchema.safeParse(item);
    if (!r.success) {
      return { ok: false, error: formatIssues(r.error.issues) };
    }
    records.push(r.data);
  }
  return { ok: true, records };
}

export function formatNote(records: GitreproRecord | GitreproRecord[]): string {
  return canonicalJson(Array.isArray(records) && records.length === 1 ? records[0] : records);
}
