/**
 * Σ_{i∈rows} S̄(θ; x_i, y_i) of the MoE surrogate over a block of rows at one θ — the batch statistic
 * of mini-batch ISMM (mm/minibatch.ts) — computed block-wise instead of row by row.
 *
 * Row by row (`accumulate` with a = b = 1), every row reads and writes all (K+1)·p(p+1)/2 Gram
 * entries (K expert matrices Sxx_k = Σ τ_ik x_i x_iᵀ and the gate's G2 = Σ x_i x_iᵀ). Here the rows of
 * a block (up to BLOCK_ROWS) are copied and then added eight at a time (rank-8 updates):
 *
 *   G2[a,b] += Σ_{r≤8} x_ra x_rb,      Sxx_k[a,b] += Σ_{r≤8} (τ_rk x_ra) x_rb,
 *
 * so each entry is loaded and stored once per eight rows, in a long inner loop over b
 * (`bench/threads.ts` times the batch path that uses it against per-row ISMM). The other blocks of
 * the statistic (s0, syy, sxy, G1, and the responses' cross-products of a full-covariance model:
 * O(K q p) per row) are added row by row exactly as `accumulate` adds them. Same sums, another order of additions (agreement to rounding is tested).
 */
import type { MoeLayout } from "../model/dims.js";
import { rowPosterior, type RowWorkspace } from "../model/moe.js";
import type { MoeStatLayout } from "./moe-stats.js";
import { blendCross, type CovWorkspace } from "./moe-covariance.js";
import { gateResiduals } from "./gate-residual.js";

/** Rows per block: the transposed rows of a block stay in the first-level cache at d ≈ 100. */
export const BLOCK_ROWS = 16;

/** Scratch of `addBlock`: the block's rows (zero-padded to BLOCK_ROWS) and responsibilities. */
export interface BlockScratch {
  readonly xr: Float64Array; // BLOCK_ROWS × p
  readonly tr: Float64Array; // K × BLOCK_ROWS
}

export function createBlockScratch(L: MoeLayout): BlockScratch {
  return { xr: new Float64Array(L.p * BLOCK_ROWS), tr: new Float64Array(L.K * BLOCK_ROWS) };
}

/**
 * s += Σ_{i=from}^{to−1} S̄(θ; x_i, y_i) (rows of the flat design X, stride p, and targets Y, stride q),
 * in blocks of BLOCK_ROWS rows. Returns Σ f(θ; z_i). Allocates nothing.
 */
export function addRows(
  L: MoeLayout, S: MoeStatLayout, s: Float64Array, theta: Float64Array,
  X: ArrayLike<number>, Y: ArrayLike<number>, from: number, to: number, ws: RowWorkspace, scratch: BlockScratch, cov: CovWorkspace | null,
): number {
  let f = 0;
  for (let b = from; b < to; b += BLOCK_ROWS) f += addBlock(L, S, s, theta, X, Y, b, Math.min(to, b + BLOCK_ROWS), ws, scratch, cov);
  return f;
}

function addBlock(
  L: MoeLayout, S: MoeStatLayout, s: Float64Array, theta: Float64Array,
  X: ArrayLike<number>, Y: ArrayLike<number>, from: number, to: number, ws: RowWorkspace, scratch: BlockScratch, cov: CovWorkspace | null,
): number {
  const { K, q, p } = L;
  const m = to - from;
  const { xr, tr } = scratch;
  let f = 0;
  for (let r = 0; r < m; r++) {
    const xo = (from + r) * p;
    const yo = (from + r) * q;
    rowPosterior(L, theta, X, xo, Y, yo, ws); // ws.a = τ, ws.logPi = log π̄, ws.loss[0] = f
    f += ws.loss[0];
    const tau = ws.a;
    for (let a = 0; a < p; a++) xr[r * p + a] = X[xo + a];
    for (let k = 0; k < K; k++) {
      const t = tau[k];
      s[S.s0 + k] += t;
      tr[k * BLOCK_ROWS + r] = t;
      for (let j = 0; j < q; j++) {
        const yj = Y[yo + j];
        const kj = k * q + j;
        s[S.syy + kj] += t * yj * yj;
        const o = S.sxy + kj * p;
        const c = t * yj;
        for (let a = 0; a < p; a++) s[o + a] += c * X[xo + a];
      }
    }
    if (K > 1) {
      gateResiduals(K, ws.logPi, tau, 0, ws.u); // as in `accumulate`
      for (let k = 0; k < K - 1; k++) {
        const u = ws.u[k];
        const o = S.G1 + k * p;
        for (let a = 0; a < p; a++) s[o + a] += u * X[xo + a];
      }
    }
    if (cov !== null) {
      // Full covariance: the responses' weighted cross-products, as `accumulate` adds them.
      cov.ab[0] = 1;
      cov.ab[1] = 1;
      blendCross(L, S, s, cov.ab, 0, 1, tau, Y, yo);
    }
  }
  // Gram blocks, upper triangle, eight rows at a time (rows past m are zero in the scratch):
  //   G2[a,b] += Σ_r x_ra x_rb,   Sxx_k[a,b] += Σ_r (τ_rk x_ra) x_rb
  // with the inner loop over b contiguous in the row-major rows.
  for (let r = m; r < BLOCK_ROWS; r++) {
    xr.fill(0, r * p, (r + 1) * p);
    for (let k = 0; k < K; k++) tr[k * BLOCK_ROWS + r] = 0;
  }
  const groups = (m + 7) >> 3;
  for (let k = -1; k < K; k++) {
    const so = k < 0 ? S.G2 : S.Sxx + k * p * p;
    const to = k * BLOCK_ROWS;
    for (let g = 0; g < groups; g++) {
      const o1 = 8 * g * p;
      const o2 = o1 + p;
      const o3 = o2 + p;
      const o4 = o3 + p;
      const o5 = o4 + p;
      const o6 = o5 + p;
      const o7 = o6 + p;
      const o8 = o7 + p;
      const r0 = to + 8 * g;
      const w1 = k < 0 ? 1 : tr[r0];
      const w2 = k < 0 ? 1 : tr[r0 + 1];
      const w3 = k < 0 ? 1 : tr[r0 + 2];
      const w4 = k < 0 ? 1 : tr[r0 + 3];
      const w5 = k < 0 ? 1 : tr[r0 + 4];
      const w6 = k < 0 ? 1 : tr[r0 + 5];
      const w7 = k < 0 ? 1 : tr[r0 + 6];
      const w8 = k < 0 ? 1 : tr[r0 + 7];
      for (let a = 0; a < p; a++) {
        const c1 = w1 * xr[o1 + a];
        const c2 = w2 * xr[o2 + a];
        const c3 = w3 * xr[o3 + a];
        const c4 = w4 * xr[o4 + a];
        const c5 = w5 * xr[o5 + a];
        const c6 = w6 * xr[o6 + a];
        const c7 = w7 * xr[o7 + a];
        const c8 = w8 * xr[o8 + a];
        const row = so + a * p;
        for (let b = a; b < p; b++) {
          s[row + b] += c1 * xr[o1 + b] + c2 * xr[o2 + b] + c3 * xr[o3 + b] + c4 * xr[o4 + b]
            + c5 * xr[o5 + b] + c6 * xr[o6 + b] + c7 * xr[o7 + b] + c8 * xr[o8 + b];
        }
      }
    }
  }
  return f;
}
