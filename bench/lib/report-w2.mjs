// Renders a results file of bench/w2.mjs (W2 and/or the 1M row) as markdown: the W2 table against
// issue 11's targets, baselines and parts, the 1M row, the growth W1 -> W2 -> 1M of (b)-(d), and
// where the time goes. Called by bench/report.mjs.
import { growthOf } from './growth.mjs';
import { cellOf, hookTable, phaseLine, ratio, s } from './report-util.mjs';

export function renderW2(R, resultsDir) {
  const F = R.figures;
  const cell = cellOf(F);
  const med = (k) => F[k]?.median;
  const out = [];
  const p = (x = '') => out.push(x);
  const m = R.meta;
  const hasW2 = !!F['a.gitrepro'];
  const has1m = !!F['1m.b.gitrepro'];
  const lfsOn = !!m.cfg?.lfs;
  const sc = m.scale ?? {};
  const n = (x) => (x === undefined ? '?' : x.toLocaleString('en-US'));
  const parts = [];
  if (sc.w2) parts.push(`W2 = ${n(sc.w2.files)} × ${sc.w2.kib} KiB in ${sc.w2.dirs} dirs`);
  if (sc.m1) parts.push(`1M row = ${n(sc.m1.files)} × ${sc.m1.kib} KiB in ${sc.m1.dirs} dirs`);
  p(`Run ${m.stamp}: ${m.full ? 'full scale' : 'SMOKE scale'} (${parts.join('; ')}); ${m.git}, ${m.lfs}, node ${m.node}, ${m.hyperfine}; ${m.cpus} × ${m.cpuModel}, ${m.memGiB} GiB; gitrepro ${m.gitreproVersion} @ ${m.gitreproCommit.slice(0, 12)}${m.gitreproDirty ? ' + uncommitted changes' : ''}.`);
  for (const note of R.notes ?? []) {
    p();
    p(`Note: ${note}.`);
  }
  p();
  p('Median wall seconds (min–max, runs; "other load": CPU cores other users of the machine kept busy during the measurement). Ratios use medians; targets are issue 11\'s "Done when".');

  const target = (v, label) => (v ? `≤ ${s(v)} (${label})` : `${label} (–)`);
  const verdict = (gr, bound) => (gr && bound ? (gr <= bound ? 'met' : 'missed') : '–');
  const met = [], missed = [];
  if (hasW2) {
    const cpA = med('base.cp_r'), cpX = med('e.cp_r');
    const rows = [
      ['(a) record from scratch: add + commit', 'base.cp_r', 'a', cpA && 1.1 * cpA, '1.1 × `cp -r`'],
      ['(b) no-op commit', null, 'b', med('b.lfs'), 'git-lfs'],
      ['(c) 10 files changed: add + commit', null, 'c', med('c.lfs'), 'git-lfs'],
      ['(d) checkout c1 ↔ c2 (10 files differ), both directions', null, 'd', med('d.lfs'), 'git-lfs'],
      ['(e) push to an empty directory remote', 'e.cp_r', 'e', cpX && 2 * cpX, '2 × `cp -r`'],
      ['(f) clone + restore from it', 'e.cp_r', 'f', cpX && 2 * cpX, '2 × `cp -r`'],
    ];
    p();
    p('| step (W2) | `cp -r` | git-lfs | gitrepro | gitrepro ÷ git-lfs | target | gitrepro ÷ target |');
    p('|---|---|---|---|---|---|---|');
    for (const [label, cpKey, k, bound, boundLabel] of rows) {
      const gr = med(`${k}.gitrepro`);
      p(`| ${label} | ${cpKey ? cell(cpKey) : ''} | ${lfsOn ? cell(`${k}.lfs`) : 'not installed'} | ${cell(`${k}.gitrepro`)} | ${ratio(gr, med(`${k}.lfs`))} | ${target(bound, boundLabel)}: ${verdict(gr, bound)} | ${ratio(gr, bound)} |`);
      if (gr && bound) (gr <= bound ? met : missed).push(k);
      if (k === 'd') {
        for (const [l2, k2] of [['(d) c2 → c1', 'd.gitrepro.c2_to_c1'], ['(d) c1 → c2', 'd.gitrepro.c1_to_c2']]) {
          const kl = k2.replace('gitrepro', 'lfs');
          p(`| ${l2} | | ${lfsOn ? cell(kl) : ''} | ${cell(k2)} | ${ratio(med(k2), med(kl))} | | |`);
        }
      }
    }
    p();
    p(`(a) gitrepro ${ratio(med('a.gitrepro'), cpA)} of \`cp -r\`; push ${ratio(med('e.gitrepro'), cpX)} and clone + restore ${ratio(med('f.gitrepro'), cpX)} of \`cp -r\` (measured in the transfer phase).${lfsOn ? ` git-lfs: push ${ratio(med('e.lfs'), cpX)}, clone ${ratio(med('f.lfs'), cpX)} of \`cp -r\`.` : ''}`);
    p();
    p(`Met: ${met.length ? met.map((k) => `(${k})`).join(', ') : 'none'}. Missed: ${missed.length ? missed.map((k) => `(${k})`).join(', ') : 'none'}.${lfsOn ? '' : ' (b)–(d) have no bound without git-lfs.'}`);
    p();
    p('Baselines and parts, same run:');
    p();
    p('| measurement | median (min–max, n) |');
    p('|---|---|');
    const parts2 = [
      ['`cp -r` of data/ into each new repo (the (a) baseline; no sync)', 'base.cp_r'],
      ['`sync` right after each of those', 'base.sync_after_cp'],
      ['`cp -r` of data/ in the transfer phase (the (e)/(f) baseline; no sync)', 'e.cp_r'],
      ['`cp -r` + `sync -f` (until on disk)', 'e.cp_r_sync'],
      ['`cp -r` of data/ to tmpfs (/dev/shm)', 'e.cp_r_shm'],
      ['gitrepro push to a store remote on tmpfs (objects copied, not linked)', 'e.gitrepro_shm'],
      ['then `git push` of c1 + records (gitrepro; objects already on the store)', 'e.gitrepro.git_push'],
      ['then `git push` of c1 (git-lfs; objects already there)', 'e.lfs.git_push'],
      ['node sha256 of W2, 1 thread', 'base.sha256_1thread'],
      ['node sha256 of W2, 2 threads', 'base.sha256_2threads'],
      ['`node -e 0`', 'base.node_start'],
      ['`gitrepro --version`', 'base.gitrepro_version'],
      ['(a) gitrepro: `gitrepro add`', 'a.gitrepro.add'],
      ['(a) gitrepro: `git commit`', 'a.gitrepro.commit'],
      ['(a) gitrepro: detached flusher, after commit returned', 'a.gitrepro.flusher_after'],
      ['(a) git-lfs: `git add data`', 'a.lfs.add'],
      ['(a) git-lfs: `git commit`', 'a.lfs.commit'],
      ['(b) gitrepro: detached flusher after commit returned', 'b.gitrepro.flusher_after'],
      ['(b) gitrepro: CPU of one detached flusher', 'b.gitrepro.flusher_cpu'],
      ['(b) gitrepro, `GITREPRO_SYNC_RECORDS=1`', 'b.gitrepro.sync_records'],
      ['(b) gitrepro repo, `GITREPRO_SKIP=1` (shims start, exit)', 'b.gitrepro.skip'],
      ['(b) gitrepro repo, hooks off', 'b.gitrepro.no_hooks'],
      ['`gitrepro hook post-checkout 0 0 0` (node floor of a hook)', 'b.gitrepro.hook_floor'],
      ['pre-commit change check `gr_changed` (find -cnewer)', 'b.gitrepro.find_cnewer'],
    ];
    for (const [label, k] of parts2) if (F[k]) p(`| ${label} | ${cell(k)} |`);
  }

  if (has1m) {
    p();
    p(`1M row (${n(sc.m1?.files)} files): (a) made the repos (one run, not a target); (b)–(d) as W2.`);
    p();
    p('| step (1M) | `cp -r` | git-lfs | gitrepro | gitrepro ÷ git-lfs | target |');
    p('|---|---|---|---|---|---|');
    const lfs1m = !!F['1m.b.lfs'];
    p(`| (a) record from scratch: add + commit | ${cell('1m.base.cp_r')} | ${lfs1m ? cell('1m.a.lfs') : 'left out'} | ${cell('1m.a.gitrepro')} | ${ratio(med('1m.a.gitrepro'), med('1m.a.lfs'))} | – |`);
    for (const [label, k] of [['(b) no-op commit', 'b'], ['(c) 10 files changed: add + commit', 'c'], ['(d) checkout c1 ↔ c2, both directions', 'd']]) {
      const gr = med(`1m.${k}.gitrepro`), lf = med(`1m.${k}.lfs`);
      p(`| ${label} | | ${lfs1m ? cell(`1m.${k}.lfs`) : 'left out'} | ${cell(`1m.${k}.gitrepro`)} | ${ratio(gr, lf)} | ≤ git-lfs: ${verdict(gr, lf)} |`);
    }
    if (R.extra?.lfs1m?.estimateS !== undefined) p(`\ngit-lfs (a) at 1M was estimated at ${R.extra.lfs1m.estimateS} s (${R.extra.lfs1m.per100kS} s per 100,000 files, from ${R.extra.lfs1m.from}; limit ${R.extra.lfs1m.maxS} s).`);
  }

  const G = R.growth?.rows?.length ? R.growth : growthOf(R, resultsDir);
  if (G.rows.length > 1) {
    p();
    p('Growth of the everyday steps with the file count (median seconds; ×: factor from the previous column):');
    p();
    p(`| step | tool | ${G.rows.map((r) => `${r.label} (${n(r.files)} files)`).join(' | ')} |`);
    p(`|---|---|${G.rows.map(() => '---').join('|')}|`);
    for (const [label, k] of [['(b) no-op commit', 'b'], ['(c) 10 files changed', 'c'], ['(d) checkout', 'd']]) {
      for (const t of ['gitrepro', 'lfs']) {
        if (!G.rows.some((r) => r[k][t])) continue;
        const cells = G.rows.map((r, i) => {
          const v = r[k][t];
          const prev = i ? G.rows[i - 1][k][t] : null;
          return v === null ? '–' : `${s(v)}${prev ? ` (${(v / prev).toFixed(1)}×)` : ''}`;
        });
        p(`| ${label} | ${t === 'lfs' ? 'git-lfs' : t} | ${cells.join(' | ')} |`);
      }
    }
    p();
    p(`Sources: ${G.rows.map((r) => `${r.label} ${r.source}`).join('; ')}.`);
  }

  // -------------------------------------------------------------- where the time goes
  const B = R.breakdown ?? {};
  const where = (kp, title) => {
    const lists = [[`(b) no-op commit, gitrepro`, B[`${kp}b.gitrepro`]], ['(b) no-op commit, git-lfs', B[`${kp}b.lfs`]], ['(c) git commit after `gitrepro add`', B[`${kp}c`]?.commit], ['(d) checkout, gitrepro', B[`${kp}d`]?.checkout], ['(d) checkout, git-lfs', B[`${kp}d.lfs`]]];
    if (!lists.some(([, l]) => l)) return;
    p();
    p(`Where the time goes, ${title} (GIT_TRACE2_EVENT on extra runs, ms; medians over the runs): each hook's wall time and the time of the git processes it ran.`);
    for (const [t, list] of lists) if (list) hookTable(p, t, list);
    const c = B[`${kp}c`];
    if (c?.addGit) {
      p();
      p(`(c) \`gitrepro add\` median ${s(c.addS.median)} s, \`git commit\` median ${s(c.commitS.median)} s; add's git calls: ${c.addGit.map((g) => `${g.n} calls ${g.gitMs} ms`).join('; ')}.`);
    }
    p();
    p(`GITREPRO_TRACE=1 phases, ${title} (ms since the CLI module started; one run each, all node processes of the command in order):`);
    p();
    for (const [t, lines] of [['(a) gitrepro add', B[`${kp}a`]?.addTrace], ['(a) git commit', B[`${kp}a`]?.commitTrace], ['(b) no-op commit', B[`${kp}b.gitrepro.gitreproTrace`]?.at(-1)], ['(c) gitrepro add', c?.addTrace?.at(-1)], ['(c) git commit', c?.commitTrace?.at(-1)], ['(d) checkout', B[`${kp}d`]?.gitreproTrace?.at(-1)]]) {
      if (lines) p(`- ${t}: ${phaseLine(lines)}`);
    }
    p();
    p('"(none)": no gitrepro node process ran in the foreground (the pre-commit hook\'s shell fast path; post-commit detaches the record flusher, whose stderr goes to /dev/null).');
  };
  if (hasW2) where('', 'W2');
  for (const [k, title] of [['e', '(e) gitrepro push'], ['f', '(f) gitrepro clone + install']]) {
    const b = B[k];
    if (!b) continue;
    p();
    p(`${title}, one extra run: ${s(b.wallS)} s; git calls: ${b.git?.n ?? 0}, ${b.git?.gitMs ?? 0} ms (${Object.entries(b.git?.bySub ?? {}).map(([c, x]) => `${c} ×${x.n} ${x.ms}`).join(', ')}).`);
    p();
    p(`- phases: ${phaseLine(b.gitreproTrace)}`);
    if (b.strace) {
      const st = b.strace;
      const fmt = (x) => `${x.syscall} ${x.calls}${x.errors ? ` (${x.errors} failed)` : ''}`;
      const noted = /^(link|linkat|rename|renameat2?|mkdir|mkdirat|fsync|fdatasync|syncfs|sync_file_range|copy_file_range|sendfile|unlink|unlinkat|clone3?|vfork|execve|wait4)$/;
      const rest = st.top.slice(12).filter((x) => noted.test(x.syscall));
      p(`- syscalls (\`strace -f -c\`, another run, ${s(st.wallS)} s under strace): ${st.total?.calls ?? '?'} calls, ${st.total?.errors ?? 0} failed; most frequent: ${st.top.slice(0, 12).map(fmt).join(', ')}${rest.length ? `; also ${rest.map(fmt).join(', ')}` : ''}`);
    }
  }
  if (has1m) where('1m.', 'the 1M row');
  if (R.extra?.space) {
    const sp = R.extra.space;
    p();
    p(`Space: estimated need ${(sp.needEstimate.bytes / 2 ** 30).toFixed(1)} GiB / ${n(sp.needEstimate.inodes)} inodes; used (df before/after, other users included) ${sp.usedGiB ?? '?'} GiB / ${n(sp.usedInodes)} inodes.`);
  }
  const busy = (R.quiet ?? []).filter((q) => q.busyPct > (m.cfg.quietPct ?? 20));
  if (busy.length) {
    p();
    p(`Machine busy before: ${busy.map((q) => `${q.label} ${q.busyPct}%`).join(', ')}`);
  }
  return out.join('\n');
}
