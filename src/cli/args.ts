/**
 * The command-line parser (Node's `util.parseArgs` tokenizer plus our checks and messages) and
 * the mapping between `MoeRegressor` options and flags.
 *
 * Syntax: `--flag value`, `--flag=value`, `-f value`, boolean `--flag` / `--no-flag`, repeated
 * list flags (`--target a --target b`), `-` is a positional (stdin), `--` ends the flags.
 *
 * Estimator flags are generated from `OPTION_TABLE` one-to-one (camelCase → kebab-case, plus the
 * two short names `--experts` = nExperts and `--lr` = learningRate), and their values are
 * validated by the same table, so the constraint wording is the library's, naming the flag.
 */
import { parseArgs as nodeParseArgs } from "node:util";
import { OPTION_TABLE, OptionError, resolveOptions } from "../index.js";
import { UsageError } from "./errors.js";

export type FlagKind = "string" | "boolean" | "list";

export interface FlagSpec {
  /** Long name without the dashes. */
  readonly name: string;
  readonly kind: FlagKind;
  /** One-letter alias without the dash. */
  readonly short?: string;
  /** Value placeholder for the help text. */
  readonly value?: string;
  readonly doc: string;
  /** Boolean flags: also accept `--no-<name>` (sets false). */
  readonly negatable?: boolean;
}

export type FlagValue = string | boolean | string[];

export interface ParsedArgs {
  readonly values: ReadonlyMap<string, FlagValue>;
  readonly positionals: readonly string[];
}

/** Flags every command accepts. */
export const COMMON_FLAGS: readonly FlagSpec[] = [
  { name: "help", short: "h", kind: "boolean", doc: "show this help and exit" },
  { name: "quiet", short: "q", kind: "boolean", doc: "print nothing but errors (and the command's data output)" },
  { name: "verbose", short: "v", kind: "boolean", doc: "print details: options, timings, initialization, peak memory; stack traces on internal errors" },
  {
    name: "progress",
    kind: "boolean",
    negatable: true,
    doc: "force the progress display on (--progress) or off (--no-progress); default: on when stderr is a terminal and CI is not set",
  },
];

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0];
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j];
      dp[j] = Math.min(dp[j] + 1, dp[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length];
}

function suggest(name: string, specs: readonly FlagSpec[]): string {
  let best = "";
  let bestD = Infinity;
  for (const s of specs) {
    const d = editDistance(name, s.name);
    if (d < bestD) {
      bestD = d;
      best = s.name;
    }
  }
  return bestD <= Math.max(2, Math.floor(name.length / 3)) ? ` (did you mean --${best}?)` : "";
}

/** The `util.parseArgs` configuration of `specs` (tokenizing only: the checks are ours). */
function tokenizerOptions(specs: readonly FlagSpec[]): Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }> {
  const out: Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }> = Object.create(null);
  for (const s of specs) {
    out[s.name] = { type: s.kind === "boolean" ? "boolean" : "string", ...(s.short ? { short: s.short } : {}), ...(s.kind === "list" ? { multiple: true } : {}) };
  }
  return out;
}

/**
 * Parses `argv` against `specs`; throws UsageError naming the flag on any problem. Node's
 * `util.parseArgs` splits the arguments into tokens (`--flag value`, `--flag=value`, `-f value`,
 * `-fvalue`, grouped short booleans `-qv`, `--` and positionals); the mapping onto `specs`,
 * `--no-<flag>`, repeated-flag and missing-value checks and their messages are ours.
 */
export function parseArgs(argv: readonly string[], specs: readonly FlagSpec[], command: string): ParsedArgs {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const values = new Map<string, FlagValue>();
  const positionals: string[] = [];
  const set = (spec: FlagSpec, v: string | boolean): void => {
    if (spec.kind === "list") {
      const cur = (values.get(spec.name) as string[] | undefined) ?? [];
      cur.push(v as string);
      values.set(spec.name, cur);
      return;
    }
    if (values.has(spec.name) && spec.kind === "string") {
      throw new UsageError(`--${spec.name} was given more than once`, command);
    }
    values.set(spec.name, v);
  };
  const { tokens } = nodeParseArgs({ args: [...argv], options: tokenizerOptions(specs), strict: false, allowPositionals: true, tokens: true });
  for (const token of tokens) {
    if (token.kind === "positional") {
      positionals.push(token.value);
      continue;
    }
    if (token.kind === "option-terminator") continue; // what follows are positional tokens
    const isShort = !token.rawName.startsWith("--");
    let spec = byName.get(token.name);
    let negated = false;
    if (isShort) {
      if (/^-\d/.test(token.rawName)) {
        throw new UsageError(`unexpected argument ${JSON.stringify(argv[token.index])}; negative numbers go after their flag's '=' (e.g. --noise=-1)`, command);
      }
      if (spec === undefined || spec.short === undefined) throw new UsageError(`unknown option ${token.rawName}`, command);
    } else if (spec === undefined) {
      const base = token.name.startsWith("no-") ? byName.get(token.name.slice(3)) : undefined;
      if (base !== undefined && base.negatable) {
        spec = base;
        negated = true;
      } else {
        throw new UsageError(`unknown option --${token.name}${suggest(token.name, specs)}`, command);
      }
    }
    const inline = token.inlineValue === true ? token.value : undefined;
    if (spec.kind === "boolean") {
      if (inline !== undefined) {
        if (isShort) throw new UsageError(`option ${token.rawName} takes no value`, command);
        if (inline === "true" || inline === "false") {
          set(spec, negated ? inline === "false" : inline === "true");
          continue;
        }
        throw new UsageError(`--${spec.name} takes no value (got ${JSON.stringify(inline)})`, command);
      }
      set(spec, !negated);
      continue;
    }
    if (token.value === undefined) throw new UsageError(`--${spec.name} needs a value${spec.value ? ` (${spec.value})` : ""}`, command);
    set(spec, token.value);
  }
  return { values, positionals };
}

/** Typed accessors over a parse result. */
export class Flags {
  constructor(
    readonly parsed: ParsedArgs,
    readonly command: string,
  ) {}
  has(name: string): boolean {
    return this.parsed.values.has(name);
  }
  bool(name: string): boolean {
    return this.parsed.values.get(name) === true;
  }
  /** true / false when given, undefined otherwise (for --x / --no-x tri-states). */
  tri(name: string): boolean | undefined {
    const v = this.parsed.values.get(name);
    return typeof v === "boolean" ? v : undefined;
  }
  str(name: string): string | undefined {
    const v = this.parsed.values.get(name);
    return typeof v === "string" ? v : undefined;
  }
  list(name: string): string[] {
    const v = this.parsed.values.get(name);
    return Array.isArray(v) ? v : [];
  }
  /** An integer flag in [min, max]; UsageError naming the flag otherwise. */
  int(name: string, def: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const raw = this.str(name);
    if (raw === undefined) return def;
    const v = raw.trim() === "" ? NaN : Number(raw);
    if (!Number.isInteger(v) || v < min || v > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `[${min}, inf)` : `[${min}, ${max}]`;
      throw new UsageError(`--${name} must be an int in the range ${range}. Got ${JSON.stringify(raw)} instead`, this.command);
    }
    return v;
  }
  /** A finite number flag with an optional exclusive lower bound. */
  num(name: string, def: number, minExclusive = -Infinity): number {
    const raw = this.str(name);
    if (raw === undefined) return def;
    const v = raw.trim() === "" ? NaN : Number(raw);
    if (!Number.isFinite(v) || !(v > minExclusive)) {
      const range = minExclusive === -Infinity ? "a finite number" : `a number greater than ${minExclusive}`;
      throw new UsageError(`--${name} must be ${range}. Got ${JSON.stringify(raw)} instead`, this.command);
    }
    return v;
  }
  /** One of `choices`. */
  choice<T extends string>(name: string, choices: readonly T[], def: T): T;
  choice<T extends string>(name: string, choices: readonly T[], def?: T): T | undefined;
  choice<T extends string>(name: string, choices: readonly T[], def?: T): T | undefined {
    const raw = this.str(name);
    if (raw === undefined) return def;
    if (!(choices as readonly string[]).includes(raw)) {
      throw new UsageError(`--${name} must be one of ${choices.map((c) => `'${c}'`).join(", ")}. Got ${JSON.stringify(raw)} instead`, this.command);
    }
    return raw as T;
  }
}

// ---------------------------------------------------------------------------------------------
// Estimator options ↔ flags

interface TableEntry {
  readonly kind: "int" | "float" | "enum" | "bool";
  readonly default: unknown;
  readonly doc: string;
  readonly nullable?: boolean;
  readonly values?: readonly string[];
}

const SHORT_NAMES: Readonly<Record<string, string>> = { nExperts: "experts", learningRate: "lr" };

/** The flag name of an estimator option (`stepScale` → `step-scale`, `nExperts` → `experts`). */
export function optionFlag(option: string): string {
  return SHORT_NAMES[option] ?? option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

const TABLE = OPTION_TABLE as unknown as Readonly<Record<string, TableEntry>>;

/**
 * Upper bounds the command line puts on the size options, beyond the library's table: what can
 * be allocated and fitted in a reasonable time (typed arrays of K·p² numbers for K experts, an
 * initialization buffer of initRows·(d+q) numbers). The help text states them.
 */
export const SIZE_LIMITS: Readonly<Record<string, number>> = {
  nExperts: 1000,
  initRows: 10_000_000,
  batchSize: 1_000_000,
};

/** One flag per row of OPTION_TABLE. */
export const ESTIMATOR_FLAGS: readonly (FlagSpec & { readonly option: string })[] = Object.entries(TABLE).map(([option, e]) => {
  const def = (e.default === null ? "auto" : String(e.default)) + (SIZE_LIMITS[option] !== undefined ? `; at most ${SIZE_LIMITS[option]}` : "");
  const value = e.kind === "enum" ? (e.values ?? []).join("|") : e.kind === "int" ? "N" : "X";
  const flag: FlagSpec & { option: string } =
    e.kind === "bool"
      ? { name: optionFlag(option), kind: "boolean", negatable: true, doc: `${e.doc} (default ${def}; --no-${optionFlag(option)} to turn off)`, option }
      : { name: optionFlag(option), kind: "string", value, doc: `${e.doc} (default ${def})`, option };
  return flag;
});

/**
 * The estimator options given on the command line, each validated by OPTION_TABLE; a bad value
 * is a UsageError naming the flag with the table's requirement, e.g.
 * `--experts must be an int in the range [1, inf). Got 0 instead`.
 */
export function estimatorOptions(flags: Flags, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of ESTIMATOR_FLAGS) {
    if (!flags.has(f.name)) continue;
    const e = TABLE[f.option];
    let v: unknown;
    if (e.kind === "bool") v = flags.tri(f.name);
    else {
      const raw = flags.str(f.name) as string;
      if (e.kind === "enum") v = raw;
      else if (e.nullable && (raw === "none" || raw === "null" || raw === "auto")) v = null;
      else {
        const n = raw.trim() === "" ? NaN : Number(raw);
        v = Number.isNaN(n) ? raw : n;
      }
    }
    out[f.option] = v;
  }
  Object.assign(out, overrides);
  for (const [option, v] of Object.entries(out)) {
    try {
      resolveOptions({ [option]: v });
    } catch (err) {
      if (!(err instanceof OptionError)) throw err;
      const m = / must be (.*)$/s.exec(err.message);
      const what = m ? `must be ${m[1]}` : err.message;
      throw new UsageError(`--${optionFlag(option)} ${what}`, flags.command);
    }
    const limit = Object.hasOwn(SIZE_LIMITS, option) ? SIZE_LIMITS[option] : undefined;
    if (limit !== undefined && typeof v === "number" && v > limit) {
      const min = (TABLE[option] as { min?: number }).min ?? 0;
      throw new UsageError(`--${optionFlag(option)} must be an int in the range [${min}, ${limit}] (sizes are bounded by what can be allocated and fitted). Got ${v} instead`, flags.command);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Help rendering

/** Renders flags as an aligned two-column list, wrapped at `width`. */
export function renderFlags(specs: readonly FlagSpec[], width = 100): string {
  const left = specs.map((s) => {
    const short = s.short ? `-${s.short}, ` : "    ";
    const neg = s.negatable ? `, --no-${s.name}` : "";
    const val = s.kind === "boolean" ? "" : ` <${s.value ?? "value"}>`;
    return `  ${short}--${s.name}${val}${neg}`;
  });
  const col = Math.min(38, Math.max(...left.map((l) => l.length)) + 2);
  const lines: string[] = [];
  specs.forEach((s, i) => {
    const words = s.doc.split(/\s+/);
    const avail = Math.max(30, width - col);
    const wrapped: string[] = [];
    let cur = "";
    for (const w of words) {
      if (cur.length > 0 && cur.length + 1 + w.length > avail) {
        wrapped.push(cur);
        cur = w;
      } else cur = cur.length > 0 ? `${cur} ${w}` : w;
    }
    if (cur.length > 0) wrapped.push(cur);
    const head = left[i];
    if (head.length + 2 > col) {
      lines.push(head);
      for (const w of wrapped) lines.push(" ".repeat(col) + w);
    } else {
      lines.push(head.padEnd(col) + (wrapped[0] ?? ""));
      for (const w of wrapped.slice(1)) lines.push(" ".repeat(col) + w);
    }
  });
  return lines.join("\n");
}
