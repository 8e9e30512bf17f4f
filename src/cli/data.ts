/**
 * Data and model files for the commands: header peeking (to name every missing column at once),
 * model loading with validation, and the column check between a model and a data file.
 */
import { readFile, stat } from "node:fs/promises";
import { DataError, ModelFormatError, MoeRegressor, inferFormat, osErrorReason, type TableFormat } from "../index.js";
import { CliFileError } from "./errors.js";

/** True when `source` is a regular file (not stdin, a pipe or a device: those can be read once). */
export async function isRegularFile(source: string): Promise<boolean> {
  if (source === "-") return false;
  try {
    return (await stat(source)).isFile();
  } catch {
    return false;
  }
}

/** The source label the table reader uses in messages. */
export function sourceLabel(source: string): string {
  return source === "-" ? "<stdin>" : source;
}

export function resolveFormat(source: string, format: TableFormat | undefined): TableFormat {
  return format ?? inferFormat(source);
}

/**
 * A DataError naming every column of `required` missing from `columns`, or null.
 * `role` describes what needs them, e.g. "the model 'm.json'".
 */
export function missingColumns(columns: readonly string[], required: readonly string[], source: string, line: number, role: string): DataError | null {
  const have = new Set(columns);
  const missing = required.filter((c) => !have.has(c));
  if (missing.length === 0) return null;
  const list = missing.map((c) => `'${c}'`).join(", ");
  return new DataError(
    `missing column${missing.length === 1 ? "" : "s"} ${list} needed by ${role} (data has ${columns.length} column${columns.length === 1 ? "" : "s"}; model columns: ${required.join(", ")})`,
    { file: sourceLabel(source), line },
  );
}

export interface LoadedModel {
  readonly model: MoeRegressor;
  readonly features: string[];
  readonly targets: string[];
}

function stringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((s) => typeof s === "string");
}

/** Reads and validates a model file written by `ismm fit`; every failure is one clear line. */
export async function loadModel(path: string): Promise<LoadedModel> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new CliFileError(`cannot read model file '${path}': ${osErrorReason(err)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ModelFormatError(`${path}: not a valid model file (corrupt JSON: ${(err as Error).message})`);
  }
  if (typeof json === "object" && json !== null && (json as { format?: unknown }).format === "ismm-checkpoint") {
    throw new ModelFormatError(`${path}: this is a fit checkpoint, not a model file; finish the fit with 'ismm fit ... --resume ${path}'`);
  }
  let model: MoeRegressor;
  try {
    model = MoeRegressor.fromJSON(json);
  } catch (err) {
    if (err instanceof ModelFormatError) throw new ModelFormatError(`${path}: ${err.message}`);
    throw err;
  }
  if (!model.isInitialized) throw new ModelFormatError(`${path}: the model is not fitted (no parameters)`);
  const meta = model.meta;
  const features = meta.features;
  const targets = meta.targets;
  if (!stringArray(features) || !stringArray(targets)) {
    throw new ModelFormatError(`${path}: the model has no column names (meta.features / meta.targets); it was not written by 'ismm fit'`);
  }
  if (features.length !== model.nFeatures || targets.length !== model.nTargets) {
    throw new ModelFormatError(
      `${path}: meta lists ${features.length} features and ${targets.length} targets but the model has ${model.nFeatures} and ${model.nTargets}`,
    );
  }
  const seen = new Set<string>();
  for (const c of features) {
    if (seen.has(c)) throw new ModelFormatError(`${path}: meta.features lists column '${c}' twice`);
    seen.add(c);
  }
  for (const t of targets) {
    if (seen.has(t)) throw new ModelFormatError(`${path}: column '${t}' is both a target and a feature (meta.targets, meta.features)`);
    seen.add(t);
  }
  return { model, features, targets };
}
