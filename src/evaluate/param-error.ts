/**
 * Parameter distance between an estimated MoE and the truth after label alignment
 * (ALGORITHM.md §4.2, metric 2). Expert labels are only identified up to a permutation σ, and the
 * gate is identified only up to the reference expert whose vector is fixed at 0, so
 *
 *   err²(σ) = Σ_{k<K} ‖ ŵ_{σ(k)} − ŵ_{σ(K)} − w*_k ‖²          (gate re-referenced to σ(K))
 *           + Σ_k Σ_j ‖ β̂_{σ(k) j} − β*_{k j} ‖²               (every target j = 1..q)
 *           + Σ_k Σ_j ( σ̂²_{σ(k) j} − σ*²_{k j} )²
 *
 *   err = min_σ sqrt(err²(σ)),   ŵ_K := 0.
 *
 * σ maps truth label k to estimated label σ(k). Re-referencing matters: if the estimate lists the
 * truth's experts in another order, its gate vectors are expressed against a different last expert,
 * and ŵ_{σ(k)} − ŵ_{σ(K)} is the estimate's gate vector of expert σ(k) relative to the expert now
 * playing the truth's reference role. A relabelled copy of the truth therefore has distance 0.
 *
 * Search: for each choice r = σ(K) of the reference expert, the remaining terms separate into an
 * assignment problem between truth labels 1..K−1 and the other estimated labels, solved exactly by
 * the Hungarian algorithm (O(K³)); the minimum over r is the exact minimum over all K! permutations
 * in O(K⁴). Parameters are compared in whatever units both are given in (the estimator's
 * `parameters()` and the synthetic specs are in original units).
 */
import { InputError } from "../core/errors.js";
import type { MoeParameters } from "../model/parameters.js";

/** Result of {@link parameterError}. */
export interface ParameterErrorResult {
  /** min over σ of sqrt(err²(σ)). */
  readonly error: number;
  /** err² at the best σ. */
  readonly squared: number;
  /** The best σ: `permutation[k]` is the estimated expert matched to truth expert k (0-based). */
  readonly permutation: number[];
  /** The three parts of err² at the best σ. */
  readonly parts: { readonly gate: number; readonly beta: number; readonly sigma2: number };
  /** The estimate relabelled by σ with its gate re-referenced to expert σ(K) (comparable entrywise to the truth). */
  readonly aligned: MoeParameters;
}

interface Shape {
  K: number;
  q: number;
  p: number;
}

function shapeOf(P: MoeParameters, what: string): Shape {
  if (P === null || typeof P !== "object" || !Array.isArray(P.beta) || !Array.isArray(P.gate) || !Array.isArray(P.sigma2)) {
    throw new InputError(`${what} must have gate, beta and sigma2 arrays`);
  }
  const K = P.beta.length;
  if (K < 1) throw new InputError(`${what}.beta must have at least one expert`);
  const q = Array.isArray(P.beta[0]) ? P.beta[0].length : 0;
  const p = q > 0 && Array.isArray(P.beta[0][0]) ? P.beta[0][0].length : 0;
  if (q < 1 || p < 1) throw new InputError(`${what}.beta must be K × q × p with q, p ≥ 1`);
  if (P.gate.length !== K - 1) throw new InputError(`${what}.gate must have K − 1 = ${K - 1} rows, got ${P.gate.length}`);
  if (P.sigma2.length !== K) throw new InputError(`${what}.sigma2 must have K = ${K} rows, got ${P.sigma2.length}`);
  const finite = (v: unknown, where: string): void => {
    if (typeof v !== "number" || !Number.isFinite(v)) throw new InputError(`${what}.${where} must be a finite number, got ${String(v)}`);
  };
  P.gate.forEach((row, k) => {
    if (!Array.isArray(row) || row.length !== p) throw new InputError(`${what}.gate[${k}] must have p = ${p} entries`);
    row.forEach((v, i) => finite(v, `gate[${k}][${i}]`));
  });
  for (let k = 0; k < K; k++) {
    const bk = P.beta[k];
    const sk = P.sigma2[k];
    if (!Array.isArray(bk) || bk.length !== q) throw new InputError(`${what}.beta[${k}] must have q = ${q} rows`);
    if (!Array.isArray(sk) || sk.length !== q) throw new InputError(`${what}.sigma2[${k}] must have q = ${q} entries`);
    for (let j = 0; j < q; j++) {
      if (!Array.isArray(bk[j]) || bk[j].length !== p) throw new InputError(`${what}.beta[${k}][${j}] must have p = ${p} entries`);
      bk[j].forEach((v, i) => finite(v, `beta[${k}][${j}][${i}]`));
      finite(sk[j], `sigma2[${k}][${j}]`);
    }
  }
  return { K, q, p };
}

/** Gate vector of expert k (0-based), with the last one fixed at 0. */
function gateRow(P: MoeParameters, k: number, K: number, p: number): number[] {
  return k === K - 1 ? new Array<number>(p).fill(0) : P.gate[k];
}

/**
 * Exact minimum-cost assignment (Hungarian algorithm, shortest augmenting paths with potentials).
 * `cost` is n × n; returns `assign[row] = column`.
 */
export function minCostAssignment(cost: readonly (readonly number[])[]): number[] {
  const n = cost.length;
  if (n === 0) return [];
  const INF = Number.POSITIVE_INFINITY;
  // 1-based arrays of the classic O(n³) formulation.
  const u = new Float64Array(n + 1);
  const v = new Float64Array(n + 1);
  const match = new Int32Array(n + 1); // match[col] = row (1-based), 0 = free
  const way = new Int32Array(n + 1);
  for (let i = 1; i <= n; i++) {
    match[0] = i;
    let j0 = 0;
    const minv = new Float64Array(n + 1).fill(INF);
    const used = new Uint8Array(n + 1);
    do {
      used[j0] = 1;
      const i0 = match[j0];
      let delta = INF;
      let j1 = 0;
      for (let j = 1; j <= n; j++) {
        if (used[j]) continue;
        const cur = cost[i0 - 1][j - 1] - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (let j = 0; j <= n; j++) {
        if (used[j]) {
          u[match[j]] += delta;
          v[j] -= delta;
        } else minv[j] -= delta;
      }
      j0 = j1;
    } while (match[j0] !== 0);
    do {
      const j1 = way[j0];
      match[j0] = match[j1];
      j0 = j1;
    } while (j0 !== 0);
  }
  const assign = new Array<number>(n).fill(-1);
  for (let j = 1; j <= n; j++) if (match[j] > 0) assign[match[j] - 1] = j - 1;
  return assign;
}

function sqDist(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return s;
}

/** Expert part of the cost: Σ_j ‖β̂_e j − β*_t j‖² + (σ̂²_e j − σ*²_t j)². */
function expertCost(est: MoeParameters, truth: MoeParameters, e: number, t: number, q: number): { beta: number; sigma2: number } {
  let beta = 0;
  let sigma2 = 0;
  for (let j = 0; j < q; j++) {
    beta += sqDist(est.beta[e][j], truth.beta[t][j]);
    sigma2 += (est.sigma2[e][j] - truth.sigma2[t][j]) ** 2;
  }
  return { beta, sigma2 };
}

/** Gate part for truth label t < K−1 matched to estimated label e, reference r: ‖ŵ_e − ŵ_r − w*_t‖². */
function gateCost(est: MoeParameters, truth: MoeParameters, e: number, r: number, t: number, K: number, p: number): number {
  const we = gateRow(est, e, K, p);
  const wr = gateRow(est, r, K, p);
  const wt = truth.gate[t];
  let s = 0;
  for (let i = 0; i < p; i++) s += (we[i] - wr[i] - wt[i]) ** 2;
  return s;
}

/**
 * The estimate relabelled by σ (`permutation[k]` = estimated label of truth label k), with its gate
 * re-referenced to the new last expert: new w_k = ŵ_{σ(k)} − ŵ_{σ(K)}.
 */
export function alignParameters(estimate: MoeParameters, permutation: readonly number[]): MoeParameters {
  const { K, p } = shapeOf(estimate, "estimate");
  const seen = new Set(permutation);
  if (permutation.length !== K || seen.size !== K || permutation.some((e) => !Number.isInteger(e) || e < 0 || e >= K)) {
    throw new InputError(`permutation must be a permutation of 0..${K - 1}, got [${permutation.join(", ")}]`);
  }
  const r = permutation[K - 1];
  const wr = gateRow(estimate, r, K, p);
  const gate: number[][] = [];
  for (let k = 0; k < K - 1; k++) {
    const we = gateRow(estimate, permutation[k], K, p);
    gate.push(we.map((v, i) => v - wr[i]));
  }
  return {
    gate,
    beta: permutation.map((e) => estimate.beta[e].map((row) => row.slice())),
    sigma2: permutation.map((e) => estimate.sigma2[e].slice()),
    ...(estimate.covariance ? { covariance: permutation.map((e) => (estimate.covariance as number[][][])[e].map((row) => row.slice())) } : {}),
  };
}

/**
 * Parameter distance after label alignment with gate re-referencing (see the module header).
 * @throws InputError when the two parameter sets differ in K, q or p, or hold non-finite values
 * @example
 * // the truth with its two experts swapped is at distance 0
 * parameterError(swapped, truth).error; // => 0
 */
export function parameterError(estimate: MoeParameters, truth: MoeParameters): ParameterErrorResult {
  const se = shapeOf(estimate, "estimate");
  const st = shapeOf(truth, "truth");
  if (se.K !== st.K || se.q !== st.q || se.p !== st.p) {
    throw new InputError(`estimate (K=${se.K}, q=${se.q}, p=${se.p}) and truth (K=${st.K}, q=${st.q}, p=${st.p}) have different shapes`);
  }
  const { K, q, p } = st;
  // expert costs C[e][t]
  const ex: { beta: number; sigma2: number }[][] = [];
  for (let e = 0; e < K; e++) {
    const row: { beta: number; sigma2: number }[] = [];
    for (let t = 0; t < K; t++) row.push(expertCost(estimate, truth, e, t, q));
    ex.push(row);
  }
  let best: { sq: number; perm: number[] } | null = null;
  for (let r = 0; r < K; r++) {
    const others: number[] = [];
    for (let e = 0; e < K; e++) if (e !== r) others.push(e);
    // rows: truth labels 0..K−2; columns: `others`
    const cost = Array.from({ length: K - 1 }, (_, t) =>
      others.map((e) => gateCost(estimate, truth, e, r, t, K, p) + ex[e][t].beta + ex[e][t].sigma2),
    );
    const assign = minCostAssignment(cost);
    const perm = [...assign.map((c) => others[c]), r];
    let sq = ex[r][K - 1].beta + ex[r][K - 1].sigma2;
    for (let t = 0; t < K - 1; t++) sq += cost[t][assign[t]];
    if (best === null || sq < best.sq) best = { sq, perm };
  }
  const { sq, perm } = best as { sq: number; perm: number[] };
  let gate = 0;
  let beta = 0;
  let sigma2 = 0;
  for (let t = 0; t < K; t++) {
    if (t < K - 1) gate += gateCost(estimate, truth, perm[t], perm[K - 1], t, K, p);
    beta += ex[perm[t]][t].beta;
    sigma2 += ex[perm[t]][t].sigma2;
  }
  return {
    error: Math.sqrt(sq),
    squared: sq,
    permutation: perm,
    parts: { gate, beta, sigma2 },
    aligned: alignParameters(estimate, perm),
  };
}
