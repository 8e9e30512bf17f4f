/**
 * Typed errors thrown by the library. The CLI turns each into one line on stderr and a non-zero
 * exit; library callers can branch on `instanceof` or on `code`.
 *
 * Message grammar (simple-statistics / sklearn): name what is wrong and where, no final period,
 * e.g. `The 'nExperts' option of MoeRegressor must be an int in the range [1, inf). Got 0 instead`.
 */

/** Base class of every error this library throws on purpose. */
export class IsmmError extends Error {
  /** Stable machine-readable code, e.g. `"E_OPTION"`. */
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

/** An option (hyperparameter) is unknown, of the wrong type or out of range. */
export class OptionError extends IsmmError {
  constructor(message: string) {
    super("E_OPTION", message);
  }
}

/** Where in a user's file a data problem was found (1-based line and column). */
export interface DataLocation {
  readonly file?: string;
  readonly line?: number;
  /** 1-based column index. */
  readonly column?: number;
  /** Column name from the header, when known. */
  readonly columnName?: string;
}

/** Formats a location as `file:line:column (name)`, leaving out what is unknown. */
export function formatLocation(loc: DataLocation): string {
  let s = loc.file ?? "<input>";
  if (loc.line !== undefined) s += `:${loc.line}`;
  if (loc.column !== undefined) s += `:${loc.column}`;
  if (loc.columnName !== undefined) s += ` (column '${loc.columnName}')`;
  return s;
}

/** The user's data is malformed or inconsistent (bad cell, ragged row, missing column...). */
export class DataError extends IsmmError {
  readonly location: DataLocation;
  /** `detail` is the bare problem; `message` is `location: detail`. */
  readonly detail: string;
  constructor(detail: string, location: DataLocation = {}) {
    super("E_DATA", `${formatLocation(location)}: ${detail}`);
    this.location = location;
    this.detail = detail;
  }
}

/** Input arrays passed to a library call have the wrong length, type or non-finite values. */
export class InputError extends IsmmError {
  constructor(message: string) {
    super("E_INPUT", message);
  }
}

/**
 * One row of a batch passed to `learnOne`/`learnMany` cannot be learned (a non-finite value, or one
 * beyond the computable range). Rows before it in the same call were learned; this row and the
 * rest were not, and the model's state is as before this row.
 */
export class RowError extends InputError {
  /** 0-based index of the row within the call. */
  readonly row: number;
  /** Which array and 0-based column: "x" (a feature) or "y" (a target). */
  readonly array: "x" | "y";
  readonly column: number;
  /** The offending value as text, e.g. `NaN` or `1e+160, beyond ±1e150`. */
  readonly detail: string;
  constructor(caller: string, row: number, array: "x" | "y", column: number, detail: string) {
    super(`${caller} requires finite values within ±1e150; row ${row}: ${array}[${column}] is ${detail}`);
    this.row = row;
    this.array = array;
    this.column = column;
    this.detail = detail;
  }
}

/** A saved model / checkpoint is corrupt, of another version or of another kind. */
export class ModelFormatError extends IsmmError {
  constructor(message: string) {
    super("E_MODEL_FORMAT", message);
  }
}

/** A method needs a fitted model and none is available yet. */
export class NotFittedError extends IsmmError {
  constructor(message: string) {
    super("E_NOT_FITTED", message);
  }
}

/** Numerical trouble the algorithm could not recover from (message gives cause and remedy). */
export class NumericalError extends IsmmError {
  constructor(message: string) {
    super("E_NUMERICAL", message);
  }
}

/** A worker thread of the parallel batch statistic failed or stopped responding (message says which and why). */
export class WorkerError extends IsmmError {
  constructor(message: string) {
    super("E_WORKER", message);
  }
}

/** The OS reason of a Node system error (`no such file or directory (ENOENT)`), else its message. */
export function osErrorReason(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    const m = /^[A-Z0-9_]+: ([^,]+)/.exec(err.message);
    if (code !== undefined && m !== null) return `${m[1]} (${code})`;
    return code !== undefined ? `${err.message} (${code})` : err.message;
  }
  return String(err);
}
