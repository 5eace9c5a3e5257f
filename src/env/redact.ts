/**
 * Secret redaction for environment snapshots. Notes are pushed with the code, so everything in a
 * snapshot is treated as public (DESIGN §1). Three layers:
 *   1. env vars are recorded by allowlist only (vars.ts);
 *   2. a deny-by-name rule drops credential-looking names even when allowlisted;
 *   3. a value scan replaces secret-looking values by `<redacted:` + 12 hex of sha256 + `>`, so a
 *      changed secret still shows up in a diff while the secret itself never leaves the machine.
 * Caveat: an unsalted 48-bit prefix lets someone who already guesses a weak password confirm
 * the guess; it reveals nothing about a random token. docs/env.md says so.
 */
import { createHash } from 'node:crypto';

/** Substrings of a variable name that mark it as a credential (case-insensitive). */
const DENY_NAME_RE = /TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|PWD|KEY|CRED|AUTH|COOKIE|SESSION|PRIVATE|DSN|SIGNATURE/i;

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
];
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
  return out.replace(TOKEN_CANDIDATE_RE, (m) => (looksRandom(m) ? redactionMarker(m) : m));
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
