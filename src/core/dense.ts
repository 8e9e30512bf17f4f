/**
 * Dense row-major kernels on flat Float64Array buffers with explicit offsets (stdlib-js style).
 * Nothing here allocates. Symmetric p×p matrices are stored full (p·p) but the rank-one updates
 * below write the upper triangle only (i ≤ j); `cholUpper` reads only the upper triangle, and
 * `mirrorUpper` copies it down where a full matrix is needed.
 */

/** Σ_i a[ao+i]·b[bo+i] for i < n. */
export function dot(n: number, a: ArrayLike<number>, ao: number, b: ArrayLike<number>, bo: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[ao + i] * b[bo + i];
  return s;
}

/**
 * Upper triangle of A (p×p at offset ao) ← alpha·A + beta·x xᵀ. O(p²/2).
 * The strictly lower triangle is not touched.
 */
export function symRank1Blend(
  p: number, A: Float64Array, ao: number, alpha: number, beta: number, x: ArrayLike<number>, xo: number,
): void {
  for (let i = 0; i < p; i++) {
    const bxi = beta * x[xo + i];
    const row = ao + i * p;
    for (let j = i; j < p; j++) A[row + j] = alpha * A[row + j] + bxi * x[xo + j];
  }
}

/** Copies the upper triangle of the p×p matrix at `ao` onto its lower triangle. */
export function mirrorUpper(p: number, A: Float64Array, ao: number): void {
  for (let i = 1; i < p; i++) {
    for (let j = 0; j < i; j++) A[ao + i * p + j] = A[ao + j * p + i];
  }
}

/**
 * In-place Cholesky of the symmetric positive-definite p×p matrix whose upper triangle is at
 * `src[so..]`, written as the upper factor R (A = RᵀR) into `R[ro..]` (may alias src).
 * `ridge` is added to the diagonal first. Returns false if a pivot is ≤ `minPivot`·max diag
 * (not numerically positive definite); R is then garbage. O(p³/6), allocates nothing.
 */
export function cholUpper(
  p: number, src: Float64Array, so: number, R: Float64Array, ro: number, ridge = 0, minPivot = 1e-13,
): boolean {
  let maxDiag = 0;
  for (let i = 0; i < p; i++) maxDiag = Math.max(maxDiag, src[so + i * p + i] + ridge);
  if (!(maxDiag > 0) || !Number.isFinite(maxDiag)) return false;
  const tol = minPivot * maxDiag;
  // Right-looking (row-oriented): R starts as the upper triangle of A (+ ridge on the diagonal);
  // step k finalizes row k and subtracts R_ki R_kj from every later row i ≤ j, along contiguous
  // rows. Entry (i, j) thus receives A_ij − R_0i R_0j − R_1i R_1j − … in the same order as the
  // dot-product (left-looking) form, so R is the same to the bit, at contiguous memory access.
  // Steps go four at a time: the four rows are finalized one after the other (each updating the
  // block's later rows at once), then every row below the block gets the four subtractions in a
  // register, in the same order — one load and store per entry instead of four.
  for (let i = 0; i < p; i++) {
    for (let j = i; j < p; j++) R[ro + i * p + j] = src[so + i * p + j] + (i === j ? ridge : 0);
  }
  for (let k0 = 0; k0 < p; k0 += 4) {
    const kEnd = Math.min(p, k0 + 4);
    for (let k = k0; k < kEnd; k++) {
      const rk = ro + k * p;
      const s = R[rk + k];
      if (!(s > tol)) return false;
      const rkk = Math.sqrt(s);
      R[rk + k] = rkk;
      for (let j = k + 1; j < p; j++) R[rk + j] = R[rk + j] / rkk;
      for (let i = k + 1; i < kEnd; i++) {
        const rki = R[rk + i];
        const ri = ro + i * p;
        for (let j = i; j < p; j++) R[ri + j] -= rki * R[rk + j];
      }
    }
    if (kEnd - k0 === 4) {
      const r0 = ro + k0 * p;
      const r1 = r0 + p;
      const r2 = r1 + p;
      const r3 = r2 + p;
      for (let i = kEnd; i < p; i++) {
        const a0 = R[r0 + i];
        const a1 = R[r1 + i];
        const a2 = R[r2 + i];
        const a3 = R[r3 + i];
        const ri = ro + i * p;
        for (let j = i; j < p; j++) {
          let v = R[ri + j];
          v -= a0 * R[r0 + j];
          v -= a1 * R[r1 + j];
          v -= a2 * R[r2 + j];
          v -= a3 * R[r3 + j];
          R[ri + j] = v;
        }
      }
    } else {
      for (let k = k0; k < kEnd; k++) {
        const rk = ro + k * p;
        for (let i = kEnd; i < p; i++) {
          const rki = R[rk + i];
          const ri = ro + i * p;
          for (let j = i; j < p; j++) R[ri + j] -= rki * R[rk + j];
        }
      }
    }
  }
  return true;
}

/**
 * Solves (RᵀR) z = b in place (b at `bo`, length p) given the upper Cholesky factor R from
 * `cholUpper`. Forward substitution with Rᵀ, then back substitution with R. O(p²).
 */
export function cholSolve(p: number, R: Float64Array, ro: number, b: Float64Array, bo: number): void {
  for (let i = 0; i < p; i++) {
    let s = b[bo + i];
    for (let k = 0; k < i; k++) s -= R[ro + k * p + i] * b[bo + k];
    b[bo + i] = s / R[ro + i * p + i];
  }
  for (let i = p - 1; i >= 0; i--) {
    let s = b[bo + i];
    for (let k = i + 1; k < p; k++) s -= R[ro + i * p + k] * b[bo + k];
    b[bo + i] = s / R[ro + i * p + i];
  }
}

/**
 * Factorizes the SPD matrix (upper triangle at src[so..]) into R, retrying with a growing ridge
 * λ = 1e-10·(trace/p)·10^j, j = 0..6, when it is not numerically positive definite (a ridge is a
 * Gaussian prior, so the MM surrogate keeps its form; spec §3.6). Returns the ridge used, or −1 if
 * even the largest ridge failed.
 */
export function cholWithRidge(p: number, src: Float64Array, so: number, R: Float64Array, ro: number): number {
  if (cholUpper(p, src, so, R, ro, 0)) return 0;
  let tr = 0;
  for (let i = 0; i < p; i++) tr += Math.abs(src[so + i * p + i]);
  const base = tr > 0 && Number.isFinite(tr) ? (1e-10 * tr) / p : 1e-10;
  for (let j = 0; j <= 6; j++) {
    const ridge = base * 10 ** j;
    if (cholUpper(p, src, so, R, ro, ridge)) return ridge;
  }
  return -1;
}

/** y[yo..yo+m) = A x where A is m×n row-major at `ao`. O(mn). */
export function matVec(
  m: number, n: number, A: ArrayLike<number>, ao: number, x: ArrayLike<number>, xo: number, y: Float64Array, yo: number,
): void {
  for (let i = 0; i < m; i++) {
    let s = 0;
    const row = ao + i * n;
    for (let j = 0; j < n; j++) s += A[row + j] * x[xo + j];
    y[yo + i] = s;
  }
}

/** vᵀ S w for a symmetric p×p S whose upper triangle is at S[so..]. O(p²). */
export function quadFormUpper(
  p: number, S: Float64Array, so: number, v: ArrayLike<number>, vo: number, w: ArrayLike<number>, wo: number,
): number {
  let acc = 0;
  for (let i = 0; i < p; i++) {
    acc += S[so + i * p + i] * v[vo + i] * w[wo + i];
    for (let j = i + 1; j < p; j++) acc += S[so + i * p + j] * (v[vo + i] * w[wo + j] + v[vo + j] * w[wo + i]);
  }
  return acc;
}
