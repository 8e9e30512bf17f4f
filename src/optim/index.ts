/**
 * Gradient-based baselines as `init`/`update` pairs over flat `Float64Array` parameters
 * (optax style). Re-exports, a registry `makeOptimizer(name, options)` for the CLI and the
 * benchmark, and the table of documented defaults.
 *
 * Defaults (generated from the constraint tables; a test checks each file header against them):
 *
 * | optimizer | option       | default | range    |
 * |-----------|--------------|---------|----------|
 * | sgd       | learningRate | 1e-4    | (0, inf) |
 * | sgd       | decay        | 0       | [0, 1]   |
 * | rmsprop   | learningRate | 3e-4    | (0, inf) |
 * | rmsprop   | rho          | 0.99    | [0, 1)   |
 * | rmsprop   | eps          | 1e-8    | (0, inf) |
 * | adam      | learningRate | 3e-4    | (0, inf) |
 * | adam      | beta1        | 0.9     | [0, 1)   |
 * | adam      | beta2        | 0.999   | [0, 1)   |
 * | adam      | eps          | 1e-8    | (0, inf) |
 * | sophia    | learningRate | 1e-4    | (0, inf) |
 * | sophia    | beta1        | 0.965   | [0, 1)   |
 * | sophia    | beta2        | 0.99    | [0, 1)   |
 * | sophia    | rho          | 0.04    | [0, inf) |
 * | sophia    | batchSize    | 1       | [1, inf) |
 * | sophia    | weightDecay  | 0       | [0, inf) |
 * | sophia    | hessianEvery | 10      | [1, inf) |
 */

import { checkOption } from "../core/constraints.js";
import { ADAM_OPTIONS, adam, type AdamOptions, type AdamState } from "./adam.js";
import { RMSPROP_OPTIONS, rmsprop, type RmspropOptions, type RmspropState } from "./rmsprop.js";
import { SGD_OPTIONS, sgd, type SgdOptions, type SgdState } from "./sgd.js";
import { SOPHIA_OPTIONS, sophia, type SophiaOptimizer, type SophiaOptions } from "./sophia.js";
import { defaultsOf, type Optimizer, type OptimizerName, type OptimizerOptionTable } from "./types.js";

export { adam, ADAM_OPTIONS, type AdamOptions, type AdamState } from "./adam.js";
export { rmsprop, RMSPROP_OPTIONS, type RmspropOptions, type RmspropState } from "./rmsprop.js";
export { sgd, SGD_OPTIONS, type SgdOptions, type SgdState } from "./sgd.js";
export {
  sophia,
  SOPHIA_OPTIONS,
  type SophiaOptimizer,
  type SophiaOptions,
  type SophiaState,
} from "./sophia.js";
export {
  applyUpdate,
  stateFromJSON,
  stateToJSON,
  type Float64ArrayJSON,
  type JsonDouble,
  type Optimizer,
  type OptimizerName,
  type OptimizerOptionSpec,
  type OptimizerOptionTable,
  type OptimizerState,
  type OptimizerStateJSON,
  type ResolvedOptions,
} from "./types.js";
export { describeRange } from "../core/constraints.js";

/** Every optimizer name, in the order used by reports. */
export const OPTIMIZER_NAMES: readonly OptimizerName[] = Object.freeze(["sgd", "rmsprop", "adam", "sophia"]);

/** Constraint table of each optimizer: the single source of truth for defaults and ranges. */
export const OPTIMIZER_OPTIONS: Readonly<Record<OptimizerName, OptimizerOptionTable>> = Object.freeze({
  sgd: SGD_OPTIONS,
  rmsprop: RMSPROP_OPTIONS,
  adam: ADAM_OPTIONS,
  sophia: SOPHIA_OPTIONS,
});

/** Documented defaults of each optimizer, derived from `OPTIMIZER_OPTIONS` (frozen). */
export const OPTIMIZER_DEFAULTS: Readonly<Record<OptimizerName, Readonly<Record<string, number>>>> = Object.freeze({
  sgd: defaultsOf(SGD_OPTIONS),
  rmsprop: defaultsOf(RMSPROP_OPTIONS),
  adam: defaultsOf(ADAM_OPTIONS),
  sophia: defaultsOf(SOPHIA_OPTIONS),
});

/**
 * Builds an optimizer by name (for the CLI and benchmark configs).
 * @param name one of `OPTIMIZER_NAMES`
 * @param options that optimizer's options; unknown keys and out-of-range values are rejected
 * @throws {OptionError} for an unknown name, an unknown option or an out-of-range value
 * @example
 * makeOptimizer("adam", { learningRate: 3e-3 }).options; // => { learningRate: 0.003, beta1: 0.9, beta2: 0.999, eps: 1e-8 }
 */
export function makeOptimizer(name: "sgd", options?: Partial<SgdOptions>): Optimizer<SgdState>;
export function makeOptimizer(name: "rmsprop", options?: Partial<RmspropOptions>): Optimizer<RmspropState>;
export function makeOptimizer(name: "adam", options?: Partial<AdamOptions>): Optimizer<AdamState>;
export function makeOptimizer(name: "sophia", options?: Partial<SophiaOptions>): SophiaOptimizer;
export function makeOptimizer(name: string, options?: Readonly<Record<string, unknown>>): Optimizer;
export function makeOptimizer(name: string, options: Readonly<Record<string, unknown>> = {}): Optimizer {
  // The factories validate `options` themselves (unknown keys, ranges); the cast only widens the type.
  const opts = options as Record<string, number>;
  switch (name) {
    case "sgd":
      return sgd(opts);
    case "rmsprop":
      return rmsprop(opts);
    case "adam":
      return adam(opts);
    case "sophia":
      return sophia(opts);
    default:
      checkOption("name", { kind: "enum", values: OPTIMIZER_NAMES, default: "adam", doc: "optimizer" }, name, "makeOptimizer");
      throw new Error("unreachable: checkOption accepted an unknown optimizer name");
  }
}
