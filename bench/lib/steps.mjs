// Steps (a)-(d) of the everyday benchmark, shared by W1 (bench/w1.mjs), W2 and the 1M row
// (bench/w2.mjs): (a) first recording (add + commit) in fresh repos, with `cp -r` of the data into
// each repo as the baseline; (b) no-op commit; (c) 10 files changed, add + commit; (d) checkout
// between c1 and c2 (10 files differ). Figures with hyperfine (or a wall clock for (a)),
// breakdown runs (GIT_TRACE2_EVENT, GITREPRO_TRACE=1, optionally node --cpu-prof) after them.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { summarizeProfileDir } from './cpuprof.mjs';
import { BENCH, stats } from './harness.mjs';
import { gitCallsUnder, parseTrace2, summarize } from './trace2.mjs';

/**
 * `WL`, the workload: { SRC (generated tree: data/ and the manifests), man1, man2 (manifests of
 * c1 and c2), verify(man) (command verifying the work tree `.` against a manifest), variant(k)
 * (command writing variant k of the 10 files in `.`), modLabel (what writes c2's content, for the
 * log), dataLabel (e.g. "W1", for notes), entries (how many entries data/ holds, for a note) }.
 * `o`: { kp (figure/breakdown key prefix), dirPrefix (repo dir names), tools (gitrepro, lfs),
 * plain, anchored (a second gitrepro repo tracking `/data/`), prof (a repo run with --cpu-prof),
 * extrasB (the (b) variants: sync records, skip, hooks off, hook floor, find -cnewer), pattern,
 * roundsA, extraRoundsA, runs, runsC, runsD, gitreproInit (shell run in a new gitrepro repo
 * after install and track), aTimeoutMs ({ tool: ms }: an (a) that takes longer is abandoned),
 * deferGc (gc.auto=0 everywhere; one `git gc` of each main repo after the last (a) round) }.
 */
export function createSteps(H, WL, o) {
  const { sh, traced, timed, log, fig, hyperfine, check, warm, waitFlusher, waitGc, waitQuiet, cpuSnap, otherCores } = H;
  const { cfg, W, results } = H;
  const kp = o.kp ?? '';
  const K = (k) => kp + k;
  const SRC = WL.SRC;
  const MAN1 = WL.man1;
  const MAN2 = WL.man2;
  mkdirSync(path.join(W, 'trace'), { recursive: true });
  const S = { cpTimes: [], syncTimes: [], lastCp: undefined, main: {}, watched: [], tools: o.tools, A: { gitrepro: [], lfs: [], plain: [] }, skipped: {} };

  // -------------------------------------------------------------- repos and (a)
  function newRepo(name, tool, pattern, env = {}) {
    const dir = path.join(W, (o.dirPrefix ?? '') + name);
    mkdirSync(dir);
    sh('git init -q .', { cwd: dir });
    sh('echo "print(1)" > code.txt', { cwd: dir });
    if (tool === 'gitrepro') {
      sh(`gitrepro install >/dev/null && gitrepro track '${pattern}' >/dev/null${o.gitreproInit ? ` && ${o.gitreproInit}` : ''}`, { cwd: dir, env });
    } else if (tool === 'lfs') {
      sh(`git lfs install --local >/dev/null && git lfs track 'data/**' >/dev/null`, { cwd: dir });
    }
    // plain git: the data goes into git itself; a gc of W1's 668 MiB of loose objects would take minutes.
    // deferGc: no automatic gc at all (a detached `gc --auto` after (a) would delete 100,000 loose
    // objects of git-lfs's pointers while the next round creates files); main repos are gc'ed once
    // after every (a) round is done
    if (tool === 'plain' || o.deferGc) sh('git config gc.auto 0', { cwd: dir });
    if (o.fsmonitor) {
      // Watchman for every tool: gitrepro's probe, and git's index refresh for git-lfs and git
      if (tool === 'gitrepro') sh('git config gitrepro.fsmonitor watchman', { cwd: dir });
      else sh('cp .git/hooks/fsmonitor-watchman.sample .git/hooks/fsmonitor-watchman && git config core.fsmonitor .git/hooks/fsmonitor-watchman && git config core.untrackedCache true', { cwd: dir });
      S.watched.push(dir);
    }
    sh('git add -A && git commit -q -m init', { cwd: dir, env });
    waitFlusher(dir);
    // the data arrives by `cp -r`: that is also the cp baseline
    warm(SRC, 'data');
    sh('sync');
    const cp = timed(`cp -r ${SRC}/data ${dir}/data`);
    S.cpTimes.push(cp);
    S.syncTimes.push(timed('sync'));
    log(`  ${(o.dirPrefix ?? '') + name}: cp -r ${cp.toFixed(3)} s`);
    S.lastCp = cp;
    return dir;
  }
  function firstRecording(dir, tool, key, instrument, extraEnv = {}) {
    warm(dir, 'data');
    sh('sync');
    waitQuiet(key);
    const env = { ...extraEnv };
    if (instrument) {
      env.GIT_TRACE2_EVENT = path.join(W, 'trace', `${key}.json`);
      env.GIT_TRACE2_PARENT_SID = `bench-${key}-add`;
      mkdirSync(path.dirname(env.GIT_TRACE2_EVENT), { recursive: true });
    }
    const addCmd = tool === 'gitrepro' ? 'gitrepro add > /dev/null' : 'git add data';
    if (instrument) {
      const t0 = performance.now();
      // execve-only strace: how long the `sync -f` (syncfs) child ran. With it and the cpu profile
      // this run's add is ~3x slower than a measured one: use its proportions, not its times.
      const st = path.join(W, 'trace', `${key}.strace`);
      const haveStrace = sh('command -v strace', { ok: true }).trim() !== '';
      const addTrace = traced(haveStrace ? `strace -f --seccomp-bpf -tt -e trace=execve -o ${st} ${addCmd}` : addCmd, { cwd: dir, env });
      const tA = (performance.now() - t0) / 1000;
      const t1 = performance.now();
      const commitTrace = traced('git commit -q -m c1', { cwd: dir, env: { ...extraEnv, GIT_TRACE2_EVENT: env.GIT_TRACE2_EVENT } });
      const tC = (performance.now() - t1) / 1000;
      waitFlusher(dir);
      log(`  ${key}: add ${tA.toFixed(3)} s + commit ${tC.toFixed(3)} s (traced, not a figure)`);
      return { add: tA, commit: tC, total: tA + tC, addTrace, commitTrace, children: H.straceChildren(st), c1: sh('git rev-parse HEAD', { cwd: dir }).trim() };
    }
    // gitrepro's phase marks (GITREPRO_TRACE=1, a dozen lines on stderr) come with every round
    const timeoutMs = o.aTimeoutMs?.[tool];
    const snap0 = cpuSnap();
    let t0 = performance.now();
    const addPhases = tool === 'gitrepro' ? traced(addCmd, { cwd: dir, env }) : (sh(addCmd, { cwd: dir, env, timeoutMs }), undefined);
    const tAdd = (performance.now() - t0) / 1000;
    t0 = performance.now();
    const commitPhases = tool === 'gitrepro' ? traced('git commit -q -m c1', { cwd: dir, env: extraEnv }) : (sh('git commit -q -m c1', { cwd: dir, env: extraEnv, timeoutMs: timeoutMs && Math.max(60000, timeoutMs - tAdd * 1000) }), undefined);
    const tCommit = (performance.now() - t0) / 1000;
    const other = otherCores(snap0, cpuSnap());
    const tf0 = performance.now();
    waitFlusher(dir);
    const flushS = (performance.now() - tf0) / 1000;
    const gcRan = existsSync(path.join(dir, '.git', 'gc.pid'));
    waitGc(dir);
    if (tool !== 'plain' && !o.deferGc) sh('git gc -q', { cwd: dir }); // steady state for later figures (untimed)
    const c1 = sh('git rev-parse HEAD', { cwd: dir }).trim();
    log(`  ${key}: add ${tAdd.toFixed(3)} s + commit ${tCommit.toFixed(3)} s = ${(tAdd + tCommit).toFixed(3)} s${tool === 'gitrepro' ? `; detached flusher ran ${flushS.toFixed(3)} s more` : ''}${gcRan ? '; git gc --auto started' : ''}; other users' load ${other} cores`);
    return { add: tAdd, commit: tCommit, total: tAdd + tCommit, flushS, c1, other, clean: other <= cfg.maxOther, cp: S.lastCp, addPhases, commitPhases };
  }
  const profEnv = (phase) => {
    const d = path.join(W, 'prof', kp + phase);
    mkdirSync(d, { recursive: true });
    return { PATH: H.PROF_PATH, GITREPRO_BENCH_PROF: d };
  };

  S.stepA = () => {
    const { A, main } = S;
    let tools = o.tools;
    log(`(a) first recording, ${o.roundsA} round(s) per tool, a fresh repo each`);
    // a round disturbed by other users' load is repeated in a fresh repo (BENCH_EXTRA_ROUNDS_A more at most)
    for (let i = 1; i <= o.roundsA + o.extraRoundsA; i++) {
      for (const tool of tools) {
        if (A[tool].filter((r) => r.clean).length >= o.roundsA) continue;
        const dir = newRepo(`${tool}${i}`, tool, o.pattern);
        let r;
        try {
          r = firstRecording(dir, tool, K(`a.${tool}.${i}`), false);
        } catch (e) {
          if (!e.timedOut) throw e;
          // only an (a) with a time limit (git-lfs at 1M) gets here: that tool is left out
          S.skipped[tool] = `(a) did not finish within ${Math.round(o.aTimeoutMs[tool] / 1000)} s`;
          log(`  ${K(`a.${tool}.${i}`)}: ${S.skipped[tool]}; ${tool} is left out of the following steps`);
          H.aside(dir);
          tools = tools.filter((t) => t !== tool);
          continue;
        }
        A[tool].push(r);
        if (i === 1) main[tool] = { dir, c1: r.c1 };
      }
    }
    S.tools = tools;
    const useA = (rs) => (rs.some((r) => r.clean) ? rs.filter((r) => r.clean) : rs);
    results.extra[K('aRounds')] = Object.fromEntries(Object.entries(A).map(([t, rs]) => [t, rs.map(({ c1, ...r }) => r)]));
    let aAnch, aPlain;
    if (o.anchored) {
      // gitrepro with an anchored pattern (walk root data/ instead of the whole work tree): its own (a)
      S.anch = newRepo('gitrepro-anchored', 'gitrepro', '/data/');
      aAnch = firstRecording(S.anch, 'gitrepro', K('a.gitrepro_anchored'), false);
    }
    if (o.prof) {
      // instrumented first recording (trace2 + cpu profile): breakdown only
      S.prof = newRepo('gitrepro-prof', 'gitrepro', o.pattern, { PATH: H.PROF_PATH });
      S.aProf = firstRecording(S.prof, 'gitrepro', K('a.gitrepro_instrumented'), true, profEnv('a'));
    }
    if (o.plain) {
      const dir = newRepo('plain1', 'plain');
      aPlain = firstRecording(dir, 'plain', K('a.plain'), false);
      main.plain = { dir, c1: aPlain.c1 };
    }
    for (const tool of tools) {
      const rs = useA(A[tool]);
      fig(K(`a.${tool}`), rs.map((r) => r.total));
      Object.assign(results.figures[K(`a.${tool}`)], { otherCores: rs.map((r) => r.other), roundsDisturbed: A[tool].filter((r) => !r.clean).length });
      fig(K(`a.${tool}.add`), rs.map((r) => r.add));
      fig(K(`a.${tool}.commit`), rs.map((r) => r.commit));
    }
    fig(K('a.gitrepro.flusher_after'), A.gitrepro.map((r) => r.flushS), 'detached record flusher, wall after git commit returned');
    if (aAnch) {
      fig(K('a.gitrepro_anchored'), [aAnch.total]);
      results.figures[K('a.gitrepro_anchored')].otherCores = aAnch.other;
    }
    if (aPlain) {
      fig(K('a.plain'), [aPlain.total], `${WL.dataLabel} committed into git itself (reference)`);
      results.figures[K('a.plain')].otherCores = aPlain.other;
    }
    fig(K('base.cp_r'), S.cpTimes, '`cp -r` of data/, source warm, no sync');
    fig(K('base.sync_after_cp'), S.syncTimes, '`sync` right after each `cp -r` (writeback of the copy)');
    if (o.deferGc) {
      // steady state for later figures (untimed): the main repos only, after the last (a) round
      const gc = {};
      for (const t of tools) {
        const dir = main[t].dir;
        const loose = Number(/^count: (\d+)/m.exec(sh('git count-objects -v', { cwd: dir }))?.[1] ?? 0);
        gc[t] = { looseBefore: loose, s: Math.round(timed('git gc -q', { cwd: dir }) * 1000) / 1000 };
        log(`  ${kp}${t}: git gc ${gc[t].s} s (untimed; ${loose} loose objects packed and deleted)`);
      }
      results.extra[K('gcAfterA')] = gc;
    }
    S.allTools = [...tools, ...(o.plain ? ['plain'] : [])];
    for (const t of S.allTools) check(`${kp}${t} work tree after (a) = c1`, WL.verify(MAN1), main[t].dir);
    if (o.prof) {
      const tr = parseTrace2(path.join(W, 'trace', `${K('a.gitrepro_instrumented')}.json`));
      const aProf = S.aProf;
      results.breakdown[K('a')] = {
        addS: aProf.add, commitS: aProf.commit, addTrace: aProf.addTrace, commitTrace: aProf.commitTrace, addChildren: aProf.children,
        addGit: gitCallsUnder(tr, `bench-${K('a.gitrepro_instrumented')}-add`),
        commit: summarize(tr, ['git', 'commit']),
        cpuProfiles: summarizeProfileDir(path.join(W, 'prof', K('a'))),
      };
    } else {
      // the phase marks of the measured rounds
      const r = A.gitrepro[0];
      results.breakdown[K('a')] = { addS: r.add, commitS: r.commit, addTrace: r.addPhases, commitTrace: r.commitPhases };
    }
  };

  // -------------------------------------------------------------- (b) no-op commit
  const prepEnv = (dir, tool, extra = {}) => ({ BENCH_REPO: dir, BENCH_TOOL: tool, ...(WL.prepEnv ?? {}), ...extra });
  const prep = (step, ...args) => `bash ${BENCH}/lib/prep.sh ${step}${args.length ? ' ' + args.join(' ') : ''}`;
  S.prep = prep;
  S.prepEnv = prepEnv;
  S.stepB = () => {
    const { main, anch } = S;
    log('(b) no-op commit: a one-line change of code.txt, staged, then `git commit -q -m n`');
    const flushLog = path.join(W, `${kp}flush-b.txt`);
    for (const t of S.allTools) {
      hyperfine(K(`b.${t}`), { cwd: main[t].dir, cmd: 'git commit -q -m n', prepare: prep('noop'), runs: o.runs, env: prepEnv(main[t].dir, t, t === 'gitrepro' ? { BENCH_FLUSH_LOG: flushLog } : {}) });
    }
    waitFlusher(main.gitrepro.dir);
    {
      const waits = readFileSync(flushLog, 'utf8').trim().split('\n').map(Number).slice(1); // first one precedes the first run
      fig(K('b.gitrepro.flusher_after'), waits, 'wall the detached record flusher still ran after git commit returned');
    }
    {
      // CPU of one detached flusher (children included): the last 5 logged are (b)'s
      const cpu = (existsSync(H.FLUSH_CPU) ? readFileSync(H.FLUSH_CPU, 'utf8') : '').trim().split('\n').map(Number).filter((x) => x > 0).slice(-5);
      if (cpu.length) fig(K('b.gitrepro.flusher_cpu'), cpu, 'CPU seconds of one detached record flusher, its git children included');
    }
    if (anch) {
      hyperfine(K('b.gitrepro_anchored'), { cwd: anch, cmd: 'git commit -q -m n', prepare: prep('noop'), runs: o.runs, env: prepEnv(anch, 'gitrepro') });
      waitFlusher(anch);
    }
    if (o.extrasB) {
      const g = main.gitrepro.dir;
      hyperfine(K('b.gitrepro.sync_records'), { cwd: g, cmd: 'git commit -q -m n', prepare: prep('noop'), runs: o.runs, env: { ...prepEnv(g, 'gitrepro'), GITREPRO_SYNC_RECORDS: '1' }, note: 'GITREPRO_SYNC_RECORDS=1: post-commit writes the record before git returns' });
      hyperfine(K('b.gitrepro.skip'), { cwd: g, cmd: 'git commit -q -m n', prepare: prep('noop'), runs: o.runs, env: { ...prepEnv(g, 'gitrepro'), GITREPRO_SKIP: '1' }, note: 'GITREPRO_SKIP=1: the sh shims start and exit' });
      hyperfine(K('b.gitrepro.no_hooks'), { cwd: g, cmd: 'git -c core.hooksPath=/dev/null commit -q -m n', prepare: prep('noop'), runs: o.runs, env: prepEnv(g, 'gitrepro'), note: 'same repo, hooks off: git alone' });
      hyperfine(K('b.gitrepro.hook_floor'), { cwd: g, cmd: 'gitrepro hook post-checkout 0 0 0', runs: o.runs, note: 'node start + hook module load, handler returns at once' });
      if (existsSync(path.join(g, '.git', 'gitrepro', 'fast'))) {
        hyperfine(K('b.gitrepro.find_cnewer'), { cwd: g, cmd: '. .git/gitrepro/fast; gr_changed .git/gitrepro/stamp', shellNone: false, runs: o.runs, note: 'the pre-commit fast path\'s change check (find -cnewer) with root ., which stops at the first changed path' });
        if (anch) hyperfine(K('b.gitrepro_anchored.find_cnewer'), { cwd: anch, cmd: '. .git/gitrepro/fast; gr_changed .git/gitrepro/stamp', shellNone: false, runs: 30, warmup: 5, note: `the same check over data/ when nothing changed: a full traversal of ${WL.entries} entries` });
      }
    }
    // instrumented no-op commits
    for (const [name, dir] of [['gitrepro', main.gitrepro.dir], ...(anch ? [['gitrepro_anchored', anch]] : []), ...(main.lfs ? [['lfs', main.lfs.dir]] : [])]) {
      const tf = path.join(W, 'trace', `${K(`b.${name}`)}.json`);
      const phases = [];
      for (let i = 0; i < 3; i++) {
        sh(prep('noop'), { env: prepEnv(dir, name) });
        phases.push(traced('git commit -q -m traced', { cwd: dir, env: { GIT_TRACE2_EVENT: tf } }));
      }
      waitFlusher(dir);
      results.breakdown[K(`b.${name}`)] = summarize(parseTrace2(tf), ['git', 'commit']);
      results.breakdown[K(`b.${name}.gitreproTrace`)] = phases;
    }
    if (S.prof) {
      sh(prep('noop'), { env: prepEnv(S.prof, 'gitrepro') });
      const env = profEnv('b');
      sh('git commit -q -m profiled', { cwd: S.prof, env });
      waitFlusher(S.prof);
      results.breakdown[K('b.gitrepro.cpuProfiles')] = summarizeProfileDir(env.GITREPRO_BENCH_PROF);
    }
  };

  // -------------------------------------------------------------- (c) 10 files changed
  S.stepC = () => {
    const { main, anch } = S;
    log(`(c) 10 files changed: ${o.runsC} rounds of new content, the last one is \`${WL.modLabel}\` (= c2)`);
    const cCmd = { gitrepro: 'gitrepro add > /dev/null && git commit -q -m c', lfs: 'git add data && git commit -q -m c', plain: 'git add data && git commit -q -m c' };
    if (anch) {
      // anchored pattern: whether the pre-commit fast path spares the commit its second scan
      writeFileSync(path.join(anch, '.git', 'bench-variant'), '0');
      hyperfine(K('c.gitrepro_anchored'), { cwd: anch, cmd: cCmd.gitrepro, shellNone: false, runs: o.runsC, warmup: 1, prepare: prep('variant', o.runsC + 1), env: prepEnv(anch, 'gitrepro'), before: (n) => (writeFileSync(path.join(anch, '.git', 'bench-variant'), '0'), { BENCH_VARIANT_BASE: String(n * 100) }) });
      waitFlusher(anch);
      check(`${kp}gitrepro (anchored) work tree after (c) = c2`, WL.verify(MAN2), anch);
    }
    for (const t of S.allTools) {
      const dir = main[t].dir;
      const before = (attempt) => {
        writeFileSync(path.join(dir, '.git', 'bench-variant'), '0');
        return { BENCH_VARIANT_BASE: String(attempt * 100) };
      };
      hyperfine(K(`c.${t}`), { cwd: dir, cmd: cCmd[t], shellNone: false, runs: o.runsC, warmup: 1, prepare: prep('variant', o.runsC + 1), env: prepEnv(dir, t), before });
      waitFlusher(dir);
      main[t].c2 = sh('git rev-parse HEAD', { cwd: dir }).trim();
      check(`${kp}${t} work tree after (c) = c2`, WL.verify(MAN2), dir);
      const changed = t === 'gitrepro'
        ? `git diff-tree -r --name-only $(git show ${main[t].c1}:gitrepro.lock | awk '$1=="tree"{print $2}') $(git show ${main[t].c2}:gitrepro.lock | awk '$1=="tree"{print $2}')`
        : `git diff --name-only ${main[t].c1} ${main[t].c2} -- data`;
      check(`${kp}${t}: c1 and c2 differ in exactly the 10 data files`, `n=$(${changed} | wc -l); echo "$n files differ"; [ "$n" = 10 ]`, dir);
    }
    {
      // instrumented rounds: add and commit timed apart, git calls traced, then one cpu profile
      const dir = main.gitrepro.dir;
      const tf = path.join(W, 'trace', `${K('c.gitrepro')}.json`);
      const adds = [], commits = [], addTrace = [], commitTrace = [];
      for (let i = 0; i < 3; i++) {
        sh(`${WL.variant(1000 + i)} && sync`, { cwd: dir });
        warmFor(dir);
        let t0 = performance.now();
        addTrace.push(traced('gitrepro add > /dev/null', { cwd: dir, env: { GIT_TRACE2_EVENT: tf, GIT_TRACE2_PARENT_SID: `bench-c-add-${i}` } }));
        adds.push((performance.now() - t0) / 1000);
        t0 = performance.now();
        commitTrace.push(traced('git commit -q -m c-traced', { cwd: dir, env: { GIT_TRACE2_EVENT: tf } }));
        commits.push((performance.now() - t0) / 1000);
        waitFlusher(dir);
      }
      const tr = parseTrace2(tf);
      results.breakdown[K('c')] = {
        addS: stats(adds), commitS: stats(commits), addTrace, commitTrace,
        addGit: [0, 1, 2].map((i) => gitCallsUnder(tr, `bench-c-add-${i}`)),
        commit: summarize(tr, ['git', 'commit']),
      };
      if (S.prof) {
        const prof = S.prof;
        sh(`${WL.variant(2000)} && sync`, { cwd: prof });
        warm(prof);
        const penv = profEnv('c');
        const pdir = penv.GITREPRO_BENCH_PROF;
        sh('gitrepro add > /dev/null && git commit -q -m c-profiled', { cwd: prof, env: penv });
        waitFlusher(prof);
        main.prof = { c1: S.aProf.c1, c2: sh('git rev-parse HEAD', { cwd: prof }).trim() };
        results.breakdown[K('c')].cpuProfiles = summarizeProfileDir(pdir);
      }
    }
  };
  // W1 warms everything read; BENCH_WARM=meta (the 1M row) warms metadata and git's own files
  const warmFor = (dir) => (WL.prepEnv?.BENCH_WARM === 'meta' ? sh(`bash ${BENCH}/lib/prep.sh warm`, { env: prepEnv(dir, 'gitrepro') }) : warm(dir));

  // -------------------------------------------------------------- (d) checkout c1 <-> c2
  S.stepD = () => {
    const { main } = S;
    log('(d) checkout between c1 and c2 (10 files differ); every state verified against its manifest');
    for (const t of S.allTools) {
      const { dir, c1, c2 } = main[t];
      const both = [c1, MAN1, c2, MAN2];
      hyperfine(K(`d.${t}.c2_to_c1`), { cwd: dir, cmd: `git checkout -q ${c1}`, runs: o.runsD, warmup: 1, prepare: prep('checkout', c2, MAN2, ...both), env: prepEnv(dir, t) });
      check(`${kp}${t} after checkout c1`, WL.verify(MAN1), dir);
      hyperfine(K(`d.${t}.c1_to_c2`), { cwd: dir, cmd: `git checkout -q ${c2}`, runs: o.runsD, warmup: 1, prepare: prep('checkout', c1, MAN1, ...both), env: prepEnv(dir, t) });
      check(`${kp}${t} after checkout c2`, WL.verify(MAN2), dir);
      const f1 = results.figures[K(`d.${t}.c2_to_c1`)], f2 = results.figures[K(`d.${t}.c1_to_c2`)];
      fig(K(`d.${t}`), [...f1.times, ...f2.times], 'both directions pooled');
    }
    {
      const { dir, c1, c2 } = main.gitrepro;
      const tf = path.join(W, 'trace', `${K('d.gitrepro')}.json`);
      const phases = [];
      for (let i = 0; i < 2; i++) {
        warmFor(dir);
        phases.push(traced(`git checkout -q ${c1}`, { cwd: dir, env: { GIT_TRACE2_EVENT: tf } }));
        warmFor(dir);
        phases.push(traced(`git checkout -q ${c2}`, { cwd: dir, env: { GIT_TRACE2_EVENT: tf } }));
      }
      check(`${kp}gitrepro after traced checkouts = c2`, WL.verify(MAN2), dir);
      results.breakdown[K('d')] = { checkout: summarize(parseTrace2(tf), ['git', 'checkout']), gitreproTrace: phases };
      if (S.prof) {
        const prof = S.prof;
        warm(prof);
        const penv = profEnv('d');
        const pdir = penv.GITREPRO_BENCH_PROF;
        sh(`git checkout -q ${main.prof.c1} && git checkout -q ${main.prof.c2}`, { cwd: prof, env: penv });
        check('profiled repo after checkout c1 -> variant commit: c1 data restored then variant', `git checkout -q ${main.prof.c1} && ${WL.verify(MAN1)}`, prof);
        results.breakdown[K('d')].cpuProfiles = summarizeProfileDir(pdir);
      }
      if (main.lfs) {
        const tl = path.join(W, 'trace', `${K('d.lfs')}.json`);
        for (let i = 0; i < 2; i++) {
          warmFor(main.lfs.dir);
          sh(`git checkout -q ${main.lfs.c1} && git checkout -q ${main.lfs.c2}`, { cwd: main.lfs.dir, env: { GIT_TRACE2_EVENT: tl } });
        }
        results.breakdown[K('d.lfs')] = summarize(parseTrace2(tl), ['git', 'checkout']);
      }
    }
  };

  S.waitAll = () => {
    for (const t of S.allTools ?? []) waitFlusher(S.main[t].dir);
    if (S.anch) waitFlusher(S.anch);
    if (S.prof) waitFlusher(S.prof);
  };
  return S;
}
