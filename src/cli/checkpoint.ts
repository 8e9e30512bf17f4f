/**
 * Fit checkpoints: the full estimator state plus where the fit stood in the data, written
 * atomically (temp + fsync + rename) so that the last checkpoint survives a crash or `kill -9`.
 *
 * File layout (JSON, `format: "ismm-checkpoint"`, `version: 1`):
 *
 *   fingerprint.run   the options that shape the model: every estimator option (resolved), targets,
 *                     features, epochs, format, skipInvalid — a resume must pass the same ones
 *   fingerprint.data  the data source: path (absolute; "-" for stdin), size in bytes (null for
 *                     stdin) and the header (column names)
 *   progress          epoch (1-based) and epochs; rows = valid rows consumed in this epoch (in a
 *                     shuffled pass: rows emitted by the shuffle buffer); line = in a file-order pass
 *                     the file line of the first row of the batch holding the last consumed row (rows
 *                     are read in batches, so the exact line is at or after it), in a shuffled pass
 *                     the line of the last row learned; rowsTotal = rows learned over all epochs;
 *                     skippedEpoch = invalid rows skipped so far in this epoch (counted to the end of
 *                     the current batch); refusedEpoch = rows of this epoch the model refused
 *                     (--skip-invalid) before the checkpoint; skippedBefore = in earlier epochs
 *   model             MoeRegressor.toJSON() (buffer, learner state, RNG states: bit-identical resume)
 *
 * Resuming re-streams the data of the current epoch and skips the first `rows` valid rows; since
 * `learnMany` equals a loop of `learnOne` and the state round-trips exactly, the result equals an
 * uninterrupted run.
 */
import { readFile } from "node:fs/promises";
import { ModelFormatError, MoeRegressor, osErrorReason, type ModelSnapshot } from "../index.js";
import { writeFileAtomic } from "./atomic-write.js";
import { CliFileError } from "./errors.js";

export const CHECKPOINT_FORMAT = "ismm-checkpoint";
export const CHECKPOINT_VERSION = 1;

export interface DataFingerprint {
  readonly source: string;
  readonly size: number | null;
  readonly header: readonly string[];
}

export interface Fingerprint {
  readonly run: Readonly<Record<string, unknown>>;
  readonly data: DataFingerprint;
}

export interface CheckpointProgress {
  readonly epoch: number;
  readonly epochs: number;
  readonly rows: number;
  readonly line: number;
  readonly rowsTotal: number;
  readonly skippedEpoch: number;
  /** Rows of this epoch the model refused (`--skip-invalid`) before the checkpoint; 0 when absent (older files). */
  readonly refusedEpoch?: number;
  readonly skippedBefore: number;
}

export interface Checkpoint {
  readonly fingerprint: Fingerprint;
  readonly progress: CheckpointProgress;
  readonly model: MoeRegressor;
}

/** Serializes and writes a checkpoint atomically. */
export async function writeCheckpoint(path: string, fingerprint: Fingerprint, progress: CheckpointProgress, model: MoeRegressor): Promise<void> {
  const doc = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    fingerprint,
    progress,
    model: model.toJSON() as ModelSnapshot,
  };
  await writeFileAtomic(path, JSON.stringify(doc) + "\n");
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function nonNegInt(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= 0;
}

/** Reads and validates a checkpoint; every problem is a one-line ModelFormatError / CliFileError. */
export async function readCheckpoint(path: string): Promise<Checkpoint> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new CliFileError(`cannot read checkpoint '${path}': ${osErrorReason(err)}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ModelFormatError(`${path}: not a valid checkpoint (corrupt JSON: ${(err as Error).message})`);
  }
  const bad = (why: string): never => {
    throw new ModelFormatError(`${path}: not a valid checkpoint (${why})`);
  };
  if (!isObj(doc)) return bad("not a JSON object");
  if (doc.format !== CHECKPOINT_FORMAT) {
    return bad(`format is ${JSON.stringify(doc.format)}, expected "${CHECKPOINT_FORMAT}"`);
  }
  if (doc.version !== CHECKPOINT_VERSION) {
    throw new ModelFormatError(`${path}: unsupported checkpoint version ${JSON.stringify(doc.version)} (this ismm reads version ${CHECKPOINT_VERSION})`);
  }
  const fp = doc.fingerprint;
  if (!isObj(fp) || !isObj(fp.run) || !isObj(fp.data)) return bad("no fingerprint");
  const data = fp.data;
  if (typeof data.source !== "string" || !(data.size === null || nonNegInt(data.size)) || !Array.isArray(data.header)) return bad("bad data fingerprint");
  const pr = doc.progress;
  if (!isObj(pr)) return bad("no progress record");
  for (const k of ["epoch", "epochs", "rows", "line", "rowsTotal", "skippedEpoch", "skippedBefore"]) {
    if (!nonNegInt(pr[k])) return bad(`progress.${k} must be a non-negative integer`);
  }
  if (pr.refusedEpoch !== undefined && !nonNegInt(pr.refusedEpoch)) return bad("progress.refusedEpoch must be a non-negative integer");
  let model: MoeRegressor;
  try {
    model = MoeRegressor.fromJSON(doc.model);
  } catch (err) {
    if (err instanceof ModelFormatError) throw new ModelFormatError(`${path}: ${err.message}`);
    throw err;
  }
  return {
    fingerprint: { run: fp.run, data: { source: data.source, size: data.size as number | null, header: data.header as string[] } },
    progress: pr as unknown as CheckpointProgress,
    model,
  };
}

function show(v: unknown): string {
  return v === undefined ? "(unset)" : JSON.stringify(v);
}

/**
 * Null when `current` matches `saved`; otherwise the kind of difference and a sentence naming the
 * first one, e.g. `option nExperts was 2 and is now 3`.
 */
export function fingerprintDifference(saved: Fingerprint, current: Fingerprint): { kind: "option" | "data"; message: string } | null {
  const keys = new Set([...Object.keys(saved.run), ...Object.keys(current.run)]);
  for (const k of keys) {
    const a = JSON.stringify(saved.run[k]);
    const b = JSON.stringify(current.run[k]);
    if (a !== b) return { kind: "option", message: `option ${k} was ${show(saved.run[k])} and is now ${show(current.run[k])}` };
  }
  if (saved.data.source !== current.data.source) {
    return { kind: "data", message: `the data source was ${show(saved.data.source)} and is now ${show(current.data.source)}` };
  }
  if (saved.data.size !== current.data.size) {
    return { kind: "data", message: `the data file size was ${show(saved.data.size)} bytes and is now ${show(current.data.size)}` };
  }
  if (JSON.stringify(saved.data.header) !== JSON.stringify(current.data.header)) {
    return { kind: "data", message: "the data header (column names) differs" };
  }
  return null;
}
