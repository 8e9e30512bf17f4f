/**
 * Weighted Gram accumulation for batch EM (the O(n K p²) part of every EM M-step):
 *
 *   S_k (upper triangle) += Σ_i (w_ik / div) x_i x_iᵀ,   k < K, rows i in order
 *
 * bit-identical to the reference loop of `symRank1Blend(p, S, o_k, 1, w_ik / div, X, i·p)` calls
 * (`gramReference`), which it falls back to when WebAssembly SIMD is unavailable or switched off.
 * With SIMD, rows are copied chunk by chunk into a WebAssembly memory and the `gram` kernel
 * (kernels.wat) sweeps each S_k once per four rows. Memory O(chunk·(p + K) + K p²), fixed at
 * creation; nothing is allocated per call.
 */
import { symRank1Blend } from "../dense.js";
import { createMemory, linkSimdKernels, type SimdKernels } from "./simd.js";

/** Rows copied into the kernel memory at a time (bounded so that the chunk stays in L2). */
const CHUNK_BYTES = 1 << 20;

export interface GramEngine {
  readonly p: number;
  readonly K: number;
  /**
   * For k < K: upper triangle of the p×p block of `s` at so + k·blockStride += Σ_i (w_ik / div) x_i x_iᵀ,
   * with x_i = X[i·p .. i·p + p) (design rows), w_ik = W[i·K + k], or 1 for every row and k when W is null.
   */
  accumulate(X: Float64Array, n: number, W: Float64Array | null, div: number, s: Float64Array, so: number, blockStride: number): void;
  /** Whether the SIMD kernel runs (false: the reference loop). */
  readonly simd: boolean;
}

/** The reference: one `symRank1Blend` per row and block (rows in order, zero weights skipped). */
export function gramReference(
  p: number, K: number, X: Float64Array, n: number, W: Float64Array | null, div: number, s: Float64Array, so: number, blockStride: number,
): void {
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < K; k++) {
      const bt = (W === null ? 1 : W[i * K + k]) / div;
      if (bt === 0) continue;
      symRank1Blend(p, s, so + k * blockStride, 1, bt, X, i * p);
    }
  }
}

/** A Gram engine for p×p blocks and K weights per row (SIMD when available and enabled); `maxRows` bounds its chunk. */
export function createGramEngine(p: number, K: number, maxRows = Infinity): GramEngine {
  const chunk = Math.max(4, Math.min(maxRows, Math.floor(CHUNK_BYTES / (8 * (p + K)))));
  const elems = chunk * (p + K) + K * p * p;
  const bytes = Math.ceil((8 * elems) / 65536) * 65536;
  const memory = p >= 2 ? createMemory(bytes) : null;
  const kern: SimdKernels | null = memory !== null ? linkSimdKernels(memory) : null;
  if (memory === null || kern === null) {
    return {
      p, K, simd: false,
      accumulate: (X, n, W, div, s, so, blockStride) => gramReference(p, K, X, n, W, div, s, so, blockStride),
    };
  }
  const H = new Float64Array(memory.buffer);
  const oS = 0; // K p×p blocks
  const oX = K * p * p; // chunk×p rows
  const oW = oX + chunk * p; // chunk×K weights
  const pp = p * p;
  return {
    p, K, simd: true,
    accumulate(X, n, W, div, s, so, blockStride) {
      for (let k = 0; k < K; k++) H.set(s.subarray(so + k * blockStride, so + k * blockStride + pp), oS + k * pp);
      for (let r0 = 0; r0 < n; r0 += chunk) {
        const m = Math.min(chunk, n - r0);
        H.set(X.subarray(r0 * p, (r0 + m) * p), oX);
        if (W === null) {
          const w = 1 / div;
          for (let i = 0; i < m * K; i++) H[oW + i] = w;
        } else {
          for (let i = 0; i < m * K; i++) H[oW + i] = W[r0 * K + i] / div;
        }
        for (let k = 0; k < K; k++) kern.gram(p, 8 * (oS + k * pp), 8 * oX, 8 * (oW + k), 8 * K, m);
      }
      for (let k = 0; k < K; k++) s.set(H.subarray(oS + k * pp, oS + (k + 1) * pp), so + k * blockStride);
    },
  };
}
