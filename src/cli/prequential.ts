/**
 * The prequential (predict-then-learn) log of `ismm fit --prequential-out F.csv`, following River's
 * `progressive_val_score` and Vowpal Wabbit's progressive-validation table: a line each time the
 * number of scored rows reaches 1, 2, 4, 8, …, and one at the end. Every row is scored by the model
 * that predicts (the estimator's current prediction parameters, e.g. the Polyak average) *before*
 * it learns the row; the estimator accumulates the sums (`MoeRegressor.prequentialTotals`), and a
 * window's values are differences of two readings.
 */
import type { MoeRegressor } from "../index.js";
import { writeFileAtomic } from "./atomic-write.js";
import { fmtNum } from "./context.js";

/** Header of the prequential CSV. */
export const PREQUENTIAL_COLUMNS = ["rows", "scored", "nll", "mse", "window_rows", "window_nll", "window_mse", "seconds"] as const;

interface Reading {
  readonly rows: number;
  readonly count: number;
  readonly nllSum: number;
  readonly sqErrSum: number;
  readonly sqErrRows: number;
}

export class PrequentialLog {
  private readonly lines: string[] = [PREQUENTIAL_COLUMNS.join(",")];
  private last: Reading = { rows: 0, count: 0, nllSum: 0, sqErrSum: 0, sqErrRows: 0 };
  private nextCount = 1;
  private readonly t0 = performance.now();
  private q = 1;

  constructor(private readonly model: MoeRegressor) {
    model.trackPrequentialError();
  }

  /** Rows learned after which the next line may be due (train.ts `marks`). */
  next(rowsTotal: number): number {
    if (!this.model.isInitialized) return rowsTotal + 1; // scoring starts after initialization
    const need = this.nextCount - this.model.prequentialTotals.count;
    return rowsTotal + Math.max(1, need);
  }

  /** Called with the model up to date after `rowsTotal` rows: writes a line when one is due. */
  at(rowsTotal: number): void {
    const t = this.model.prequentialTotals;
    if (t.count < this.nextCount) return;
    this.write(rowsTotal);
    while (this.nextCount <= t.count) this.nextCount *= 2;
  }

  /** The running and last-window values for the progress line. */
  status(): string {
    const t = this.model.prequentialTotals;
    const q = this.model.nTargets ?? 1;
    if (t.sqErrRows === 0) return "";
    return `mse ${fmtNum(t.sqErrSum / (t.sqErrRows * q))}`;
  }

  /**
   * The final line (unless the last line is already at `rowsTotal`), then the file, atomically.
   * Returns a warning when no row was scored (batch EM learns only after the last row).
   */
  async finish(rowsTotal: number, path: string): Promise<string | null> {
    const t = this.model.prequentialTotals;
    if (t.count > this.last.count) this.write(rowsTotal);
    await writeFileAtomic(path, this.lines.join("\n") + "\n");
    if (this.lines.length > 1) return null;
    const why = this.model.method === "em" ? "batch EM fits after the last row, so it predicts no row before learning it" : "the model learned no row after its initialization";
    return `--prequential-out: no row was scored (${why}); ${path} has only the header`;
  }

  private write(rowsTotal: number): void {
    const t = this.model.prequentialTotals;
    this.q = this.model.nTargets ?? this.q;
    const q = this.q;
    const cur: Reading = { rows: rowsTotal, ...t };
    const prev = this.last;
    const ratio = (a: number, b: number): string => (b > 0 ? String(a / b) : "");
    this.lines.push(
      [
        rowsTotal,
        cur.count,
        ratio(cur.nllSum, cur.count),
        ratio(cur.sqErrSum, cur.sqErrRows * q),
        cur.count - prev.count,
        ratio(cur.nllSum - prev.nllSum, cur.count - prev.count),
        ratio(cur.sqErrSum - prev.sqErrSum, (cur.sqErrRows - prev.sqErrRows) * q),
        ((performance.now() - this.t0) / 1000).toFixed(3),
      ].join(","),
    );
    this.last = cur;
  }
}
