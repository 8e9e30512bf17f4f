#!/usr/bin/env bash
# One-pass accuracy through the command line, as a user would run it (issue 9): for seeds 1–5,
# `ismm simulate` 40,000 rows (K = 4, d = 10), `ismm fit` on the first 30,000 with the given
# options, `ismm evaluate` on the last 10,000, minus the true parameters' NLL on them.
#
#   bash scripts/stream-check.sh "" "--noise 0.7"                  # defaults
#   bash scripts/stream-check.sh "--step-scale 0.25" ""            # fit options, simulate options
set -euo pipefail
fitopts=${1:-}; simopts=${2:-}
root="$(cd "$(dirname "$0")/.." && pwd)"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
ismm() { node "$root/bin/ismm.js" "$@"; }
json() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).nll))'; }
worst=0
for s in 1 2 3 4 5; do
  # shellcheck disable=SC2086
  ismm simulate --rows 40000 --experts 4 --features 10 --seed $s $simopts --params-out "$tmp/p.json" -o "$tmp/all.csv" -q
  head -30001 "$tmp/all.csv" > "$tmp/train.csv"
  { head -1 "$tmp/all.csv"; tail -10000 "$tmp/all.csv"; } > "$tmp/test.csv"
  # shellcheck disable=SC2086
  ismm fit "$tmp/train.csv" -t y --experts 4 --seed $s $fitopts -o "$tmp/m.json" -q
  nll=$(ismm evaluate --model "$tmp/m.json" "$tmp/test.csv" --json | json)
  truth=$(cd "$root" && npx tsx scripts/truth-nll.ts "$tmp/p.json" "$tmp/test.csv")
  ex=$(node -e "console.log((($nll) - ($truth)).toFixed(4))")
  echo "seed $s excess $ex"
  worst=$(node -e "console.log(Math.max($worst, $ex))")
done
echo "worst $worst  (fit: '${fitopts}', simulate: '${simopts}')"
