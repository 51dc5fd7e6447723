#!/usr/bin/env bash
# Runs the benchmark suites and the two scenario plans with a fixed seed and
# thread count, and writes every result into OUT_DIR, so that two builds
# (before and after a refactor) can be compared with benches/equivalence.py:
#
#   benches/equivalence.sh OUT_BEFORE   # on the old commit
#   benches/equivalence.sh OUT_AFTER    # on the new one
#   python3 benches/equivalence.py OUT_BEFORE OUT_AFTER
#
# HUBPLAN=path/to/hubplan picks the binary (default: target/release/hubplan,
# built here). SKIP_SLOW=1 leaves out the national plan and orlib-pmedcap.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: benches/equivalence.sh OUT_DIR}
mkdir -p "$out"
if [ -z "${HUBPLAN:-}" ]; then
  cargo build --release --quiet
  HUBPLAN=target/release/hubplan
fi
threads=2
run_bench() { # name suite [model]
  local name=$1 suite=$2; shift 2
  echo "bench $name" >&2
  "$HUBPLAN" bench --suite "$suite" "$@" --threads $threads --seed 1 --csv "$out/bench-$name.csv" >"$out/bench-$name.txt"
}
run_bench pmed datasets/orlib-pmed
run_bench uflp datasets/orlib-cap --model uflp
run_bench cflp datasets/orlib-cap --model cflp
run_bench sscflp datasets/orlib-cap --model sscflp
[ -n "${SKIP_SLOW:-}" ] || run_bench pmedcap datasets/orlib-pmedcap
for s in aktobe-2025 kazakhstan-2025; do
  [ -n "${SKIP_SLOW:-}" ] && [ $s = kazakhstan-2025 ] && continue
  echo "plan $s" >&2
  rm -rf "$out/plan-$s"
  "$HUBPLAN" plan "models/$s.toml" --out "$out/plan-$s" --threads $threads --seed 1 --no-cache --time-limit 3600 >"$out/plan-$s.txt"
done
echo "written to $out" >&2
