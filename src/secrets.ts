/**
 * Secret redaction for everything that enters a record (environment snapshots, command lines,
 * params values) or a message. Notes are pushed with the code, so everything in a record is
 * treated as public (DESIGN §1). A leaf module (env, pipeline and repo use it). Three layers:
 *   1. env vars are recorded by allowlist only (vars.ts);
 *   2. a deny-by-name rule drops credential-looking names even when allowlisted;
 *   3. a value scan replaces secret-looking values by `<redacted:` + 12 hex of sha256 + `>`, so a
 *      changed secret still shows up in a diff while the secret itself never leaves the machine.
 * Caveat: an unsalted 48-bit prefix lets someone who already guesses a weak password confirm
 * the guess; it reveals nothing about a random token. docs/env.md says so.
 */
import { createHash } from 'node:crypto';

/**
 * Substrings of a variable name that mark it as a credential (case-insensitive). Deliberately
 * broad: a variable wrongly left out costs a line in a diff, one wrongly recorded leaks a secret.
 * PASS covers PASSWORD, PASSWD, PASSPHRASE and DB_PASS; PW only as a whole word (DB_PW, not PWM).
 */
const DENY_NAME_RE = /TOKEN|SECRET|PASS|PWD|(^|_)PW(_|$)|KEY|CRED|AUTH|COOKIE|SESSION|PRIVATE|DSN|SIGNATURE|(^|_)SIG(_|$)|WEBHOOK|BEARER|SALT|(^|_)OTP(_|$)|(^|_)PIN(_|$)|CERT/i;

/**
 * A params or metrics key (its last dotted part) named like a credential. Narrower than the
 * variable rule: ML configs are full of `max_tokens` and `keypoints`, so only whole words count.
 */
const DENY_KEY_RE = /(^|[_-])(password|passwd|passphrase|pass|pwd|pw|secret|secrets|token|api[_-]?key|apikey|access[_-]?key|secret[_-]?key|private[_-]?key|credentials?|auth|bearer|webhook|webhook[_-]?url|cookie|session[_-]?id|dsn|signature)$/i;

/** True when a variable must never be recorded, whatever the allowlist says. */
export function isDeniedName(name: string): boolean {
  return DENY_NAME_RE.test(name);
}

/** The stable replacement text of a secret: change-visible, content-free. */
export function redactionMarker(secret: string): string {
  return `<redacted:${createHash('sha256').update(secret).digest('hex').slice(0, 12)}>`;
}

// Known token shapes. Each regex matches the whole secret so that span replacement leaves no tail.
const PATTERNS: RegExp[] = [
  /-----BEGIN [A-Z0-9 ]+-----[\s\S]*?(?:-----END [A-Z0-9 ]+-----|$)/g, // PEM block (or a truncated one)
  /\b(?:AKIA|ASIA|ABIA|ACCA|AROA|AIDA)[A-Z0-9]{16}\b/g, // AWS access key id
  /\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})/g, // GitHub tokens
  /\bxox[abposre]-[A-Za-z0-9-]{8,}/g, // Slack tokens
  /\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, // JWT (header.payload.signature)
  /\b(?:sk-[A-Za-z0-9_-]{20,}|hf_[A-Za-z0-9]{20,}|glpat-[A-Za-z0-9_-]{20,}|AIza[0-9A-Za-z_-]{35}|npm_[A-Za-z0-9]{36})/g,
  /\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}/g, // Stripe secret and restricted keys
  /\bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}/g, // SendGrid
  /\bya29\.[A-Za-z0-9_-]{20,}/g, // Google OAuth access token
  /\bdop_v1_[a-f0-9]{64}\b/g, // DigitalOcean
  /\b(?:pypi-AgE|pypi-)[A-Za-z0-9_-]{40,}/g, // PyPI upload token
  /\bhttps:\/\/(?:hooks\.slack\.com\/services|discord(?:app)?\.com\/api\/webhooks|[\w.-]+\.webhook\.office\.com)\/\S+/g, // chat webhooks (the URL is the secret)
];
// credential-named query parameters of a URL: ?token=..., &sig=..., &X-Amz-Signature=...
const URL_QUERY_SECRET_RE = /([?&][\w.-]*(?:token|key|secret|sig|signature|password|passwd|pass|pwd|auth|credential|session)[\w.-]*=)([^&\s#"']+)/gi;
// `--api-key X`, `--password=X`, `-p X` style options in a command line
const FLAG_NAME_RE = /^--?[\w-]*(?:token|key|secret|password|passwd|pass|pwd|auth|credential|cookie|webhook|signature)[\w-]*$/i;
// scheme://user:password@host: only the userinfo is replaced so the host stays readable.
// The password part is greedy so that an unencoded '@' inside it is still covered.
const URL_CREDENTIALS_RE = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#:@]*:[^\s/?#]*)@/gi;
const MARKER_RE = /^<redacted:[0-9a-f]{12}>$/;
const TOKEN_CANDIDATE_RE = /[A-Za-z0-9+/=_-]{24,}/g;

/**
 * Heuristic for random tokens (API keys, AWS secret keys). Calibrated on 5,000 random base64/base62
 * strings per length (misses about 1% at 24-32 chars, none above 64) against pip freeze output,
 * PATH, wheel URLs, XLA flags and CamelCase paths (no false positive). Pure hex is exempt so
 * that our own sha256 values, git ids and UUIDs are not flagged.
 */
function looksRandom(t: string): boolean {
  if (/^[0-9a-f-]+$/i.test(t)) return false;
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/].filter((r) => r.test(t)).length;
  if (classes < 2) return false;
  if (entropy(t) < (t.length >= 32 ? 4.0 : 3.7)) return false;
  // Words (CamelCase, snake_case, paths) have long letter runs; random text averages under 2.
  const runs = t.match(/[A-Z]?[a-z]+|[A-Z]+/g) ?? [];
  const meanRun = runs.length ? runs.reduce((n, r) => n + r.length, 0) / runs.length : 0;
  return meanRun <= 3.3;
}

function entropy(s: string): number {
  const freq = new Map<string, number>();
  for (const c of s) freq.set(c, (freq.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of freq.values()) h -= (n / s.length) * Math.log2(n / s.length);
  return h;
}

/** Replaces each secret-looking span of free text (subprocess output, file contents). */
export function scrubText(text: string): string {
  let out = text.replace(URL_CREDENTIALS_RE, (m, scheme: string, cred: string) =>
    MARKER_RE.test(cred) ? m : `${scheme}${redactionMarker(cred)}@`, // already redacted: keep idempotent
  );
  for (const re of PATTERNS) out = out.replace(re, (m) => redactionMarker(m));
  out = out.replace(URL_QUERY_SECRET_RE, (m, name: string, value: string) => (MARKER_RE.test(value) ? m : `${name}${redactionMarker(value)}`));
  out = redactFlagValues(out);
  return out.replace(TOKEN_CANDIDATE_RE, (m) => (looksRandom(m) ? redactionMarker(m) : m));
}

/**
 * In a command line, the value of an option named like a credential (`--api-key X`,
 * `--password=X`, `--token 'X'`) is replaced whatever it looks like: a short password is no
 * random token, and the scan above would let it through.
 */
function redactFlagValues(text: string): string {
  const words = text.split(/(\s+)/);
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const eq = w.indexOf('=');
    if (eq > 0 && FLAG_NAME_RE.test(w.slice(0, eq))) {
      const value = w.slice(eq + 1);
      if (value && !MARKER_RE.test(value)) words[i] = `${w.slice(0, eq + 1)}${redactionMarker(value.replace(/^['"]|['"]$/g, ''))}`;
    } else if (FLAG_NAME_RE.test(w) && i + 2 < words.length) {
      const value = words[i + 2]!;
      if (value && !value.startsWith('-') && !MARKER_RE.test(value)) words[i + 2] = redactionMarker(value.replace(/^['"]|['"]$/g, ''));
    }
  }
  return words.join('');
}

/** True when the value holds anything the scan would redact. */
export function containsSecret(value: string): boolean {
  return scrubText(value) !== value;
}

/** Replaces a whole value (an env var's) when any part of it looks secret. */
export function redactValue(value: string): string {
  return containsSecret(value) ? redactionMarker(value) : value;
}

/** Applies scrubText to every string inside a JSON-like value; keys are left alone. */
export function scrubDeep<T>(value: T): T {
  if (typeof value === 'string') return scrubText(value) as T;
  if (Array.isArray(value)) return value.map((v) => scrubDeep(v)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = scrubDeep(v);
    return out as T;
  }
  return value;
}

/**
 * Flat params or metrics values (dotted keys) as they may be recorded: a value under a key whose
 * last part is named like a credential (`db.password`, `api_key`) is replaced by its marker;
 * string values (and strings in arrays) pass the value scan.
 */
export function redactParams(values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(values)) {
    const last = k.slice(k.lastIndexOf('.') + 1);
    out[k] = DENY_KEY_RE.test(last) && v !== null && typeof v !== 'boolean' ? redactionMarker(JSON.stringify(v)) : scrubDeep(v);
  }
  return out;
}
