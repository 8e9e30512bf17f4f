/**
 * The ISMM surrogate of the softmax-gated Gaussian MoE (spec §3): Jensen (EM) on the experts,
 * Böhning's quadratic bound on the gate's log-sum-exp.
 *
 *   L(θ; s) = Σ_k Σ_j [ ½ s0_k log σ²_kj + (syy_kj − 2β_kjᵀsxy_kj + β_kjᵀ Sxx_k β_kj) / (2σ²_kj) ]
 *             − Σ_{k<K} w_kᵀ G1_k + ½ Σ_{k,l<K} A_kl w_kᵀ G2 w_l,      A = ½(I − 11ᵀ/K)
 *
 * Closed-form M-step θ̄(s) (spec §3.3):
 *   β_kj = Sxx_k⁻¹ sxy_kj                       (weighted least squares; Cholesky solve)
 *   σ²_kj = max((syy_kj − β_kjᵀ sxy_kj)/s0_k, σ²_min)
 *   w_k  = 2 G2⁻¹ (G1_k + Σ_l G1_l)             (A⁻¹ = 2(I + 11ᵀ), one p×p factorization for all k)
 *
 * MAP variant (issue 9, docs/MAP.md): an inverse-gamma prior on every σ²_kj worth c pseudo-rows per
 * coefficient of the expert (c·p rows) of variance σ0² (options `variancePrior` = c,
 * `priorVariance` = σ0²) adds to L the penalty
 *   R_ν(θ) = ν Σ_k Σ_j ½ [ log σ²_kj + σ0² / σ²_kj ],   ν = c·p·b,
 * where b is the blend weight of the newest row (γ_n in ISMM, 1/n for a batch average), so the prior
 * is worth c·p rows at the weight the statistic gives its newest row, and vanishes as γ_n → 0. An
 * expert needs more than p effective rows to pin down its p coefficients and its variance; below
 * that the prior holds σ² near σ0² instead of letting it collapse onto a few rows. The M-step
 * stays closed form:  σ²_kj = max((syy_kj − β_kjᵀ sxy_kj + ν σ0²)/(s0_k + ν), σ²_min).
 * c = 0 is the MLE M-step exactly.
 *
 * Validity (spec §1.2, the set S): the M-step needs the total Gram matrix G2 = Σ x xᵀ of the
 * statistic to be numerically positive definite — the rows folded in so far span the inputs. If it
 * is not (e.g. the first rows of a stream with no burn-in), `mstep` returns false and leaves θ
 * untouched; the engine counts it as a skipped M-step.
 *
 * Safeguards (spec §3.6): variance floor σ²_min; an expert with s0_k ≤ deadTol keeps its previous
 * β and σ²; an expert Gram matrix Sxx_k that is not numerically positive definite while G2 is (an
 * expert with too few effective rows) gets a small ridge (`cholWithRidge`, counted in ws.ridged)
 * and then σ² uses the full residual formula, exact for the ridge solution.
 *
 * Full covariance (`covariance: "full"`, docs/COVARIANCE.md): the statistic gains the response
 * cross-products (block syx), β is unchanged and Σ_k comes from surrogate/moe-covariance.ts.
 *
 * Cost per row: accumulate O(K q p + K p²/2), exact M-step O(K p³/6 + K q p²).
 * The O(K p²) M-step of issue 6 lives in the fast path; this is the exact reference.
 */
import { cholSolve, cholUpper, cholWithRidge, dot, quadFormUpper, symRank1Blend } from "../core/dense.js";
import type { MoeLayout } from "../model/dims.js";
import { createRowWorkspace, rowNll, rowPosterior, type RowWorkspace } from "../model/moe.js";
import { moeStatLayout, type MoeStatLayout } from "./moe-stats.js";
import { gateResiduals } from "./gate-residual.js";
import { addRows, createBlockScratch, type BlockScratch } from "./moe-block.js";
import { blendCross, covarianceMstep, createCovWorkspace, fullExpertObjective, type CovWorkspace } from "./moe-covariance.js";
import type { Surrogate } from "./types.js";
import { createLassoWorkspace, elasticNetPenalty, penalizedExperts, type ElasticNetOptions, type LassoWorkspace } from "./moe-lasso.js";

/** Numerical safeguards of the MoE M-step. */
export interface MoeSurrogateOptions extends ElasticNetOptions {
  /** Lower bound σ²_min on every expert variance (in the units the model sees). Default 1e-6. */
  readonly varianceFloor?: number;
  /** An expert whose weight s0_k is ≤ this keeps its parameters. Default 1e-8. */
  readonly deadTol?: number;
  /** c, the inverse-gamma prior's weight in pseudo-rows per coefficient (c·p rows per expert; 0 = maximum likelihood). Default 0. */
  readonly variancePrior?: number;
  /** σ0², the prior's mode of every expert variance, in the units the model sees. Default 1. */
  readonly priorVariance?: number;
}

export interface MoeWorkspace extends RowWorkspace {
  /** [b]: blend weight of the newest row (set by `accumulate`; 1/n for a batch average). ν = c·b. */
  readonly rowWeight: Float64Array;
  /** [solves that needed a ridge (Gram matrix not numerically positive definite)] — a diagnostic. */
  readonly ridged: Float64Array;
  readonly R: Float64Array; // p×p Cholesky factor
  readonly RG: Float64Array; // p×p Cholesky factor of G2 (the gate and the validity check)
  readonly rhs: Float64Array; // p
  readonly tmp: Float64Array; // p
  readonly block: BlockScratch; // transposed rows for `addRows`
  /** Factors of the next M-step computed elsewhere (mini-batch threads, `factorTask`), or null. */
  pre: MstepFactors | null;
  /** Full-covariance scratch (surrogate/moe-covariance.ts). */
  readonly cov: CovWorkspace;
  /** Elastic-net solver scratch (surrogate/moe-lasso.ts); null when l1 = l2 = 0. */
  readonly lasso: LassoWorkspace | null;
}

/**
 * The O(p³) part of an M-step, computed ahead by `factorTask` (on any thread): R holds K + 1 p×p
 * Cholesky factors (experts, then the gate's G2); info[k] is expert k's ridge (as `cholWithRidge`
 * returns it; NaN for a dead expert, not factorized) and info[K] is 1 when G2 factorized, else 0.
 */
export interface MstepFactors {
  readonly R: Float64Array;
  readonly info: Float64Array;
}

/** The MoE surrogate bound to a layout. Also exposes its statistic layout `stats`. */
export interface MoeSurrogate extends Surrogate<MoeWorkspace> {
  readonly layout: MoeLayout;
  readonly stats: MoeStatLayout;
  readonly varianceFloor: number;
  readonly deadTol: number;
  readonly variancePrior: number;
  readonly priorVariance: number;
  /** c·p: the prior's weight in rows per expert. */
  readonly priorRows: number;
  /** Elastic-net weights λ1, λ2 on the expert slopes (surrogate/moe-lasso.ts; 0 = off). */
  readonly l1: number;
  readonly l2: number;
  /** Expert half of the M-step (used by batch EM, whose expert M-step is the same). */
  mstepExperts(s: Float64Array, theta: Float64Array, ws: MoeWorkspace): boolean;
  /** Gate half of the M-step (the Böhning–Newton step). */
  mstepGate(s: Float64Array, theta: Float64Array, ws: MoeWorkspace): boolean;
  /** One of the K + 1 factorizations of the M-step, ahead of it (see `MstepFactors`). */
  factorTask(s: Float64Array, t: number, f: MstepFactors): void;
}

/**
 * Expert k's M-step given the Cholesky factor of its Gram matrix Sxx_k (+ `ridge`·I) in ws.R: for
 * every target j, β_kj = Sxx_k⁻¹ sxy_kj into θ (and left in ws.rhs for the last j) and the MAP
 * variance σ²_kj = max((rss + νσ0²)/(s0_k + ν), σ²_min), rss = syy − βᵀsxy (with a ridge, the full
 * residual). Shared by the exact M-step and the fast path's refactorization, so both give the same θ.
 */
export function expertFromFactor(
  L: MoeLayout, S: MoeStatLayout, k: number, s: Float64Array, theta: Float64Array, ws: MoeWorkspace,
  ridge: number, nu: number, nuSigma0: number, varianceFloor: number,
): void {
  const { q, p } = L;
  const { R, rhs } = ws;
  const s0 = s[S.s0 + k];
  const so = S.Sxx + k * p * p;
  for (let j = 0; j < q; j++) {
    const kj = k * q + j;
    const xy = S.sxy + kj * p;
    for (let i = 0; i < p; i++) rhs[i] = s[xy + i];
    cholSolve(p, R, 0, rhs, 0);
    const bo = L.beta + kj * p;
    for (let i = 0; i < p; i++) theta[bo + i] = rhs[i];
    const bxy = dot(p, rhs, 0, s, xy);
    // Unpenalized normal equations give syy − βᵀsxy; with a ridge use the full residual.
    const rss = ridge === 0 ? s[S.syy + kj] - bxy : s[S.syy + kj] - 2 * bxy + quadFormUpper(p, s, so, rhs, 0, rhs, 0);
    if (!L.full) theta[L.logSigma2 + kj] = Math.log(Math.max((rss + nuSigma0) / (s0 + nu), varianceFloor));
  }
  if (L.full) {
    // Full Σ_k from the weighted residual cross-products (docs/COVARIANCE.md).
    const par = ws.cov.par;
    par[0] = nu;
    par[1] = nuSigma0;
    par[2] = varianceFloor;
    par[3] = ridge;
    covarianceMstep(L, S, k, s, theta, ws.cov);
  }
}

export function moeSurrogate(L: MoeLayout, options: MoeSurrogateOptions = {}): MoeSurrogate {
  const varianceFloor = options.varianceFloor ?? 1e-6;
  const deadTol = options.deadTol ?? 1e-8;
  const variancePrior = options.variancePrior ?? 0;
  const priorVariance = options.priorVariance ?? 1;
  if (!(variancePrior >= 0) || !Number.isFinite(variancePrior)) throw new RangeError(`variancePrior must be a finite number ≥ 0, got ${variancePrior}`);
  if (!(priorVariance > 0) || !Number.isFinite(priorVariance)) throw new RangeError(`priorVariance must be a finite number > 0, got ${priorVariance}`);
  const S = moeStatLayout(L);
  const { K, q, p } = L;
  const priorRows = variancePrior * p;
  const penalty = createLassoWorkspace(L, options); // validates l1, l2 (null: off)
  const l1 = penalty?.l1 ?? 0;
  const l2 = penalty?.l2 ?? 0;

  function createWorkspace(): MoeWorkspace {
    return {
      ...createRowWorkspace(L), rowWeight: new Float64Array(1), ridged: new Float64Array(1), R: new Float64Array(p * p), RG: new Float64Array(p * p), rhs: new Float64Array(p), tmp: new Float64Array(p),
      block: createBlockScratch(L),
      pre: null,
      cov: createCovWorkspace(L),
      lasso: penalty === null ? null : createLassoWorkspace(L, options),
    };
  }

  function accumulate(
    s: Float64Array, a: number, b: number, theta: Float64Array,
    x: ArrayLike<number>, xo: number, y: ArrayLike<number>, yo: number, ws: MoeWorkspace,
  ): number {
    rowPosterior(L, theta, x, xo, y, yo, ws); // ws.a = τ, ws.logPi = log π̄, ws.loss[0] = f
    ws.rowWeight[0] = b;
    const f = ws.loss[0];
    const tau = ws.a;
    for (let k = 0; k < K; k++) {
      const bt = b * tau[k];
      s[S.s0 + k] = a * s[S.s0 + k] + bt;
      for (let j = 0; j < q; j++) {
        const yj = y[yo + j];
        const kj = k * q + j;
        s[S.syy + kj] = a * s[S.syy + kj] + bt * yj * yj;
        const o = S.sxy + kj * p;
        const c = bt * yj;
        for (let i = 0; i < p; i++) s[o + i] = a * s[o + i] + c * x[xo + i];
      }
      symRank1Blend(p, s, S.Sxx + k * p * p, a, bt, x, xo);
    }
    if (K > 1) {
      gateResiduals(K, ws.logPi, tau, 0, ws.u); // Wᵀx comes free from the E-step
      for (let k = 0; k < K - 1; k++) {
        const o = S.G1 + k * p;
        const c = b * ws.u[k];
        for (let i = 0; i < p; i++) s[o + i] = a * s[o + i] + c * x[xo + i];
      }
    }
    symRank1Blend(p, s, S.G2, a, b, x, xo);
    if (L.full) {
      ws.cov.ab[0] = a;
      ws.cov.ab[1] = b;
      blendCross(L, S, s, ws.cov.ab, 0, 1, tau, y, yo);
    }
    return f;
  }

  /**
   * Expert half of θ̄(s): weighted least squares and variances. Returns false if some live expert's
   * Gram matrix could not be factorized even with a ridge (that expert keeps its parameters).
   */
  function mstepExperts(s: Float64Array, theta: Float64Array, ws: MoeWorkspace): boolean {
    const { R } = ws;
    const nu = priorRows * ws.rowWeight[0];
    const nuSigma0 = nu * priorVariance;
    if (ws.lasso !== null) {
      // Elastic net; its double arguments go through lz.par (not boxed per row).
      const par = ws.lasso.par;
      par[0] = nu;
      par[1] = nuSigma0;
      par[2] = varianceFloor;
      par[3] = deadTol;
      return penalizedExperts(L, S, s, theta, ws.lasso);
    }
    let ok = true;
    for (let k = 0; k < K; k++) {
      const s0 = s[S.s0 + k];
      if (!(s0 > deadTol)) continue; // dead expert: keep β_k, σ²_k
      const so = S.Sxx + k * p * p;
      const pre = ws.pre;
      let ridge: number;
      if (pre === null) ridge = cholWithRidge(p, s, so, R, 0);
      else {
        ridge = pre.info[k];
        R.set(pre.R.subarray(k * p * p, (k + 1) * p * p));
      }
      if (ridge !== 0) ws.ridged[0]++;
      if (ridge < 0) {
        ok = false;
        continue;
      }
      expertFromFactor(L, S, k, s, theta, ws, ridge, nu, nuSigma0, varianceFloor);
    }
    return ok;
  }

  /**
   * Gate half of θ̄(s): w_k = 2 G2⁻¹(G1_k + Σ_l G1_l). Returns false (gate untouched) if G2 is not
   * numerically positive definite.
   */
  function mstepGate(s: Float64Array, theta: Float64Array, ws: MoeWorkspace): boolean {
    const pre = ws.pre;
    if (pre === null) {
      if (!cholUpper(p, s, S.G2, ws.RG, 0)) return false;
    } else {
      if (pre.info[K] !== 1) return false;
      ws.RG.set(pre.R.subarray(K * p * p, (K + 1) * p * p));
    }
    if (K === 1) return true;
    const { RG: R, rhs, tmp } = ws;
    tmp.fill(0);
    for (let k = 0; k < K - 1; k++) for (let i = 0; i < p; i++) tmp[i] += s[S.G1 + k * p + i];
    for (let k = 0; k < K - 1; k++) {
      for (let i = 0; i < p; i++) rhs[i] = 2 * (s[S.G1 + k * p + i] + tmp[i]);
      cholSolve(p, R, 0, rhs, 0);
      const wo = L.gate + k * p;
      for (let i = 0; i < p; i++) theta[wo + i] = rhs[i];
    }
    return true;
  }

  /** θ ← θ̄(s). False, with θ untouched, when G2 is not positive definite (s outside S). */
  function mstep(s: Float64Array, theta: Float64Array, ws: MoeWorkspace): boolean {
    if (!mstepGate(s, theta, ws)) return false; // validity first: nothing is written on failure
    return mstepExperts(s, theta, ws);
  }

  /**
   * Task t of the M-step's factorizations on s (t < K: expert t's Gram matrix, as `mstepExperts`
   * factorizes it; t = K: the gate's G2, as `mstepGate` does) into `f`. Tasks are independent: any
   * thread may run any of them, and `mstep` with ws.pre = f then gives the bits of a plain `mstep`.
   */
  function factorTask(s: Float64Array, t: number, f: MstepFactors): void {
    if (t < K) {
      if (!(s[S.s0 + t] > deadTol)) {
        f.info[t] = NaN;
        return;
      }
      f.info[t] = cholWithRidge(p, s, S.Sxx + t * p * p, f.R, t * p * p);
    } else f.info[K] = cholUpper(p, s, S.G2, f.R, K * p * p) ? 1 : 0;
  }

  function loss(theta: Float64Array, x: ArrayLike<number>, xo: number, y: ArrayLike<number>, yo: number, ws: MoeWorkspace): number {
    return rowNll(L, theta, x, xo, y, yo, ws);
  }

  /** L(θ; s) + R_ν(θ) + P(β) with ν = c·ws.rowWeight[0], P the elastic net (the penalized surrogate the M-step minimizes). */
  function objective(theta: Float64Array, s: Float64Array, ws: MoeWorkspace): number {
    const nu = priorRows * ws.rowWeight[0];
    // Full covariance: the prior's shape comes from s through θ̄(s)'s least-squares β (moe-covariance.ts).
    const thetaLs = L.full && nu > 0 ? theta.slice() : theta;
    if (thetaLs !== theta) mstepExperts(s, thetaLs, ws);
    let val = 0;
    for (let k = 0; k < K; k++) {
      const s0 = s[S.s0 + k];
      if (L.full) {
        val += fullExpertObjective(L, S, k, s, theta, nu, priorVariance, thetaLs);
        continue;
      }
      for (let j = 0; j < q; j++) {
        const kj = k * q + j;
        const v = theta[L.logSigma2 + kj];
        const bo = L.beta + kj * p;
        const quad = s[S.syy + kj] - 2 * dot(p, theta, bo, s, S.sxy + kj * p) + quadFormUpper(p, s, S.Sxx + k * p * p, theta, bo, theta, bo);
        val += 0.5 * s0 * v + quad / (2 * Math.exp(v));
        if (nu > 0) val += 0.5 * nu * (v + priorVariance * Math.exp(-v));
      }
    }
    if (penalty !== null) val += elasticNetPenalty(L, theta, l1, l2);
    for (let k = 0; k < K - 1; k++) {
      val -= dot(p, theta, L.gate + k * p, s, S.G1 + k * p);
      for (let l = 0; l < K - 1; l++) {
        const Akl = 0.5 * ((k === l ? 1 : 0) - 1 / K);
        val += 0.5 * Akl * quadFormUpper(p, s, S.G2, theta, L.gate + k * p, theta, L.gate + l * p);
      }
    }
    return val;
  }

  return Object.freeze({
    name: "moe-gaussian",
    statSize: S.size,
    paramSize: L.size,
    layout: L,
    stats: S,
    varianceFloor,
    deadTol,
    variancePrior,
    priorVariance,
    priorRows,
    l1,
    l2,
    createWorkspace,
    accumulate,
    mstep,
    mstepExperts,
    mstepGate,
    loss,
    objective,
    setRowWeight: (ws: MoeWorkspace, b: number) => {
      ws.rowWeight[0] = b;
    },
    factorTask,
    addRows: (s: Float64Array, theta: Float64Array, X: ArrayLike<number>, Y: ArrayLike<number>, from: number, to: number, ws: MoeWorkspace) =>
      addRows(L, S, s, theta, X, Y, from, to, ws, ws.block, L.full ? ws.cov : null),
  });
}
