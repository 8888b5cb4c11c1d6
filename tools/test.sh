#!/usr/bin/env bash
# `npm test`: the type check, ESLint and the end-to-end suite side by side (each runs in one
# process), then the unit tests with one mocha worker per core. On a 2-core machine this takes
# about half the wall time of running them in a row. The e2e suite keeps a process of its own: the
# unit tests stub the AWS SDK's clients at load time.
set -uo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
names=(typecheck lint test:e2e)
pids=()
for name in "${names[@]}"; do
  npm run -s "$name" >"$out/$name" 2>&1 &
  pids+=($!)
done
failed=()
for i in "${!names[@]}"; do
  wait "${pids[$i]}" || failed+=("${names[$i]}")
  cat "$out/${names[$i]}"
done
if [ "${#failed[@]}" -gt 0 ]; then
  echo "npm test: failed: ${failed[*]}" >&2
  exit 1
fi
exec npm run -s test:unit
