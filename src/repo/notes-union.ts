/**
 * Joining two notes of one commit (two clones recorded it, or one side re-recorded it): the
 * result holds every distinct record of both, ours first, in the array form docs/spec.md allows.
 * Records are compared by their canonical JSON, so a record merged twice is kept once.
 */
import { canonicalJson } from '../record/canonical.js';
import { formatNote, parseNote, type GitreproRecord } from '../record/record.js';

/** The most records one note may hold (docs/spec.md). */
export const MAX_RECORDS = 64;

/**
 * The union of notes `ours` and `theirs`, or undefined when `ours` already holds it (or `theirs`
 * is not a valid note: a hostile or damaged note never displaces a valid one).
 */
export function unionNotes(ours: string, theirs: string): string | undefined {
  const a = parseNote(ours);
  const b = parseNote(theirs);
  if (!b.ok) return undefined;
  if (!a.ok) return formatNote(b.records);
  const seen = new Set(a.records.map((r) => canonicalJson(r)));
  const all: GitreproRecord[] = [...a.records];
  for (const r of b.records) {
    const key = canonicalJson(r);
    if (seen.has(key)) continue;
    seen.add(key);
    all.push(r);
  }
  if (all.length === a.records.length) return undefined;
  // A note holds at most 64 records (more would make it invalid for every reader); reaching that
  // takes 64 clones recording one commit. Past it, the surplus records of theirs are not joined.
  return formatNote(all.slice(0, MAX_RECORDS));
}
