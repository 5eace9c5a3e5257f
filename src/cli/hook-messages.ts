/**
 * The words of the hooks (and of the commands that restore data): every HookNote that an
 * operation returns becomes the lines shown on stderr here, and only here.
 */
import type { GateProblem, HookNote, RestoreReport } from '../ops/hook-types.js';
import { humanBytes } from './output.js';

const P = 'gitrepro:';

/** Lines telling the user what a restore did that needs their attention. */
export function describeRestore(r: RestoreReport): string[] {
  const lines: string[] = [];
  for (const p of r.problems ?? []) lines.push(`${P} could not fetch data: ${p}`);
  for (const e of r.rescued) lines.push(`${P} saved your unsaved ${e.path} before replacing it; get it back with: gitrepro recover -- ${e.path}`);
  if (r.missing.length) {
    const names = r.missing.slice(0, 5).map((m) => `${m.path} needs object ${m.sha256.slice(0, 12)}`).join(', ');
    const of = r.tree ? `data snapshot ${r.tree.slice(0, 12)}: ` : '';
    lines.push(`${P} ${r.missing.length} data file(s) not restored, their objects are not in the local store (${of}${names}${r.missing.length > 5 ? ', ...' : ''}); run \`gitrepro pull\` to fetch them`);
  }
  for (const f of r.failed) lines.push(`${P} ${f.error.message}`);
  return lines;
}

/** One line per commit the pre-push gate refused, and what fixes it. */
function refusal(problems: GateProblem[]): string[] {
  const n = new Set(problems.map((p) => p.commit)).size;
  const lines = [`${P} push refused: ${n} pushed commit(s) cannot be reproduced:`];
  for (const p of problems) {
    const id = p.commit.slice(0, 12);
    const what = `${P}   ${id} ${JSON.stringify(p.subject.slice(0, 60))}:`;
    if (p.problem === 'no-record') lines.push(`${what} no record; fix: gitrepro record ${id}`);
    else if (p.problem === 'invalid-record') lines.push(`${what} invalid record (${p.detail}); fix: gitrepro record --force ${id}`);
    else if (p.problem === 'no-lock') lines.push(`${what} no gitrepro.lock (committed without gitrepro's pre-commit hook); fix: gitrepro add, then amend that commit (git commit --amend, or git rebase -i for an older one)`);
    else lines.push(`${what} invalid gitrepro.lock (${p.detail}); fix: restore a valid lock (gitrepro add), then amend that commit`);
  }
  lines.push(`${P} then push again`);
  return lines;
}

export function hookLines(n: HookNote): string[] {
  switch (n.kind) {
    case 'restore':
      return describeRestore(n.report);
    case 'records-error':
      return [`${P} ${n.message}`];
    case 'lock-invalid':
      return [`${P} data not restored: ${n.message}`, ...(n.hint ? [`${P} ${n.hint}`] : [])];
    case 'records-not-merged':
      return [`${P} records not merged: ${n.message}`];
    case 'tracked-in-git':
      return [`${P} ${n.path} is tracked data and must not be committed to git; unstage it with: git rm --cached -- '${n.path}'  (gitrepro add stores it)`];
    case 'too-large':
      return [`${P} ${n.path} is ${n.size} bytes, over policy.maxGitFileSize (${n.max}); track it as data: gitrepro track '${n.path}' && git rm --cached -- '${n.path}'`];
    case 'commit-refused':
      return [`${P} commit refused (tracked data never enters git)`];
    case 'kept-never-restored':
      return [`${P} kept ${n.count} never-restored path(s) in the snapshot (their data was not available here)`];
    case 'lock-staged':
      return [`${P} data changed and gitrepro.lock is now staged; if git says "nothing to commit", repeat the commit (or run \`gitrepro add\` before \`git commit\`)`];
    case 'skipped-pre-commit':
      return [`${P} warning: this commit skipped the pre-commit hook and the work tree holds data changes it does not record; run \`gitrepro add\` and commit again`];
    case 'push-unreproducible':
      return refusal(n.problems);
    case 'push-policy-refused':
      return [
        `${P} push refused: ${n.objects.length} data object(s) of the pushed commits are not on store remote "${n.remote}" and policy.pushMissing is "refuse"`,
        ...n.objects.slice(0, 5).map((o) => `${P}   ${o.sha256.slice(0, 12)}  ${o.path}`),
        `${P} fix: upload them with \`gitrepro push ${n.remote}\`, then push again`,
      ];
    case 'push-upload-failed':
      return [
        `${P} push refused: ${n.failed} of ${n.total} data object(s) could not be uploaded to store remote "${n.remote}" (the pushed commits would not be reproducible elsewhere)`,
        ...n.errors.slice(0, 5).flatMap((e) => [`${P}   ${e.message}`, ...(e.hint ? [`${P}   hint: ${e.hint}`] : [])]),
        `${P} fix the cause and push again: what was uploaded stays there`,
      ];
    case 'push-error':
      return [`${P} push refused: ${n.message}`, ...(n.hint ? [`${P} hint: ${n.hint}`] : [])];
    case 'uploaded':
      return [`${P} uploaded ${n.count} data object(s), ${humanBytes(n.bytes)}, to store remote "${n.remote}"`];
    case 'merge-conflict':
      return [
        `${P} data conflict in ${n.paths.length} path(s) changed differently on both sides:`,
        ...n.paths.map((p) => `${P}   ${p}`),
        `${P} pick a side for each with \`gitrepro resolve <path> --ours|--theirs\` (or \`gitrepro resolve --ours|--theirs\` for all), then \`git commit\``,
      ];
  }
}
