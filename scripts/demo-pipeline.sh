#!/usr/bin/env bash
# The pipeline demo: a throw-away repo with fixtures/pipeline (prepare → train → evaluate, in
# Python with only the standard library), stages added with `gitrepro stage add`, `repro` runs
# and skips, run records in the commit's record, an earlier commit needing no rerun, and
# `rerunVerify` (the engine of `verify --rerun`) proving that a commit reproduces, then the
# metrics compared across commits: `metrics diff`, `exp` and a report of the commits in one file.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
export PATH="$here/bin:$PATH"
demo=$(mktemp -d "${TMPDIR:-/tmp}/gitrepro-pipeline-demo.XXXXXX")
cd "$demo"
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
run() { say "$*"; "$@"; }
note() { printf '\n\033[1m# %s\033[0m\n' "$*"; }

export GIT_CONFIG_GLOBAL="$demo/.gitconfig"
git config --global user.name "Demo User"; git config --global user.email demo@example.com
git config --global init.defaultBranch main; git config --global advice.detachedHead false

run git init -q
run gitrepro install
cp -r "$here/fixtures/pipeline/src" "$here/fixtures/pipeline/data" "$here/fixtures/pipeline/params.yaml" .
printf '__pycache__/\n' >> .gitignore
run gitrepro track data/raw.csv
run gitrepro stage add prepare -d src/prepare.py -d src/common.py -d data/raw.csv -o data/prepared -p prepare.split --seed 42 -- python3 src/prepare.py
run gitrepro stage add train -d src/train.py -d src/common.py -d data/prepared/train.csv -o models/model.json -M logs/train.csv -p train --seed 42 -- python3 src/train.py
run gitrepro stage add evaluate -d src/evaluate.py -d src/common.py -d models/model.json -d data/prepared/test.csv -m metrics.json -p evaluate.threshold -- python3 src/evaluate.py
run gitrepro stage list
note "repro runs the stages in dependency order, streaming their output; outs become tracked data"
run gitrepro repro
run git add -A
run git commit -q -m "pipeline, lr 0.1"
note "the runs joined the commit's record"
run gitrepro show
note "nothing changed: nothing runs"
run gitrepro repro
note "a params change reruns only the stages that depend on it"
sed -i 's/lr: 0.1/lr: 0.05/' params.yaml
run gitrepro repro
run git commit -q -am "lr 0.05"
note "back to the first commit: the hook restores its outs, and repro has nothing to rerun"
run git checkout -q HEAD~1
run cat metrics.json
run gitrepro repro
run git checkout -q main
note "the same inputs as an earlier run, without a checkout: its outs come back from the store"
sed -i 's/lr: 0.05/lr: 0.1/' params.yaml
run gitrepro repro
git checkout -q -- params.yaml && gitrepro repro >/dev/null
note "verify --rerun: re-execute the last commit's runs twice in a temporary worktree, compare outputs"
run gitrepro verify HEAD~1..HEAD --local --rerun --repeat 2 || true

note "the user's work tree was not touched:"
run git status --short

note "compare runs: two more learning rates, then what changed, the table, and a report"
sed -i 's/lr: 0.05/lr: 0.5/' params.yaml
gitrepro repro >/dev/null
run gitrepro metrics diff --params
git commit -q -am "lr 0.5"
sed -i 's/lr: 0.5/lr: 0.01/' params.yaml
gitrepro repro >/dev/null && git commit -q -am "lr 0.01"
run gitrepro exp --sort loss --sort-order asc
run gitrepro report -o "$demo/report.html" --x train.lr --y loss
printf '\nReport of the demo commits: %s\n' "$demo/report.html"
printf 'Demo repo left in %s (delete it when done).\n' "$demo"
