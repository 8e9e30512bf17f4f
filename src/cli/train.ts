/**
 * The streaming training loop shared by `fit`, `select` and `demo`: re-opens the data for every
 * pass, feeds the rows to `learnMany`, optionally keeps only some rows (a held-out split, decided by
 * the row's position in the file), writes checkpoints every N learned rows, skips the rows a
 * checkpoint already consumed, and draws progress.
 *
 * Order of the passes: the first reading of the file is always in file order (it streams, and
 * the model initializes on its first rows). With `shuffle`, every later pass goes through a seeded
 * ShuffleBuffer (shuffle-buffer.ts) of at most `bufferRows` rows, so a file of at most that many
 * rows is learned in a fresh uniformly random order every pass, as `MoeRegressor.fit` does; without
 * it (`--order sequential`) every pass is in file order. Memory is constant in the number of rows:
 * one reader batch, plus the shuffle buffer in shuffled passes.
 *
 * Finite data smaller than the initialization buffer: the first pass only fills the buffer, so at
 * its end the model initializes on the whole data set (`flush`, with restarts) and `epochs`
 * learning passes follow — `--epochs E` always means E passes that learn (all shuffled by default).
 *
 * Resume: a checkpoint records the rows consumed in its pass (valid rows read, in file order; in a
 * shuffled pass, rows emitted by the buffer). A resumed pass is read again from its start — a
 * shuffled one replays the same buffer draws — and learning starts after those rows.
 */
import { DataError, RowError, type MoeRegressor, type TableReader } from "../index.js";
import type { CheckpointProgress } from "./checkpoint.js";
import { withSource } from "./errors.js";
import type { Progress } from "./progress.js";
import { defaultShuffleRows, passRng, RowBlock, ShuffleBuffer } from "./shuffle-buffer.js";

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
  readonly start?: { epoch: number; rows: number; line: number; rowsTotal: number; skippedBefore: number; refused?: number };
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
  /**
   * Shuffle every pass after the first reading of the file (see the file comment): draws from
   * `passRng(seed, pass)`, at most `bufferRows` rows held (default `defaultShuffleRows(d, q)`),
   * emitted rows learned in blocks of `blockRows`. Absent: every pass in file order.
   */
  readonly shuffle?: { readonly seed: number; readonly bufferRows?: number; readonly blockRows: number };
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
  const { model, epochs, keep, checkpoint, progress, shuffle } = plan;
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
  let buffer: ShuffleBuffer | null = null; // allocated at the first shuffled pass, kept for the others
  let block: RowBlock | null = null;
  for (let epoch = start.epoch; epoch <= passes; epoch++) {
    const skip = epoch === start.epoch ? start.rows : 0;
    const reader = await plan.open();
    let refused = epoch === start.epoch ? start.refused ?? 0 : 0; // a resumed epoch: rows refused before the checkpoint
    const refusedReasons: string[] = [];
    try {
      plan.onOpen?.(reader, epoch);
      const d = reader.featureNames.length;
      const q = reader.targetNames.length;
      /**
       * Learns rows first..n−1 of a block (X n×d, Y n×q, their file lines) except those `keepRow`
       * drops. A checkpoint after row i records `consumedAt(i)` rows of the pass and `lineAt(i)`.
       */
      const learnRows = async (
        X: Float64Array, Y: Float64Array, lines: Float64Array, first: number, n: number,
        keepRow: ((i: number) => boolean) | undefined, consumedAt: (i: number) => number, lineAt: (i: number) => number,
      ): Promise<void> => {
        let runStart = -1;
        const flush = (end: number): void => {
          while (runStart >= 0 && runStart < end) {
            try {
              model.learnMany(X.subarray(runStart * d, end * d), Y.subarray(runStart * q, end * q), end - runStart);
              break;
            } catch (err) {
              if (!(err instanceof RowError)) throw err;
              const bad = runStart + err.row; // rows before it were learned
              const located = refusedRow(err, reader, plan.label, lines[bad]);
              if (plan.skipInvalid !== true) throw located;
              refused++;
              if (refusedReasons.length < 5) refusedReasons.push(located.message);
              runStart = bad + 1;
            }
          }
          runStart = -1;
        };
        for (let i = first; i < n; i++) {
          if (keepRow !== undefined && !keepRow(i)) {
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
              rows: consumedAt(i),
              line: lineAt(i),
              rowsTotal,
              skippedEpoch: reader.skipped().count,
              refusedEpoch: refused,
              skippedBefore,
            });
          }
        }
        flush(n);
      };
      const showProgress = (): void => {
        if (progress === undefined) return;
        const total = reader.totalBytes;
        const fraction = total !== undefined && total > 0 ? (epoch - 1 + Math.min(1, reader.bytesRead() / total)) / passes : undefined;
        progress.update({ rows: rowsTotal, fraction, loss: model.progressiveNll, stage: passes > 1 ? `pass ${epoch}/${passes}` : undefined, extra: marks?.status?.() });
      };
      let index = 0; // valid rows of this epoch read so far, before the current batch
      if (shuffle === undefined || epoch === 1) {
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
          const base = index;
          await learnRows(X, Y, batch.rowLines, first, n, keep === undefined ? undefined : (i) => keep(base + i), (i) => base + i + 1, () => batch.firstLine);
          index += n;
          showProgress();
        }
        if (index < skip) {
          throw new DataError(`the data differ from the checkpoint: it consumed ${skip} rows of epoch ${epoch} but the data have only ${index}`, { file: plan.label });
        }
      } else {
        // A shuffled pass: rows (the kept ones) go through the buffer; the emitted rows are learned.
        buffer ??= new ShuffleBuffer(d, q, shuffle.bufferRows ?? defaultShuffleRows(d, q));
        const out = (block ??= new RowBlock(d, q, shuffle.blockRows));
        buffer.start(passRng(shuffle.seed, epoch));
        let emitted = 0; // rows of the pass emitted and handed on before those in `out`
        const learnEmitted = async (): Promise<void> => {
          const m = out.n;
          let first = 0;
          if (emitted < skip) {
            first = Math.min(m, skip - emitted);
            // The last row the checkpoint consumed must come from the line it recorded.
            if (emitted + first === skip && start.line > 0 && out.lines[first - 1] !== start.line) {
              throw new DataError(
                `the data differ from the checkpoint: row ${skip} of shuffled pass ${epoch} was line ${start.line}, now line ${out.lines[first - 1]}`,
                { file: plan.label },
              );
            }
          }
          const base = emitted;
          await learnRows(out.X, out.Y, out.lines, first, m, undefined, (i) => base + i + 1, (i) => out.lines[i]);
          emitted += m;
          out.n = 0;
        };
        const pass = buffer;
        for await (const batch of reader.batches()) {
          const { n, X, Y, rowLines } = batch;
          for (let i = 0; i < n; i++) {
            if (keep !== undefined && !keep(index + i)) continue;
            pass.push(X, i * d, Y, i * q, rowLines[i], out);
            if (out.full) await learnEmitted();
          }
          index += n;
          showProgress();
        }
        while (pass.drain(out)) if (out.full) await learnEmitted();
        await learnEmitted();
        showProgress();
        if (emitted < skip) {
          throw new DataError(`the data differ from the checkpoint: it consumed ${skip} rows of shuffled pass ${epoch} but the data have only ${emitted}`, { file: plan.label });
        }
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
