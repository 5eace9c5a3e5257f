#!/usr/bin/env bash
# The demo: a throw-away repo built from fixtures/demo, two data versions committed with plain
# git, the first checked out again, the data shown restored and the record printed.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
export PATH="$here/bin:$PATH"
demo=$(mktemp -d "${TMPDIR:-/tmp}/gitrepro-demo.XXXXXX")
cd "$demo"
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
run() { say "$*"; "$@"; }

export GIT_CONFIG_GLOBAL="$demo/.gitconfig"
git config --global user.name "Demo User"; git config --global user.email demo@example.com
git config --global init.defaultBranch main; git config --global advice.detachedHead false

run git init -q
run gitrepro install
run gitrepro track data/
cp -r "$here/fixtures/demo/v1/." . && cp "$here/fixtures/demo/train.py" .
run gitrepro add
run git add -A
run git commit -q -m "v1: two labels, one image"
cp -r "$here/fixtures/demo/v2/." .
say "# new data and params: plain git commit -am captures the data through the pre-commit hook"
run git commit -q -am "v2: three labels, two images, lower lr"
run gitrepro log
run git checkout -q HEAD~1
say "# the first version's data is back:"
run cat data/labels.csv
run ls data/images
run gitrepro show
run gitrepro diff HEAD main
run git checkout -q main
run cat data/labels.csv
printf '\nDemo repo left in %s (delete it when done).\n' "$demo"
