#!/usr/bin/env bash
# Small-data check (issue 9): `ismm fit` with the given extra options against R flexmix's MLE.
# Prints, per data set and K, our training mean log-likelihood (−nll of `ismm evaluate` on the
# training file), flexmix's, and the gap (positive: we are below flexmix).
#
#   Rscript scripts/small-data/flexmix.R /tmp/small > /tmp/small/flexmix.txt
#   bash scripts/small-data/check.sh /tmp/small                 # default options
#   bash scripts/small-data/check.sh /tmp/small --epochs 20
set -euo pipefail
dir=$1; shift
root="$(cd "$(dirname "$0")/../.." && pwd)"
ismm() { node "$root/bin/ismm.js" "$@"; }
while read -r name target K n ll; do
  ismm fit "$dir/$name.csv" -t "$target" --experts "$K" -o "$dir/model.json" -q "$@" 2>/dev/null
  nll=$(ismm evaluate --model "$dir/model.json" "$dir/$name.csv" --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).nll))')
  node -e "const ours=-($nll), fx=($ll); console.log('$name K=$K n=$n ours', ours.toFixed(4), 'flexmix', fx.toFixed(4), 'gap', (fx-ours>=0?'+':'')+(fx-ours).toFixed(4))"
done < "$dir/flexmix.txt"
