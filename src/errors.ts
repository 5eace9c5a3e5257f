/**
 * Typed errors with stable codes. A leaf module: imports nothing.
 *
 * Codes are part of the public surface: never rename one once shipped. docs/errors.md lists
 * every code (a unit test keeps the list complete). Callers branch on `code` or on the
 * predicates below, never on message text.
 */
export const ERROR_CODES = {
  GITREPRO_NOT_A_REPO: 'not inside a git work tree',
  GITREPRO_NOT_INSTALLED: 'gitrepro is not set up in this repository',
  GITREPRO_GIT_FAILED: 'a git command failed',
  GITREPRO_CONFIG_INVALID: 'gitrepro.yaml does not validate',
  GITREPRO_LOCK_INVALID: 'gitrepro.lock is malformed or hostile',
  GITREPRO_RECORD_INVALID: 'a record (git note) is malformed or hostile',
  GITREPRO_SNAPSHOT_INVALID: 'a snapshot tree is malformed or hostile',
  GITREPRO_UNSAFE_PATH: 'a path escapes the work tree or names .git',
  GITREPRO_NO_LOCK: 'a commit has no gitrepro.lock',
  GITREPRO_NO_RECORD: 'a commit has no record',
  GITREPRO_OBJECT_MISSING: 'a data object is not in the store',
  GITREPRO_OBJECT_CORRUPT: 'a stored object does not match its hash',
  GITREPRO_BUNDLE_INVALID: 'a bundle archive is malformed, corrupt or hostile',
  GITREPRO_TRACKED_IN_GIT: 'a tracked data path is staged into git',
  GITREPRO_FILE_TOO_LARGE: 'a large file is staged into git',
  GITREPRO_BAD_REVISION: 'a revision does not resolve to a commit',
  GITREPRO_USAGE: 'the command line is wrong',
  GITREPRO_IO_FAILED: 'reading or writing a file failed',
  GITREPRO_LOCKED: 'another gitrepro process holds the repository lock',
  GITREPRO_PATTERN_INVALID: 'a track pattern is not usable',
  GITREPRO_NOTHING_TO_RECOVER: 'no rescued version of a path exists',
  GITREPRO_REMOTE_INVALID: 'a store remote definition is wrong',
  GITREPRO_REMOTE_UNREACHABLE: 'a store remote cannot be reached',
  GITREPRO_REMOTE_AUTH: 'a store remote refused the credentials',
  GITREPRO_REMOTE_DENIED: 'a store remote denied access',
  GITREPRO_REMOTE_NO_BUCKET: 'the bucket of an S3 remote does not exist',
  GITREPRO_REMOTE_FORMAT: 'a store remote is in a format this version cannot read',
  GITREPRO_NO_REMOTE: 'no store remote is configured',
  GITREPRO_PUSH_REFUSED: 'the pre-push gate refused a push',
  GITREPRO_RECORDS_REJECTED: 'the Git remote kept rejecting or refused the records push',
  GITREPRO_REMOTE_BUSY: 'the Git remote kept moving while gc planned: nothing was removed',
  GITREPRO_MERGE_CONFLICT: 'data paths conflict in a merge',
  GITREPRO_STAGE_INVALID: 'a pipeline stage definition is wrong',
  GITREPRO_STAGE_FAILED: 'a pipeline stage exited non-zero',
  GITREPRO_PIPELINE_CYCLE: 'pipeline stages depend on each other in a cycle',
  GITREPRO_UNTRUSTED: 'a setting changed by others waits for this clone to accept it (gitrepro trust)',
  GITREPRO_METRICS_INVALID: 'a metrics file does not parse (JSON, YAML, CSV/TSV)',
  GITREPRO_KEY_UNKNOWN: 'a param or metric key that no record of the range holds',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface GitreproErrorOptions {
  hint?: string;
  data?: Record<string, unknown>;
  cause?: unknown;
  /** exit status the CLI should use (default 2: usage/environment error; 1: a failed check). */
  exitCode?: number;
}

export class GitreproError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;
  readonly data?: Record<string, unknown>;
  readonly exitCode: number;
  constructor(code: ErrorCode, message: string, opts: GitreproErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'GitreproError';
    this.code = code;
    this.hint = opts.hint;
    this.data = opts.data;
    this.exitCode = opts.exitCode ?? 2;
  }
}

export function isGitreproError(e: unknown, code?: ErrorCode): e is GitreproError {
  return e instanceof GitreproError && (code === undefined || e.code === code);
}

/** Removes credentials from URLs and obvious secrets from free text before it is shown or stored. */
export function redactText(text: string): string {
  return text
    .replace(/([a-z][a-z0-9+.-]*:\/\/)([^/\s:@]+):([^/\s@]+)@/gi, '$1<redacted>@')
    .replace(/((?:secret|token|password|passwd|api[_-]?key|access[_-]?key)[\w-]*\s*[=:]\s*)\S+/gi, '$1<redacted>');
}
