/** Axis layout helpers: log-axis domains and ticks, symmetric-log constants and ticks. */

/**
 * Log-axis layout for data in [min, max] (> 0): a domain snapped outwards to a fine 1-2-3…-9 grid
 * (little wasted space) and tick values from {1,2,5}·10^k, thinned for wide ranges and denser for
 * narrow ones (at most ~8 labels).
 */
export function logAxis(min: number, max: number): { domain: [number, number]; ticks: number[] } {
  const decades = Math.log10(max / min);
  const FINE = [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8, 9];
  const grid = (m: readonly number[]): number[] => {
    const out: number[] = [];
    for (let k = Math.floor(Math.log10(min)) - 1; k <= Math.ceil(Math.log10(max)) + 1; k++) {
      for (const f of m) out.push(Number((f * Math.pow(10, k)).toPrecision(6)));
    }
    return out;
  };
  const eps = 1e-9;
  let lo: number;
  let hi: number;
  if (!(decades >= 0.05)) {
    // (nearly) constant data: a ±10% window
    lo = min / 1.1;
    hi = max * 1.1;
  } else {
    const dg = grid(decades > 6 ? [1, 3] : decades > 3 ? [1, 2, 5] : decades > 1 ? [1, 1.5, 2, 3, 4, 5, 6, 7, 8, 9] : FINE);
    lo = Math.max(...dg.filter((v) => v <= min * (1 + eps)));
    hi = Math.min(...dg.filter((v) => v >= max * (1 - eps)));
  }
  const inside = (m: readonly number[]): number[] => grid(m).filter((v) => v >= lo * (1 - eps) && v <= hi * (1 + eps));
  const span = Math.log10(hi / lo);
  let ticks = inside(span > 6 ? [1] : span > 3 ? [1, 3] : span > 1 ? [1, 2, 5] : FINE);
  if (ticks.length < 3) ticks = inside(FINE);
  if (ticks.length > 8) {
    const step = Math.ceil(ticks.length / 8);
    ticks = ticks.filter((_, i) => i % step === 0);
  }
  return { domain: [lo, hi], ticks };
}

/**
 * Symlog constant: a power of ten at the scale of the final values (median of their non-zero
 * magnitudes), so the region where series are compared is resolved.
 */
export function symlogConstant(finals: readonly number[], all: readonly number[]): number {
  let mags = finals.map(Math.abs).filter((v) => v > 0 && Number.isFinite(v));
  if (mags.length === 0) mags = all.map(Math.abs).filter((v) => v > 0 && Number.isFinite(v));
  if (mags.length === 0) return 1;
  mags.sort((a, b) => a - b);
  return Math.pow(10, Math.floor(Math.log10(mags[Math.floor(mags.length / 2)])));
}

/** Tick values for a symlog axis: 0 and ±{1,2,5}·10^k from c up to the data range. */
export function symlogTicks(min: number, max: number, c: number): number[] {
  const maxAbs = Math.max(Math.abs(min), Math.abs(max));
  const decades = Math.max(1, Math.ceil(Math.log10(maxAbs / c)));
  const mult = decades <= 2 ? [1, 2, 5] : decades <= 4 ? [1, 3] : [1];
  const mags: number[] = [];
  for (let k = 0; k <= decades; k++) for (const m of mult) mags.push(Number((m * c * Math.pow(10, k)).toPrecision(6)));
  const ticks = new Set<number>();
  if (min <= 0 && max >= 0) ticks.add(0);
  for (const v of mags) {
    if (v >= min && v <= max) ticks.add(v);
    if (-v >= min && -v <= max) ticks.add(-v);
  }
  // the first tick beyond each end, so the extreme values are labelled
  const up = mags.find((v) => v > max);
  if (max > 0 && up !== undefined) ticks.add(up);
  const down = mags.find((v) => -v < min);
  if (min < 0 && down !== undefined) ticks.add(-down);
  return [...ticks].sort((a, b) => a - b);
}
