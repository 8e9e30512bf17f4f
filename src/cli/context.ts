/**
 * What every command needs besides its flags: where to print, how loud to be, whether to draw
 * progress. Results go to stdout; messages, warnings and progress go to stderr.
 */
import { Flags } from "./args.js";

export interface Ctx {
  readonly command: string;
  readonly quiet: boolean;
  readonly verbose: boolean;
  /** Draw the progress display (see `progressEnabled`). */
  readonly progress: boolean;
  /** Progress on a terminal (redraw in place) rather than forced onto a pipe (one line per second). */
  readonly tty: boolean;
  /** A result line on stdout (suppressed by --quiet). */
  out(line: string): void;
  /** An informational line on stderr (suppressed by --quiet). */
  info(line: string): void;
  /** `ismm: warning: …` on stderr (suppressed by --quiet). */
  warn(line: string): void;
  /** A detail line on stderr, only with --verbose (and not --quiet). */
  detail(line: string): void;
}

/**
 * Progress is drawn when forced with --progress; otherwise only when stderr is a terminal, the
 * `CI` environment variable is unset, and neither --quiet nor --no-progress was given.
 */
export function progressEnabled(flags: Flags, env: NodeJS.ProcessEnv, isTTY: boolean): boolean {
  const forced = flags.tri("progress");
  if (flags.bool("quiet")) return false;
  if (forced !== undefined) return forced;
  return isTTY && !env.CI;
}

export function makeCtx(command: string, flags: Flags): Ctx {
  const quiet = flags.bool("quiet");
  const verbose = flags.bool("verbose") && !quiet;
  const tty = process.stderr.isTTY === true;
  const err = (s: string): void => {
    process.stderr.write(s + "\n");
  };
  return {
    command,
    quiet,
    verbose,
    progress: progressEnabled(flags, process.env, tty),
    tty,
    out: (s) => {
      if (!quiet) process.stdout.write(s + "\n");
    },
    info: (s) => {
      if (!quiet) err(s);
    },
    warn: (s) => {
      if (!quiet) err(`ismm: warning: ${s}`);
    },
    detail: (s) => {
      if (verbose) err(`ismm: ${s}`);
    },
  };
}

/**
 * "1,234,567". Grouped by hand: the first `toLocaleString` of a process loads ICU's number
 * formatting (~15 ms here), serial time in every short `fit`.
 */
export function fmtInt(n: number): string {
  const r = Math.round(n);
  if (!Number.isFinite(r) || Math.abs(r) >= 1e21) return String(r);
  const digits = String(Math.abs(r));
  let out = "";
  for (let i = 0; i < digits.length; i++) {
    if (i > 0 && (digits.length - i) % 3 === 0) out += ",";
    out += digits[i];
  }
  return r < 0 ? `-${out}` : out;
}

/** A number for humans: 4 significant digits, no exponent for ordinary magnitudes. */
export function fmtNum(x: number, digits = 4): string {
  if (!Number.isFinite(x)) return String(x);
  if (x !== 0 && (Math.abs(x) >= 1e6 || Math.abs(x) < 1e-4)) return x.toExponential(digits - 1);
  return Number(x.toPrecision(digits)).toString();
}

/** Seconds with sensible precision. */
export function fmtSeconds(ms: number): string {
  const s = ms / 1000;
  return s < 10 ? `${s.toFixed(2)} s` : `${s.toFixed(1)} s`;
}

/** Peak resident set size of this process in MiB (process.resourceUsage().maxRSS is in KiB). */
export function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}
