/**
 * Error → one line on stderr + exit code. Nothing here prints a stack trace unless asked
 * (`--verbose`).
 *
 * Exit codes (documented in `ismm --help`):
 *   0  success
 *   1  data, model or numerical error (bad cell, missing column, corrupt model file, too few rows…)
 *   2  usage or option error (unknown flag, bad flag value, missing argument)
 *   3  internal error (a bug: please report it with the output of --verbose)
 * 130 interrupted (SIGINT)
 */
import { DataError, IsmmError, OptionError } from "../index.js";

export const EXIT_OK = 0;
export const EXIT_DATA = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERNAL = 3;
export const EXIT_INTERRUPTED = 130;

/** A command-line usage problem (exit 2). `command` names the sub-command for the help hint. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
    this.name = "UsageError";
  }
}

/** A problem with a file the CLI reads or writes itself (model, checkpoint, --out): exit 1. */
export class CliFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CliFileError";
  }
}

/** Collapses line breaks so that every error is exactly one line. */
function oneLine(s: string): string {
  return s.replace(/\s*[\r\n]+\s*/g, " ").trim();
}

/** The one-line message and exit code of an error. */
export function describeError(err: unknown): { line: string; code: number; internal: boolean } {
  if (err instanceof UsageError) {
    const hint = err.command ? ` (see 'ismm ${err.command} --help')` : " (see 'ismm --help')";
    return { line: `ismm: ${oneLine(err.message)}${hint}`, code: EXIT_USAGE, internal: false };
  }
  if (err instanceof OptionError) return { line: `ismm: ${oneLine(err.message)}`, code: EXIT_USAGE, internal: false };
  if (err instanceof IsmmError || err instanceof CliFileError) {
    return { line: `ismm: ${oneLine(err.message)}`, code: EXIT_DATA, internal: false };
  }
  if (err instanceof RangeError && /typed array length|array length|allocation failed/i.test(err.message)) {
    // A size the machine cannot hold (e.g. an initialization buffer of initRows·(d+q) numbers).
    return { line: `ismm: not enough memory: ${oneLine(err.message)}; use fewer experts, initialization rows or columns`, code: EXIT_DATA, internal: false };
  }
  const msg = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return {
    line: `ismm: internal error: ${oneLine(msg)} (rerun with --verbose for the stack trace)`,
    code: EXIT_INTERNAL,
    internal: true,
  };
}

/**
 * Prefixes a library error that carries no file name (e.g. the estimator's "too few rows"
 * InputError raised at finish/flush) with the data source, keeping its class.
 */
export function withSource(err: unknown, source: string): unknown {
  if (err instanceof DataError) return err; // already located
  if (err instanceof IsmmError && !(err instanceof OptionError)) {
    const wrapped = new DataError(err.message, { file: source });
    return wrapped;
  }
  return err;
}
