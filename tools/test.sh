#!/usr/bin/env bash
# `npm test`: the type check and ESLint side by side (each is single-threaded), then mocha with
# one worker per core. On a 2-core machine this halves the wall time of running them in a row.
set -uo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
npm run -s typecheck >"$out/typecheck" 2>&1 &
typecheck=$!
npm run -s lint >"$out/lint" 2>&1 &
lint=$!
wait "$typecheck"; typecheck_status=$?
wait "$lint"; lint_status=$?
cat "$out/typecheck" "$out/lint"
if [ "$typecheck_status" -ne 0 ] || [ "$lint_status" -ne 0 ]; then
  echo "npm test: type check exited $typecheck_status, lint exited $lint_status" >&2
  exit 1
fi
exec npm run -s test:unit
