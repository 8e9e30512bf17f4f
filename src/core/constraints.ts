/**
 * Option constraint tables (sklearn `_parameter_constraints`): an owner (the estimator, each
 * optimizer) declares its options once, as data — kind, range, default, one line of doc — and
 * `resolveTable` fills defaults, rejects unknown keys and bad values with one message format:
 *
 *   The 'nExperts' option of MoeRegressor must be an int in the range [1, inf). Got 0 instead
 *   Unknown option 'nExpert' for MoeRegressor. Valid options: nExperts, method, …
 *
 * Ranges are intervals in the usual notation: `[` / `]` closed, `(` / `)` open, `inf` unbounded.
 * A float must be finite; an int must be an integer (`Number.isInteger`).
 */
import { OptionError } from "./errors.js";

/** An integer option in the closed range [min, max] (`max` absent = unbounded). */
export interface IntSpec {
  readonly kind: "int";
  readonly min: number;
  readonly max?: number;
  /** Whether `null` is accepted (and means what `doc` says). */
  readonly nullable?: boolean;
  readonly default: number | null;
  /** One-line meaning, used in docs. */
  readonly doc: string;
}

/** A finite real option in [min, max]; `minOpen` / `maxOpen` exclude the ends (`max` absent = unbounded). */
export interface FloatSpec {
  readonly kind: "float";
  readonly min: number;
  readonly max?: number;
  readonly minOpen?: boolean;
  readonly maxOpen?: boolean;
  readonly nullable?: boolean;
  readonly default: number | null;
  readonly doc: string;
}

/** A string option taking one of `values`. */
export interface EnumSpec {
  readonly kind: "enum";
  readonly values: readonly string[];
  readonly default: string;
  readonly doc: string;
}

/** A boolean option. */
export interface BoolSpec {
  readonly kind: "bool";
  readonly default: boolean;
  readonly doc: string;
}

/** One entry of a constraint table. */
export type OptionSpec = IntSpec | FloatSpec | EnumSpec | BoolSpec;

/** Option name → constraint; the single source of truth for an owner's defaults and ranges. */
export type ConstraintTable = Readonly<Record<string, OptionSpec>>;

/**
 * The range of a numeric spec in interval notation.
 * @example
 * describeRange({ kind: "float", min: 0, minOpen: true, default: 1, doc: "" }); // => "(0, inf)"
 * describeRange({ kind: "int", min: 1, max: 3, default: 1, doc: "" }); // => "[1, 3]"
 */
export function describeRange(spec: IntSpec | FloatSpec): string {
  const open = (end: number, isOpen: boolean | undefined): boolean => isOpen === true || !Number.isFinite(end);
  const fmt = (v: number): string => (v === Infinity ? "inf" : v === -Infinity ? "-inf" : String(v));
  const min = spec.min;
  const max = spec.max ?? Infinity;
  const minOpen = spec.kind === "float" ? spec.minOpen : false;
  const maxOpen = spec.kind === "float" ? spec.maxOpen : false;
  return `${open(min, minOpen) ? "(" : "["}${fmt(min)}, ${fmt(max)}${open(max, maxOpen) ? ")" : "]"}`;
}

/**
 * What a spec accepts, as the message says it.
 * @example
 * describeConstraint({ kind: "enum", values: ["fast", "exact"], default: "fast", doc: "" }); // => "one of 'fast', 'exact'"
 */
export function describeConstraint(spec: OptionSpec): string {
  switch (spec.kind) {
    case "int":
      return `an int in the range ${describeRange(spec)}`;
    case "float":
      return `a float in the range ${describeRange(spec)}`;
    case "enum":
      return `one of ${spec.values.map((v) => `'${v}'`).join(", ")}`;
    case "bool":
      return "a boolean";
  }
}

/** A rejected value as the message shows it: strings in JSON quotes, arrays listed, NaN as NaN. */
export function reprValue(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (v === null) return "null";
  if (Array.isArray(v)) return `[${v.map(reprValue).join(", ")}]`;
  if (typeof v === "object") return Object.prototype.toString.call(v);
  return String(v);
}

/** Whether `v` satisfies `spec` (null only when nullable). */
export function satisfiesSpec(spec: OptionSpec, v: unknown): boolean {
  if (v === null) return (spec.kind === "int" || spec.kind === "float") && spec.nullable === true;
  switch (spec.kind) {
    case "int":
      return typeof v === "number" && Number.isInteger(v) && v >= spec.min && (spec.max === undefined || v <= spec.max);
    case "float": {
      if (typeof v !== "number" || !Number.isFinite(v)) return false;
      const aboveMin = spec.minOpen ? v > spec.min : v >= spec.min;
      const belowMax = spec.max === undefined || (spec.maxOpen ? v < spec.max : v <= spec.max);
      return aboveMin && belowMax;
    }
    case "enum":
      return typeof v === "string" && spec.values.includes(v);
    case "bool":
      return typeof v === "boolean";
  }
}

/**
 * Checks one value against its spec.
 * @throws {OptionError} `The '<name>' option of <owner> must be <constraint>[ or null]. Got <value> instead`
 */
export function checkOption(name: string, spec: OptionSpec, v: unknown, owner: string): void {
  if (satisfiesSpec(spec, v)) return;
  const nul = (spec.kind === "int" || spec.kind === "float") && spec.nullable ? " or null" : "";
  throw new OptionError(`The '${name}' option of ${owner} must be ${describeConstraint(spec)}${nul}. Got ${reprValue(v)} instead`);
}

/**
 * Fills defaults from `table`, rejects unknown keys (own properties only, so `toString` is
 * unknown too) and bad values, and returns a frozen record with every key of the table. A key whose
 * value is `undefined` counts as not given.
 * @param table the owner's constraint table
 * @param user the options passed by the caller (may be `undefined`)
 * @param owner name used in messages, e.g. `"MoeRegressor"` or `"adam"`
 * @throws {OptionError} when `user` is not a plain object, for an unknown key or a bad value
 */
export function resolveTable(table: ConstraintTable, user: unknown, owner: string): Readonly<Record<string, unknown>> {
  if (user !== undefined && (user === null || typeof user !== "object" || Array.isArray(user))) {
    throw new OptionError(`The options of ${owner} must be a plain object. Got ${reprValue(user)} instead`);
  }
  const given = (user ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (!Object.prototype.hasOwnProperty.call(table, key)) {
      throw new OptionError(`Unknown option '${key}' for ${owner}. Valid options: ${Object.keys(table).join(", ")}`);
    }
  }
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(table)) {
    const v = given[key];
    if (v === undefined) {
      out[key] = spec.default;
    } else {
      checkOption(key, spec, v, owner);
      out[key] = v;
    }
  }
  return Object.freeze(out);
}

/** The defaults of a constraint table as a frozen record. */
export function defaultsOf(table: ConstraintTable): Readonly<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(table)) out[key] = spec.default;
  return Object.freeze(out);
}
