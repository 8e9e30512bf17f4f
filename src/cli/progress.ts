/**
 * A progress line on stderr: rows, rows/s, running loss, and a bar with a percentage when the
 * size is known. On a terminal it is redrawn in place at most 10 times per second and erased at
 * the end; when forced onto a pipe (--progress) it prints one plain line per second instead.
 * Disabled (the default on pipes and in CI) it costs one branch per batch.
 */

import { fmtInt } from "./context.js";

export interface ProgressState {
  /** Rows processed so far. */
  readonly rows: number;
  /** Fraction done in [0, 1] when known. */
  readonly fraction?: number;
  /** Running loss to show (e.g. the prequential NLL), NaN or undefined to hide. */
  readonly loss?: number;
  /** Short prefix, e.g. "epoch 2/3". */
  readonly stage?: string;
  /** Appended after the loss (e.g. the prequential window NLL and MSE). */
  readonly extra?: string;
}

const TTY_INTERVAL_MS = 100;
const PIPE_INTERVAL_MS = 1000;
const BAR_WIDTH = 24;

export class Progress {
  private last = 0;
  private readonly t0 = performance.now();
  private drawn = false;

  constructor(
    private readonly enabled: boolean,
    private readonly tty: boolean,
    private readonly label: string,
    private readonly stream: NodeJS.WritableStream & { columns?: number } = process.stderr,
  ) {}

  /** Redraws if enabled and the last draw is old enough. */
  update(state: ProgressState): void {
    if (!this.enabled) return;
    const now = performance.now();
    if (now - this.last < (this.tty ? TTY_INTERVAL_MS : PIPE_INTERVAL_MS)) return;
    this.last = now;
    this.draw(state, now);
  }

  /** Final state: erases the line on a terminal; prints a last line on a pipe. */
  done(state?: ProgressState): void {
    if (!this.enabled) return;
    if (this.tty) {
      if (this.drawn) this.stream.write("\r\x1b[K");
      this.drawn = false;
    } else if (state) {
      this.draw(state, performance.now());
    }
  }

  private draw(s: ProgressState, now: number): void {
    const secs = (now - this.t0) / 1000;
    const rate = secs > 0 ? s.rows / secs : 0;
    const parts: string[] = [this.label];
    if (s.stage) parts.push(s.stage);
    if (s.fraction !== undefined && Number.isFinite(s.fraction)) {
      const f = Math.min(1, Math.max(0, s.fraction));
      const full = Math.round(f * BAR_WIDTH);
      parts.push(`[${"#".repeat(full)}${".".repeat(BAR_WIDTH - full)}] ${(f * 100).toFixed(0).padStart(3)}%`);
    }
    parts.push(`${fmtInt(s.rows)} rows`);
    parts.push(`${fmtInt(rate)} rows/s`);
    if (s.loss !== undefined && Number.isFinite(s.loss)) parts.push(`loss ${s.loss.toPrecision(4)}`);
    if (s.extra) parts.push(s.extra);
    let line = parts.join("  ");
    if (this.tty) {
      const cols = this.stream.columns ?? 100;
      if (line.length > cols - 1) line = line.slice(0, cols - 1);
      this.stream.write(`\r${line}\x1b[K`);
      this.drawn = true;
    } else {
      this.stream.write(`${line}\n`);
    }
  }
}
