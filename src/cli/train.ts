/**
 * The streaming training loop shared by `fit` and `demo`: re-opens the data for every epoch,
 * feeds the reader's batches to `learnMany` (no copy), optionally keeps only some rows (the demo's
 * split), writes checkpoints every N learned rows, skips the rows a checkpoint already consumed,
 * and draws progress. Memory is constant in the number of rows (one reader batch at a time).
 *
 * Finite data smaller than the initialization buffer: the first pass only fills the buffer, so at
 * its end the model initializes on the whole data set (`flush`, with restarts) and `epochs`
 * learning passes follow — `--epochs E` always means E passes that learn.
 */
import { DataError, RowError, type MoeRegressor, type TableReader } from "../index.js";
import type { CheckpointProgress } from "./checkpoint.js";
import { withSource } from "./errors.js";
import type { Progress } from "./progress.js";

export interface TrainPlan {
  readonly model: MoeRegressor;
  /** Opens a fresh reader on the data (called once per epoch). */
  readonly open: () => Promise<TableReader>;
  /** Label of the data in messages. */
  readonly label: string;
  readonly epochs: number;
  /** Keep row `index` (0-based among the valid rows of an epoch)? Default: every row. */
  readonly keep?: (index: number) => boolean;
  /** Where to resume (from a checkpoint); default: the beginning. */
  readonly start?: { epoch: number; rows: number; line: number; rowsTotal: number; skippedBefore: number };
  readonly checkpoint?: { readonly every: number; write(progress: CheckpointProgress): Promise<void> };
  readonly progress?: Progress;
  /** Called with each epoch's reader before its first row (e.g. to check the header). */
  readonly onOpen?: (reader: TableReader, epoch: number) => void;
  /** Skip rows the model refuses (RowError: a value beyond ±1e150) instead of stopping. */
  readonly skipInvalid?: boolean;
  /**
   * Stop points (the prequential log): `at(rows)` runs once exactly `next(rows)` rows are learned
   * (over all epochs), with the model up to date; `status()` is appended to the progress line.
   */
  readonly marks?: { next(rowsTotal: number): number; at(rowsTotal: number): void; status?(): string };
}

export interface TrainResult {
  /** Rows learned over all epochs (including those before a resume). */
  readonly rowsTotal: number;
  /** Valid rows read in the last epoch (kept or not). */
  readonly rowsPerEpoch: number;
  /** Invalid rows skipped in the last epoch, and the first reasons. */
  readonly skipped: { count: number; firstReasons: string[] };
  /** Invalid rows skipped over all epochs. */
  readonly skippedTotal: number;
  /** Passes over the data (the buffer-filling pass of a small data set included). */
  readonly passes: number;
  /** True when the first pass only filled the initialization buffer (the data fit in it). */
  readonly wholeData: boolean;
}

/** A row the model refused, as the CLI's located one-line error (`file:line:column (column 'y')`). */
function refusedRow(err: RowError, reader: TableReader, label: string, line: number): DataError {
  const name = err.array === "x" ? reader.featureNames[err.column] : reader.targetNames[err.column];
  const col = reader.header.indexOf(name);
  return new DataError(`value ${err.detail}: too large to compute with (its square overflows); --skip-invalid skips such rows`, {
    file: label, line, column: col >= 0 ? col + 1 : undefined, columnName: name,
  });
}

export async function train(plan: TrainPlan): Promise<TrainResult> {
  const { model, epochs, keep, checkpoint, progress } = plan;
  const start = plan.start ?? { epoch: 1, rows: 0, line: 0, rowsTotal: 0, skippedBefore: 0 };
  let rowsTotal = start.rowsTotal;
  let skippedBefore = start.skippedBefore;
  let rowsPerEpoch = 0;
  let skipped = { count: 0, firstReasons: [] as string[] };
  const marks = plan.marks;
  let nextMark = marks?.next(rowsTotal) ?? Infinity;
  // A resumed small-data run already spent its first pass on the buffer.
  let wholeData = model.isInitialized && model.initialization?.wholeData === true && model.options.method !== "em";
  let passes = wholeData ? epochs + 1 : epochs;
  for (let epoch = start.epoch; epoch <= passes; epoch++) {
    const skip = epoch === start.epoch ? start.rows : 0;
    const reader = await plan.open();
    let refused = 0;
    const refusedReasons: string[] = [];
    try {
      plan.onOpen?.(reader, epoch);
      const d = reader.featureNames.length;
      const q = reader.targetNames.length;
      let index = 0; // valid rows of this epoch read so far, before the current batch
      for await (const batch of reader.batches()) {
        const { n, X, Y } = batch;
        if (index + n <= skip) {
          index += n;
          continue;
        }
        let first = 0;
        if (index < skip) {
          first = skip - index;
          // The batch holding the last consumed row must start where the checkpoint says.
          if (start.line > 0 && batch.firstLine !== start.line) {
            throw new DataError(
              `the data differ from the checkpoint: row ${skip} of epoch ${epoch} was in the batch starting at line ${start.line}, now at line ${batch.firstLine}`,
              { file: plan.label },
            );
          }
        }
        let runStart = -1;
        const flush = (end: number): void => {
          while (runStart >= 0 && runStart < end) {
            try {
              model.learnMany(X.subarray(runStart * d, end * d), Y.subarray(runStart * q, end * q), end - runStart);
              break;
            } catch (err) {
              if (!(err instanceof RowError)) throw err;
              const bad = runStart + err.row; // rows before it were learned
              const located = refusedRow(err, reader, plan.label, batch.rowLines[bad]);
              if (plan.skipInvalid !== true) throw located;
              refused++;
              if (refusedReasons.length < 5) refusedReasons.push(located.message);
              runStart = bad + 1;
            }
          }
          runStart = -1;
        };
        for (let i = first; i < n; i++) {
          if (keep !== undefined && !keep(index + i)) {
            flush(i);
            continue;
          }
          if (runStart < 0) runStart = i;
          rowsTotal++;
          if (rowsTotal === nextMark) {
            flush(i + 1);
            (marks as NonNullable<TrainPlan["marks"]>).at(rowsTotal);
            nextMark = (marks as NonNullable<TrainPlan["marks"]>).next(rowsTotal);
          }
          if (checkpoint !== undefined && rowsTotal % checkpoint.every === 0) {
            flush(i + 1);
            await checkpoint.write({
              epoch,
              epochs,
              rows: index + i + 1,
              line: batch.firstLine,
              rowsTotal,
              skippedEpoch: reader.skipped().count,
              skippedBefore,
            });
          }
        }
        flush(n);
        index += n;
        if (progress !== undefined) {
          const total = reader.totalBytes;
          const fraction = total !== undefined && total > 0 ? (epoch - 1 + Math.min(1, reader.bytesRead() / total)) / passes : undefined;
          progress.update({ rows: rowsTotal, fraction, loss: model.progressiveNll, stage: passes > 1 ? `pass ${epoch}/${passes}` : undefined, extra: marks?.status?.() });
        }
      }
      if (index < skip) {
        throw new DataError(`the data differ from the checkpoint: it consumed ${skip} rows of epoch ${epoch} but the data have only ${index}`, { file: plan.label });
      }
      rowsPerEpoch = index - refused;
      const r = reader.skipped();
      skipped = { count: r.count + refused, firstReasons: [...r.firstReasons, ...refusedReasons].slice(0, 5) };
      skippedBefore += skipped.count;
      if (epoch === 1 && !model.isInitialized) {
        // The data fit in the initialization buffer: fit it whole, then run the learning passes.
        model.flush();
        if (model.options.method !== "em") {
          wholeData = true;
          passes = epochs + 1;
        }
      }
    } catch (err) {
      throw withSource(err, plan.label);
    } finally {
      reader.close();
    }
  }
  return { rowsTotal, rowsPerEpoch, skipped, skippedTotal: skippedBefore, passes, wholeData };
}
