/**
 * `ismm select --l1`: the λ1 grid of the elastic net (docs/SPARSE.md), chosen alongside K by the same
 * criterion. For a penalized fit the criteria count the free parameters as the gate, the variances and
 * the NONZERO expert coefficients: the number of nonzero lasso coefficients is an unbiased estimate of
 * the lasso's degrees of freedom (Zou, Hastie & Tibshirani 2007, "On the degrees of freedom of the
 * lasso", Ann. Statist. 35(5)); with λ2 > 0 it is an upper bound (the ridge part shrinks further).
 */
import type { MoeParameters } from "../index.js";
import { Flags } from "./args.js";
import { UsageError } from "./errors.js";

/** `--l1 auto`: no penalty and the grid (λ1 per row of mean NLL, scaled units). */
export const AUTO_L1_GRID: readonly number[] = [0, 0.001, 0.003, 0.01, 0.03, 0.1];

/** Parses `--l1` ("auto", one value or a comma-separated list of finite numbers ≥ 0); null when absent. */
export function parseL1Grid(raw: string | undefined, command: string): number[] | null {
  if (raw === undefined) return null;
  if (raw.trim() === "auto") return [...AUTO_L1_GRID];
  const out = new Set<number>();
  for (const part of raw.split(",")) {
    const v = part.trim() === "" ? NaN : Number(part);
    if (!Number.isFinite(v) || v < 0) {
      throw new UsageError(`--l1 must be 'auto' or a comma-separated list of numbers ≥ 0 like 0.001,0.01,0.1. Got ${JSON.stringify(raw)} instead`, command);
    }
    out.add(v);
  }
  return [...out].sort((a, b) => a - b);
}

/** The flags without `name` (select reads --l1 as a grid, not as one estimator option). */
export function withoutFlag(flags: Flags, name: string): Flags {
  const values = new Map(flags.parsed.values);
  values.delete(name);
  return new Flags({ values, positionals: flags.parsed.positionals }, flags.command);
}

/** Free parameters of a fitted model counting only nonzero expert coefficients: (K−1)p + #{β ≠ 0} + Kq. */
export function activeParameters(params: MoeParameters): number {
  const K = params.beta.length;
  const q = params.beta[0].length;
  const p = params.beta[0][0].length;
  let nonzero = 0;
  for (const bk of params.beta) for (const row of bk) for (const v of row) if (v !== 0) nonzero++;
  return (K - 1) * p + nonzero + K * q;
}
