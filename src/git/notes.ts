/**
 * Records live as notes in refs/notes/gitrepro. Notes are written byte-exact (hash-object, then
 * `notes add -C`), so the canonical JSON is never reflowed by git's message cleanup.
 */
import { NOTES_REF } from '../record/rules.js';
import { CatFile } from './catfile.js';
import { git, gitMaybe, runGit } from './run.js';

/** Raw note text of a commit, or undefined. */
export async function readNote(cwd: string, commit: string, ref = NOTES_REF): Promise<string | undefined> {
  return gitMaybe(cwd, ['notes', `--ref=${ref}`, 'show', commit]).then((t) => (t === undefined ? undefined : `${t}\n`));
}

/** Map commit -> note blob for every note in the ref. */
export async function listNotes(cwd: string, ref = NOTES_REF): Promise<Map<string, string>> {
  const r = await runGit(cwd, ['notes', `--ref=${ref}`, 'list'], { ok: [0, 1, 128] });
  const out = new Map<string, string>();
  if (r.code !== 0) return out;
  for (const line of r.stdout.toString('utf8').split('\n')) {
    const [blob, commit] = line.split(' ');
    if (blob && commit) out.set(commit, blob);
  }
  return out;
}

/** Reads many notes at once: commit -> note text (absent commits have no note). */
export async function readNotes(cwd: string, commits: string[], ref = NOTES_REF): Promise<Map<string, string>> {
  const all = await listNotes(cwd, ref);
  const out = new Map<string, string>();
  const want = commits.filter((c) => all.has(c));
  if (want.length === 0) return out;
  const cat = new CatFile(cwd);
  try {
    const objs = await Promise.all(want.map((c) => cat.read(all.get(c)!)));
    want.forEach((c, i) => {
      const o = objs[i];
      if (o) out.set(c, o.content.toString('utf8'));
    });
  } finally {
    cat.close();
  }
  return out;
}

/** Writes (replacing) the note of a commit, byte-exact. */
export async function writeNote(cwd: string, commit: string, text: string, ref = NOTES_REF): Promise<void> {
  const blob = await git(cwd, ['hash-object', '-w', '--stdin'], { input: text });
  await git(cwd, ['notes', `--ref=${ref}`, 'add', '-f', '-C', blob, commit], { env: { GIT_NOTES_REF: undefined } });
}

export async function removeNote(cwd: string, commit: string, ref = NOTES_REF): Promise<void> {
  await runGit(cwd, ['notes', `--ref=${ref}`, 'remove', '--ignore-missing', commit]);
}
