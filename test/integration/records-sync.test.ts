/**
 * Issue 3, behaviour 3: no record is ever lost. Two clones commit, pull and push in turn; their
 * records meet in tracking refs and are merged (union), and a rejected records push fetches,
 * merges and retries without forcing.
 */
import { describe, expect, it } from 'vitest';
import { cloneOf, notesIn, project, refsIn } from '../helpers/remote.js';

describe('records from two clones never overwrite each other', () => {
  it('two clones commit, pull and push in turn: every commit on origin keeps its record', () => {
    const { r: a, bare } = project();
    a.write('data/seed.txt', 'seed\n');
    a.commit('seed');
    a.git(['push', '-q', '-u', 'origin', 'main']);
    const b = cloneOf(a, bare, 'b');
    let rejectedOnce = false;
    for (let round = 1; round <= 2; round++) {
      for (const [who, c] of [['a', a], ['b', b]] as const) {
        c.write(`data/${who}${round}.txt`, `${who} round ${round}\n`);
        c.write(`code-${who}.py`, `round = ${round}\n`);
        c.commit(`${who} round ${round}`);
        // the other clone pushed meanwhile: the branch push is rejected, the records push retried
        const first = c.git(['push', 'origin', 'main'], { ok: [0, 1] });
        if (first.code !== 0) {
          rejectedOnce = true;
          c.git(['pull', '-q', '--no-rebase', '--no-edit']);
          c.git(['push', '-q', 'origin', 'main']);
        }
      }
    }
    expect(rejectedOnce).toBe(true);
    a.git(['pull', '-q', '--no-rebase', '--no-edit']);
    expect(a.manifest()).toEqual(b.manifest());
    const notes = notesIn(bare, a.env);
    const commits = a.git(['rev-list', 'origin/main']).stdout.trim().split('\n');
    expect(commits.length).toBeGreaterThanOrEqual(5);
    for (const c of commits) {
      const text = notes.get(c);
      expect(text, `record of ${c} on origin`).toBeDefined();
      const recs = [JSON.parse(text!)].flat();
      expect(recs[0].schema).toBe('gitrepro.record/v1');
      const lock = a.git(['show', `${c}:gitrepro.lock`]).stdout;
      expect(lock).toContain(`tree ${recs[0].data.tree}`);
    }
    // both record chains stay reachable: the notes history on origin holds merges of the two
    const merges = a.git(['rev-list', '--merges', refsIn(bare, a.env).get('refs/notes/gitrepro')!]).stdout.trim();
    expect(merges).not.toBe('');
  });

  it('the same commit recorded differently in two clones: the note keeps both records (a JSON array)', () => {
    const { r: a, bare } = project();
    a.write('data/x.txt', 'x\n');
    a.commit('x');
    a.git(['push', '-q', '-u', 'origin', 'main']);
    const b = cloneOf(a, bare, 'b');
    const c = a.head();
    const recA = a.record(c);
    // b re-records the commit (e.g. a later `gitrepro record --force` in another environment)
    b.gr(['record', '--force', c]);
    const recB = b.record(c);
    expect(recB.recordedLater).toBe(true);
    b.gr(['push', '--records']);
    // a's note differs from origin's: its own next push merges instead of overwriting
    a.write('data/y.txt', 'y\n');
    a.commit('y');
    a.git(['push', '-q', 'origin', 'main']);
    const onOrigin = JSON.parse(notesIn(bare, a.env).get(c)!);
    expect(Array.isArray(onOrigin)).toBe(true);
    expect(onOrigin).toHaveLength(2);
    expect(onOrigin).toContainEqual(recA);
    expect(onOrigin).toContainEqual(recB);
    // and b learns it with a fetch
    b.gr(['fetch']);
    expect(b.record(c)).toEqual(onOrigin);
    expect(b.gr(['show', c]).stdout.match(/record: /g)).toHaveLength(2);
  });
});

describe('git pull --rebase', () => {
  it('rebases local data commits onto the pulled ones: each rewritten commit has its record, the work tree ends with the merged data', () => {
    const { r: a, bare } = project();
    a.write('data/seed.txt', 'seed\n');
    a.commit('seed');
    a.git(['push', '-q', '-u', 'origin', 'main']);
    const b = cloneOf(a, bare, 'b');
    a.write('data/from-a.txt', 'a\n');
    a.commit('a adds data');
    a.git(['push', '-q', 'origin', 'main']);
    b.write('data/from-b.txt', 'b\n');
    b.commit('b adds data');
    b.git(['pull', '-q', '--rebase']);
    expect(b.git(['log', '--format=%s']).stdout.trim().split('\n')).toEqual(['b adds data', 'a adds data', 'seed']);
    expect(Object.keys(b.manifest()).sort()).toEqual(['data/from-a.txt', 'data/from-b.txt', 'data/seed.txt']);
    const rec = b.record();
    expect(rec.data.tree).toBe(/^tree ([0-9a-f]+)$/m.exec(b.git(['show', 'HEAD:gitrepro.lock']).stdout)![1]);
    expect(rec.data.files).toBe(3);
    expect(b.grJson(['status']).clean).toBe(true);
    b.git(['push', '-q', 'origin', 'main']);
  });
});
