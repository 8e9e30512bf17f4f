/**
 * The streaming training loop shared by `fit` and `demo`: re-opens the data for every epoch,
 * feeds the reader's batches to `learnMany` (no copy), optionally keeps only some rows (the demo's
 * split), writes checkpoints every N learned rows, skips the rows a checkpoint already consumed,
 * and draws progress. Memory is constant in the number of rows (one reader batch at a time).
 */
import { DataError, type MoeRegressor, type TableReader } from "../index.js";
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
  for (let epoch = start.epoch; epoch <= epochs; epoch++) {
    const skip = epoch === start.epoch ? start.rows : 0;
    const reader = await plan.open();
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
          if (runStart < 0) return;
          const m = end - runStart;
          model.learnMany(X.subarray(runStart * d, end * d), Y.subarray(runStart * q, end * q), m);
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
          const fraction = total !== undefined && total > 0 ? (epoch - 1 + Math.min(1, reader.bytesRead() / total)) / epochs : undefined;
          progress.update({ rows: rowsTotal, fraction, loss: model.progressiveNll, stage: epochs > 1 ? `epoch ${epoch}/${epochs}` : undefined, extra: marks?.status?.() });
        }
      }
      if (index < skip) {
        throw new DataError(`the data differ from the checkpoint: it consumed ${skip} rows of epoch ${epoch} but the data have only ${index}`, { file: plan.label });
      }
      rowsPerEpoch = index;
      skipped = reader.skipped();
      skippedBefore += skipped.count;
    } catch (err) {
      throw withSource(err, plan.label);
    } finally {
      reader.close();
    }
  }
  return { rowsTotal, rowsPerEpoch, skipped, skippedTotal: skippedBefore };
}
