/**
 * Log-domain helpers. Every mixture probability in the library goes through these.
 *
 *   LSE(a) = m + log Σ_k exp(a_k − m),   m = max_k a_k
 *
 * The max-shift keeps exp() in (0, 1], so huge logits neither overflow nor lose the winner.
 */

/**
 * log Σ exp(a[off..off+n)). Returns −∞ for n = 0 or all −∞; +∞ if any entry is +∞; NaN if any is NaN.
 * O(n), allocates nothing.
 */
export function logSumExp(a: ArrayLike<number>, off = 0, n = a.length - off): number {
  let m = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = a[off + i];
    if (v > m || Number.isNaN(v)) m = v;
  }
  if (!Number.isFinite(m)) return m; // −∞ (empty / all −∞), +∞ or NaN
  let acc = 0;
  for (let i = 0; i < n; i++) acc += Math.exp(a[off + i] - m);
  return m + Math.log(acc);
}

/**
 * In place: a[off..off+n) ← softmax(a) = exp(a − LSE(a)). Returns LSE(a).
 * O(n), allocates nothing.
 */
export function softmaxInPlace(a: Float64Array, off = 0, n = a.length - off): number {
  const lse = logSumExp(a, off, n);
  for (let i = 0; i < n; i++) a[off + i] = Math.exp(a[off + i] - lse);
  return lse;
}

/** ½·log(2π), the constant of the Gaussian log-density. */
export const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);
