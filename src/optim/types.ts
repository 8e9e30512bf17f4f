/**
 * The optimizer contract shared by the gradient baselines (SGD, RMSProp, Adam, Sophia-G), plus the
 * three small pieces every optimizer needs: a constraint table for its options, `applyUpdate`, and
 * an exact JSON form of its state.
 *
 * Design (optax `GradientTransformation`, Optimisers.jl `init`/`apply!`):
 *
 *   state = opt.init(nParams)                 // allocates every buffer, once
 *   loop:
 *     grad ← ∇f(θ)                            // caller; mini-batches are averaged by the caller
 *     opt.update(grad, state, θ)              // grad is overwritten by the step Δ; state advances
 *     applyUpdate(θ, grad)                    // θ ← θ + Δ
 *
 * `update` mutates in place and allocates nothing, so a benchmark can run 10⁵ steps without
 * garbage. The state is a plain record `{ t, ...Float64Array buffers }` that the caller owns:
 * snapshots are `stateToJSON(state)`, restores are `stateFromJSON(obj)`.
 *
 * Option tables: each optimizer declares its options once, as data, in the rows of
 * core/constraints.ts (the same rows and the same checker as the estimator's OPTION_TABLE).
 * `resolveOptions` fills defaults, rejects unknown keys and values out of range, and the
 * documented defaults (`OPTIMIZER_DEFAULTS` in `index.ts` and the table in each file header) are
 * tested against these tables.
 */

import {
  defaultsOf as tableDefaults,
  reprValue,
  resolveTable,
  type FloatSpec,
  type IntSpec,
} from "../core/constraints.js";
import { InputError, ModelFormatError } from "../core/errors.js";
import { decodeDouble, encodeDoubles, type JsonDouble } from "../core/json-doubles.js";

/** Names of the optimizers in this package. */
export type OptimizerName = "sgd" | "rmsprop" | "adam" | "sophia";

/**
 * Mutable optimizer state. `t` counts completed `update` calls; the other fields are
 * `Float64Array` buffers of length `nParams` (or JSON scalars such as counters).
 */
export interface OptimizerState {
  t: number;
  [k: string]: unknown;
}

/** Resolved option values as stored on an optimizer (frozen). */
export type ResolvedOptions = Readonly<Record<string, number | string | boolean>>;

/**
 * An optimizer: an `init`/`update` pair over a state record that the caller owns
 * (optax `GradientTransformation`, minus the allocation).
 */
export interface Optimizer<S extends OptimizerState = OptimizerState> {
  readonly name: OptimizerName;
  /** Every option, defaults filled in; frozen. */
  readonly options: ResolvedOptions;
  /**
   * Allocates a fresh state for `nParams` parameters (`t = 0`, buffers zeroed).
   * @throws {InputError} when `nParams` is not a non-negative integer
   */
  init(nParams: number): S;
  /**
   * Overwrites `grad` with the update Δ and advances `state` (`t` += 1). The caller then does
   * `θ ← θ + Δ` with `applyUpdate(theta, grad)`. O(nParams); allocates nothing.
   * @param grad gradient ∇f(θ), length nParams; overwritten by Δ
   * @param state the state returned by `init` (mutated)
   * @param theta current parameters θ, length nParams; read only (used by weight decay), never written
   * @throws {InputError} when the lengths of `grad`, `theta` and the state buffers differ
   */
  update(grad: Float64Array, state: S, theta: Float64Array): void;
}

/**
 * θ ← θ + Δ, in place. O(n); allocates nothing.
 * @param theta parameters, overwritten
 * @param delta the step written into `grad` by `Optimizer.update`
 * @returns `theta`
 * @throws {InputError} when the lengths differ
 * @example
 * Array.from(applyUpdate(new Float64Array([1, 2]), new Float64Array([0.5, -1]))); // => [1.5, 1]
 */
export function applyUpdate(theta: Float64Array, delta: Float64Array): Float64Array {
  const n = theta.length;
  if (delta.length !== n) {
    throw new InputError(`applyUpdate requires delta of length ${n}, got ${delta.length}`);
  }
  for (let i = 0; i < n; i++) theta[i] += delta[i];
  return theta;
}

/** Checks `nParams` in `init`; shared by all optimizers. */
export function checkNParams(owner: string, nParams: number): void {
  if (!Number.isInteger(nParams) || nParams < 0) {
    throw new InputError(`${owner}.init requires nParams to be a non-negative integer, got ${String(nParams)}`);
  }
}

/** Checks that `grad`, `theta` (and the state buffers, length `n`) agree; allocates only when throwing. */
export function checkLengths(owner: string, n: number, grad: Float64Array, theta: Float64Array): void {
  if (grad.length !== n) {
    throw new InputError(`${owner}.update requires grad of length ${n}, got ${grad.length}`);
  }
  if (theta.length !== n) {
    throw new InputError(`${owner}.update requires theta of length ${n}, got ${theta.length}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Option constraint tables
// ---------------------------------------------------------------------------------------------

/** An optimizer option: an int or float row of core/constraints.ts with a numeric default, never null. */
export type OptimizerOptionSpec = (IntSpec | FloatSpec) & { readonly default: number; readonly nullable?: false };

/** Option name → constraint of one optimizer; the single source of truth for its defaults and ranges. */
export type OptimizerOptionTable = Readonly<Record<string, OptimizerOptionSpec>>;

/**
 * Fills defaults from `table`, rejects unknown keys and out-of-range values (core/constraints.ts
 * `resolveTable`), and returns a frozen record. A key whose value is `undefined` counts as not given.
 * @param table the optimizer's constraint table
 * @param user the options passed by the caller (may be `undefined`)
 * @param owner name used in messages, e.g. `"adam"`
 * @throws {OptionError} `The 'learningRate' option of adam must be a float in the range (0, inf). Got -1 instead`
 * @throws {OptionError} `Unknown option 'foo' for adam. Valid options: learningRate, beta1, beta2, eps`
 */
export function resolveOptions<T extends Record<string, number>>(table: OptimizerOptionTable, user: unknown, owner: string): Readonly<T> {
  return resolveTable(table, user, owner) as Readonly<T>;
}

/** The defaults of an optimizer's constraint table as a frozen record. */
export function defaultsOf(table: OptimizerOptionTable): Readonly<Record<string, number>> {
  return tableDefaults(table) as Readonly<Record<string, number>>;
}

// ---------------------------------------------------------------------------------------------
// State <-> JSON
// ---------------------------------------------------------------------------------------------

export type { JsonDouble } from "../core/json-doubles.js";

/** JSON form of a `Float64Array` state buffer. */
export interface Float64ArrayJSON {
  readonly float64: JsonDouble[];
}

/** JSON form of an optimizer state (tagged; see `stateToJSON`). */
export interface OptimizerStateJSON {
  readonly kind: "optimizer-state";
  readonly version: 1;
  readonly t: number;
  /** Every other own field of the state: buffers as `{float64: [...]}`, scalars as themselves. */
  readonly fields: Record<string, Float64ArrayJSON | number | string | boolean>;
}

function decodeOrThrow(v: unknown, where: string): number {
  const x = decodeDouble(v);
  if (x === undefined) throw new ModelFormatError(`stateFromJSON found ${reprValue(v)} at ${where}, expected a number`);
  return x;
}

/**
 * Converts a state to a JSON-safe object. Every `Float64Array` value survives
 * `stateFromJSON(JSON.parse(JSON.stringify(stateToJSON(s))))` bit for bit (NaN payloads aside,
 * which JavaScript does not preserve anyway). O(nParams); allocates the result.
 * @throws {InputError} when a field is neither a Float64Array nor a finite number, string or boolean
 * @example
 * stateToJSON({ t: 1, m: new Float64Array([0.1, -0]) }).fields; // => { m: { float64: [0.1, "-0"] } }
 */
export function stateToJSON(state: OptimizerState): OptimizerStateJSON {
  const fields: Record<string, Float64ArrayJSON | number | string | boolean> = {};
  for (const key of Object.keys(state)) {
    if (key === "t") continue;
    const v = state[key];
    if (v instanceof Float64Array) {
      fields[key] = { float64: encodeDoubles(v) };
    } else if ((typeof v === "number" && Number.isFinite(v)) || typeof v === "string" || typeof v === "boolean") {
      fields[key] = v;
    } else {
      throw new InputError(`stateToJSON cannot encode field '${key}' (${reprValue(v)})`);
    }
  }
  return { kind: "optimizer-state", version: 1, t: state.t, fields };
}

/**
 * Rebuilds a state from `stateToJSON` output (or its `JSON.parse`d text). Checks the tag and the
 * field shapes before trusting them (mljs `load`). Whether the buffers fit a given optimizer is
 * checked by that optimizer's `update` (lengths) on the first step.
 * @throws {ModelFormatError} when `obj` is not a version-1 optimizer state
 */
export function stateFromJSON<S extends OptimizerState = OptimizerState>(obj: unknown): S {
  if (obj === null || typeof obj !== "object") {
    throw new ModelFormatError(`stateFromJSON requires an object, got ${reprValue(obj)}`);
  }
  const o = obj as Record<string, unknown>;
  if (o.kind !== "optimizer-state") {
    throw new ModelFormatError(`stateFromJSON requires kind 'optimizer-state', got ${reprValue(o.kind)}`);
  }
  if (o.version !== 1) {
    throw new ModelFormatError(`stateFromJSON supports version 1, got ${reprValue(o.version)}`);
  }
  if (typeof o.t !== "number" || !Number.isInteger(o.t) || o.t < 0) {
    throw new ModelFormatError(`stateFromJSON requires t to be a non-negative integer, got ${reprValue(o.t)}`);
  }
  const fields = o.fields;
  if (fields === null || typeof fields !== "object" || Array.isArray(fields)) {
    throw new ModelFormatError(`stateFromJSON requires an object 'fields', got ${reprValue(fields)}`);
  }
  const state: OptimizerState = { t: o.t };
  for (const [key, v] of Object.entries(fields as Record<string, unknown>)) {
    if (key === "t") throw new ModelFormatError("stateFromJSON found a field named 't' inside 'fields'");
    if (v !== null && typeof v === "object" && Array.isArray((v as { float64?: unknown }).float64)) {
      const data = (v as { float64: unknown[] }).float64;
      const buf = new Float64Array(data.length);
      for (let i = 0; i < data.length; i++) buf[i] = decodeOrThrow(data[i], `fields.${key}[${i}]`);
      state[key] = buf;
    } else if ((typeof v === "number" && Number.isFinite(v)) || typeof v === "string" || typeof v === "boolean") {
      state[key] = v;
    } else {
      throw new ModelFormatError(`stateFromJSON cannot decode field '${key}' (${reprValue(v)})`);
    }
  }
  return state as S;
}
