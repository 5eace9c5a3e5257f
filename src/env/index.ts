/**
 * Environment snapshot (DESIGN §6): collection, redaction and diff. `ops` is the only layer
 * that imports this; the schema and types live in src/record/env.ts.
 */
export { collectEnv, type CollectOptions } from './collect.js';
export { diffEnv, isImportantField, type EnvDiff } from './diff.js';
export { isDeniedName, redactValue, redactionMarker, redactParams, scrubText, scrubDeep, containsSecret } from '../secrets.js';
export { DEFAULT_ALLOW, DETERMINISM_VARS, THREAD_VARS, LOCALE_VARS, matchesAllow } from './vars.js';
export { LOCKFILE_NAMES, hashLockfiles, isLockfileName } from './lockfiles.js';
export { parseGpuQueryCsv, parseSmiBanner, GPU_QUERY_ARGS } from './gpu.js';
export { envSnapshotSchema, ENV_SCHEMA, type EnvSnapshot } from '../record/env.js';
