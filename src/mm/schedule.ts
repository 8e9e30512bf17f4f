/**
 * Robbins–Monro step sizes for the statistic recursion s_n = s_{n−1} + γ_n (S̄_n − s_{n−1}):
 *
 *   γ_n = min(1, γ0 · n^(−α)),   α ∈ (½, 1]   ⇒   Σ γ_n = ∞,  Σ γ_n² < ∞
 *
 * (Cappé & Moulines 2009; spec §1.3). n counts every row folded into s, including the rows of
 * the initialization buffer, so a run that starts from a buffer of n0 rows continues at n0 + 1.
 */
import { OptionError } from "../core/errors.js";

export interface StepSchedule {
  /** Scale γ0 > 0. */
  readonly gamma0: number;
  /** Decay exponent α ∈ (0.5, 1]. */
  readonly alpha: number;
}

/** γ_n for n ≥ 1. */
export function stepSize(schedule: StepSchedule, n: number): number {
  return Math.min(1, schedule.gamma0 * Math.pow(n, -schedule.alpha));
}

/** Throws OptionError unless γ0 > 0 and α ∈ (0.5, 1] (the SA convergence conditions). */
export function validateSchedule(schedule: StepSchedule, owner = "ISMM"): void {
  if (!(schedule.gamma0 > 0) || !Number.isFinite(schedule.gamma0)) {
    throw new OptionError(`The 'stepScale' option of ${owner} must be a float in the range (0, inf). Got ${schedule.gamma0} instead`);
  }
  if (!(schedule.alpha > 0.5 && schedule.alpha <= 1)) {
    throw new OptionError(`The 'stepExponent' option of ${owner} must be a float in the range (0.5, 1]. Got ${schedule.alpha} instead`);
  }
}
