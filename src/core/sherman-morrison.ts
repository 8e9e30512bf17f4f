/**
 * Kernels for maintaining the inverse M = S⁻¹ of a symmetric positive-definite p×p matrix S under
 * scaled rank-one updates S' = a·S + b·x xᵀ (a > 0, b ≥ 0), by Sherman–Morrison:
 *
 *   S' = a (S + c x xᵀ),  c = b/a
 *   M' = (1/a) [ M − (c/δ) h hᵀ ],   h = M x,  ρ = xᵀh,  δ = 1 + c ρ  (≥ 1 while M ≻ 0)
 *
 * Storage. M is kept in PACKED upper-triangular form: row i holds M_ii..M_i,p−1 contiguously, so
 * the p(p+1)/2 entries are visited by one running index and M is symmetric by construction (an
 * update of a full matrix that rounds M_ij and M_ji differently drifts to O(1) error within a
 * few thousand rows; spec §3.7). S is the statistic block in `s`: full p×p row-major storage of
 * which only the upper triangle is read or written (the convention of core/dense.ts).
 *
 * Deferred ("pending") rank-one. A row needs h = M x before it can subtract (c/δ) h hᵀ, so a
 * naive update reads M twice (matvec, then rank-one). Instead the rank-one of row n is stored as
 * (g = h_n, α = 1/a_n, κ = α c_n/δ_n) and applied during row n+1's matvec pass:
 *
 *   M_ij ← α·M_ij − (κ·g_i)·g_j      then      h_i += M_ij x_j,  h_j += M_ij x_i   (i ≤ j)
 *
 * so every row costs ONE pass over the p(p+1)/2 packed entries, fused with the blend of S. "No
 * pending update" is (α, κ, g) = (1, 0, 0), which leaves every entry bit-for-bit unchanged, and
 * `smFlush` applies a pending update with the very same expression, so flushing never changes
 * the values a later pass computes (a snapshot may store the pending triple or the flushed M).
 *
 * The asm.js twins of these kernels (core/heap-kernels.ts) are bit-for-bit identical.
 * Nothing here allocates.
 */

/** Number of entries of a packed upper triangle of a p×p matrix. */
export function packedSize(p: number): number {
  return (p * (p + 1)) / 2;
}

/** Offset of entry (i, j), i ≤ j, in a packed upper triangle of a p×p matrix starting at 0. */
export function packedIndex(p: number, i: number, j: number): number {
  return i * p - (i * (i - 1)) / 2 + (j - i);
}

/**
 * Slots of the scalar block `c` the passes read and write. Scalars travel through a Float64Array,
 * never as arguments or return values: V8 boxes a double passed to (or returned from) a call it
 * does not inline, i.e. allocates 16 bytes per double per call.
 */
export const PASS_SA = 0; // blend weight a of S
export const PASS_SB = 1; // rank-one weight b of S
export const PASS_ALPHA = 2; // pending α
export const PASS_KAPPA = 3; // pending κ
export const PASS_MIN_DIAG = 4; // out: smallest updated diagonal entry of M
export const PASS_RHO = 5; // out of the WebAssembly SIMD pass only: ρ = xᵀh (core/wasm/kernels.wat)
export const PASS_SLOTS = 6;

/**
 * One fused pass over the packed inverse M (at `mo`) and the statistic S (upper triangle, full
 * storage at `so`). With (sa, sb, α, κ) = c[co + PASS_SA..PASS_KAPPA], for every i ≤ j in order:
 *
 *   M_ij ← α M_ij − (κ g_i) g_j             (apply the pending rank-one of the previous row)
 *   S_ij ← sa S_ij + (sb x_i) x_j           (blend the statistic, same expression as symRank1Blend)
 *   h    ← M x                              (symmetric matvec with the updated M)
 *
 * `x`, `g` (at `go`) and `h` are length-p Float64Arrays; `h` is overwritten. Writes the smallest
 * updated diagonal entry of M to c[co + PASS_MIN_DIAG] (non-positive: M lost positive
 * definiteness). Flops: 5p² + 3p (M update 3, S blend 3 per upper entry; matvec 2 per diagonal
 * and 4 per off-diagonal upper entry).
 */
export function smFusedPass(
  p: number, M: Float64Array, mo: number, S: Float64Array, so: number,
  x: Float64Array, g: Float64Array, go: number, h: Float64Array, c: Float64Array, co: number,
): void {
  const sa = c[co + PASS_SA];
  const sb = c[co + PASS_SB];
  const alpha = c[co + PASS_ALPHA];
  const kappa = c[co + PASS_KAPPA];
  for (let i = 0; i < p; i++) h[i] = 0;
  let t = mo;
  let minDiag = Infinity;
  for (let i = 0; i < p; i++) {
    const xi = x[i];
    const gi = g[go + i];
    const kgi = kappa * gi;
    const bxi = sb * xi;
    const srow = so + i * p;
    const mii = alpha * M[t] - kgi * gi;
    M[t] = mii;
    t++;
    if (mii < minDiag) minDiag = mii;
    S[srow + i] = sa * S[srow + i] + bxi * xi;
    let acc = h[i] + mii * xi;
    for (let j = i + 1; j < p; j++) {
      const mij = alpha * M[t] - kgi * g[go + j];
      M[t] = mij;
      t++;
      S[srow + j] = sa * S[srow + j] + bxi * x[j];
      acc += mij * x[j];
      h[j] += mij * xi;
    }
    h[i] = acc;
  }
  c[co + PASS_MIN_DIAG] = minDiag;
}

/**
 * `symRank1Blend` (core/dense.ts) with its scalars read from c[co + PASS_SA], c[co + PASS_SB]:
 * upper triangle of S (at `so`) ← sa S + (sb x_i) x_j. Same expression, bit-identical results.
 */
export function symBlend(p: number, S: Float64Array, so: number, x: Float64Array, c: Float64Array, co: number): void {
  const sa = c[co + PASS_SA];
  const sb = c[co + PASS_SB];
  for (let i = 0; i < p; i++) {
    const bxi = sb * x[i];
    const row = so + i * p;
    for (let j = i; j < p; j++) S[row + j] = sa * S[row + j] + bxi * x[j];
  }
}

/** Applies a pending rank-one M_ij ← α M_ij − (κ g_i) g_j with exactly the expression of the passes. */
export function smFlush(p: number, M: Float64Array, mo: number, g: Float64Array, go: number, alpha: number, kappa: number): void {
  let t = mo;
  for (let i = 0; i < p; i++) {
    const kgi = kappa * g[go + i];
    for (let j = i; j < p; j++) {
      M[t] = alpha * M[t] - kgi * g[go + j];
      t++;
    }
  }
}

/**
 * M (packed upper, at `mo`) ← (RᵀR)⁻¹ = R⁻¹ R⁻ᵀ from the upper Cholesky factor R (full storage
 * at `ro`, as written by `cholUpper`). `T` (≥ p·p) receives R⁻¹ (upper). 2p³/3 flops (R⁻¹ p³/3,
 * R⁻¹R⁻ᵀ p³/3), contiguous inner loops, no allocation.
 */
export function spdInverseFromChol(p: number, R: Float64Array, ro: number, T: Float64Array, M: Float64Array, mo: number): void {
  // T = R⁻¹ (upper), row by row: row i solves T_i,: R = e_iᵀ by forward substitution in axpy form,
  // so the inner loop runs along a row of R (contiguous).
  for (let i = p - 1; i >= 0; i--) {
    const ti = i * p;
    for (let l = i; l < p; l++) T[ti + l] = 0;
    for (let m = i; m < p; m++) {
      const rm = ro + m * p;
      const v = ((m === i ? 1 : 0) - T[ti + m]) / R[rm + m];
      T[ti + m] = v;
      for (let l = m + 1; l < p; l++) T[ti + l] += v * R[rm + l];
    }
  }
  // M_ij = Σ_{l ≥ j} T_il T_jl for i ≤ j (rows of T, contiguous).
  let t = mo;
  for (let i = 0; i < p; i++) {
    for (let j = i; j < p; j++) {
      let s = 0;
      for (let l = j; l < p; l++) s += T[i * p + l] * T[j * p + l];
      M[t++] = s;
    }
  }
}
