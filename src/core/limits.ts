/**
 * The range of input values the library computes with. A finite value beyond it would overflow a
 * sufficient statistic (squares of inputs and targets enter Sxx, syy and the E-step's residuals),
 * so a row holding one is rejected before it touches any state — an error the caller can locate,
 * not a NaN discovered later.
 */

/** Largest |value| accepted in x or y (raw units): its square, 1e300, is still finite. */
export const MAX_ABS_VALUE = 1e150;

/** True when v is finite and |v| ≤ MAX_ABS_VALUE. */
export function isComputable(v: number): boolean {
  return v >= -MAX_ABS_VALUE && v <= MAX_ABS_VALUE;
}
