/**
 * Every environment variable gitrepro reads, in one table, read through one typed accessor
 * (git-lfs's `config.Environment` is the model). docs/variables.md is the same table for people;
 * a unit test keeps the two in step and checks that nothing else in src/ reads a GITREPRO_*
 * variable. Tests replace the source by passing their own `env`. A leaf module: imports nothing.
 *
 * The sh hook shims read GITREPRO_SKIP and GITREPRO_SYNC_RECORDS themselves (hooks/*.sh): they
 * decide before node starts.
 */
export const SETTINGS = {
  GITREPRO_SKIP: { kind: 'flag', default: 'off', internal: false, meaning: "`1`: gitrepro's hooks do nothing (a hook that was there before gitrepro still runs)" },
  GITREPRO_SYNC_RECORDS: { kind: 'flag', default: 'off', internal: false, meaning: "`1`: write a commit's record before `git commit` returns, not in a detached process" },
  GITREPRO_TRACE: { kind: 'flag', default: 'off', internal: false, meaning: '`1`: print where the milliseconds of a command or hook go, to stderr' },
  GITREPRO_LOCK_TIMEOUT: { kind: 'seconds', default: 60, internal: false, meaning: 'how long a command waits for the repository lock before it fails with GITREPRO_LOCKED' },
  NO_COLOR: { kind: 'present', default: 'unset', internal: false, meaning: 'set (to anything): no colour in the output (https://no-color.org)' },
  TERM: { kind: 'text', default: 'unset', internal: false, meaning: '`dumb`: no colour and no progress display' },
  CI: { kind: 'present', default: 'unset', internal: false, meaning: 'set: no progress display (CI logs are not terminals)' },
  COLUMNS: { kind: 'text', default: 'unset', internal: false, meaning: 'width that wide tables (`exp`, `metrics`) fold to; default: the terminal\'s, and no folding when the output is not a terminal' },
  GITREPRO_DETACHED: { kind: 'flag', default: 'off', internal: true, meaning: 'set by gitrepro on the detached record flusher it starts' },
  GITREPRO_REPO_INFO: { kind: 'text', default: 'unset', internal: true, meaning: 'repository paths the hook shims hand to node (saves a git call); used once, then removed' },
  GITREPRO_RECORDS_PUSH: { kind: 'flag', default: 'off', internal: true, meaning: "set on gitrepro's own push of the record refs, so that the pre-push hook does not recurse" },
  GITREPRO_TEST_GC_BEFORE_RECHECK: { kind: 'text', default: 'unset', internal: true, meaning: 'tests only: a sh command `gc --remote` runs in each round between its plan and its re-check of the Git remote (to push from another clone there)' },
} as const;

export type SettingName = keyof typeof SETTINGS;
type Kinds = typeof SETTINGS;
export type SettingValue<K extends SettingName> = Kinds[K]['kind'] extends 'flag' | 'present' ? boolean : Kinds[K]['kind'] extends 'seconds' ? number : string | undefined;

/** The value of setting `name` in `env` (default: this process's environment). */
export function setting<K extends SettingName>(name: K, env: NodeJS.ProcessEnv = process.env): SettingValue<K> {
  const def = SETTINGS[name];
  const raw = env[name];
  switch (def.kind) {
    case 'flag':
      return (raw === '1') as SettingValue<K>;
    case 'present':
      return (raw !== undefined) as SettingValue<K>;
    case 'seconds': {
      const n = Number(raw);
      return (raw !== undefined && raw.trim() !== '' && Number.isFinite(n) && n >= 0 ? n : def.default) as SettingValue<K>;
    }
    default:
      return raw as SettingValue<K>;
  }
}

/** Reads a setting once and removes it from the environment, so that no child inherits it. */
export function takeSetting<K extends SettingName>(name: K, env: NodeJS.ProcessEnv = process.env): SettingValue<K> {
  const v = setting(name, env);
  delete env[name];
  return v;
}
