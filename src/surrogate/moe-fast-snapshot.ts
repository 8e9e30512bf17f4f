/**
 * Saving and restoring the carried state of the O(K p²) path (surrogate/moe-fast.ts §8): the
 * inverses, pending rank-ones, carried β/W, validity and ages are not a function of the final s
 * alone (they depend on the rounding history), so a bit-identical resume saves them. Plus a
 * diagnostic: each maintained inverse's error against an exact inverse of s.
 */
import { cholWithRidge } from "../core/dense.js";
import { smFlush, spdInverseFromChol } from "../core/sherman-morrison.js";
import { fromNumbers, toNumbers } from "../learners/types.js";
import type { FastPlan, MoeFastSnapshot, MoeFastWorkspace } from "./moe-fast-types.js";

export function exportFastState(fp: FastPlan, ws: MoeFastWorkspace): MoeFastSnapshot {
  const F = ws.fast;
  return {
    M: toNumbers(F.M), g: toNumbers(F.g), alpha: toNumbers(F.alpha), kappa: toNumbers(F.kappa),
    beta: toNumbers(F.beta), W: toNumbers(F.W), valid: toNumbers(F.valid), age: toNumbers(F.age),
    refactors: F.refactors, guardTrips: F.guardTrips,
  };
}

function numbers(v: unknown, n: number, what: string, target: Float64Array | Uint8Array): void {
  fromNumbers(v, n, `fast ISMM state: ${what}`, target);
}

export function importFastState(fp: FastPlan, ws: MoeFastWorkspace, snap: unknown, s: Float64Array): void {
  const { S, K } = fp;
  if (typeof snap !== "object" || snap === null) throw new RangeError("fast ISMM state must be an object");
  const o = snap as Record<string, unknown>;
  const F = ws.fast;
  numbers(o.M, F.M.length, "M", F.M);
  numbers(o.g, F.g.length, "g", F.g);
  numbers(o.alpha, F.alpha.length, "alpha", F.alpha);
  numbers(o.kappa, F.kappa.length, "kappa", F.kappa);
  numbers(o.beta, F.beta.length, "beta", F.beta);
  numbers(o.W, F.W.length, "W", F.W);
  numbers(o.age, F.age.length, "age", F.age);
  numbers(o.valid, F.valid.length, "valid", F.valid);
  for (let f = 0; f <= K; f++) if (F.valid[f] > 1) throw new RangeError("fast ISMM state: valid flags must be 0 or 1");
  F.refactors = typeof o.refactors === "number" ? o.refactors : 0;
  F.guardTrips = typeof o.guardTrips === "number" ? o.guardTrips : 0;
  F.owner = s;
  for (let k = 0; k < K; k++) F.s0[k] = s[S.s0 + k];
}

export function inverseErrors(fp: FastPlan, ws: MoeFastWorkspace, s: Float64Array): number[] {
  const { S, K, p, P, G } = fp;
  const F = ws.fast;
  const out: number[] = [];
  const R = new Float64Array(p * p);
  const T = new Float64Array(p * p);
  const exactInv = new Float64Array(P);
  const cur = new Float64Array(P);
  for (let f = 0; f <= K; f++) {
    if (F.valid[f] !== 1 || (f === G && K === 1)) {
      out.push(NaN);
      continue;
    }
    const so = f < K ? S.Sxx + f * p * p : S.G2;
    if (cholWithRidge(p, s, so, R, 0) !== 0) {
      out.push(NaN);
      continue;
    }
    spdInverseFromChol(p, R, 0, T, exactInv, 0);
    cur.set(F.M.subarray(f * P, (f + 1) * P));
    smFlush(p, cur, 0, F.g, f * p, F.alpha[f], F.kappa[f]);
    let num = 0;
    let den = 0;
    for (let i = 0; i < P; i++) {
      num = Math.max(num, Math.abs(cur[i] - exactInv[i]));
      den = Math.max(den, Math.abs(exactInv[i]));
    }
    out.push(num / den);
  }
  return out;
}
