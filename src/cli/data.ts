/**
 * Data and model files for the commands: header peeking (to name every missing column at once),
 * model loading with validation, and the column check between a model and a data file.
 */
import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { DataError, ModelFormatError, MoeRegressor, inferFormat, osErrorReason, type TableFormat } from "../index.js";
import { CliFileError } from "./errors.js";

/** Largest header we look at when peeking (a longer first line is left to the table reader). */
const PEEK_LIMIT = 1 << 20;

/** The source label the table reader uses in messages. */
export function sourceLabel(source: string): string {
  return source === "-" ? "<stdin>" : source;
}

export function resolveFormat(source: string, format: TableFormat | undefined): TableFormat {
  return format ?? inferFormat(source);
}

/** Splits one CSV record (RFC 4180 quotes) into trimmed fields; null if a quote is left open. */
function splitCsvLine(line: string): string[] | null {
  const out: string[] = [];
  let cur = "";
  let inQuotes = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (inQuotes) {
      if (c === '"') {
        if (line[i + 1] === '"') {
          cur += '"';
          i++;
        } else inQuotes = false;
      } else cur += c;
    } else if (c === '"') inQuotes = true;
    else if (c === ",") {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  if (inQuotes) return null;
  out.push(cur);
  return out.map((s) => s.replace(/^[ \t]+|[ \t]+$/g, ""));
}

/** Column names and the header line number from the start of the data, or null if unclear. */
function parseHeader(text: string, format: TableFormat, complete: boolean): { columns: string[]; line: number } | null {
  const lines = text.replace(/^\uFEFF/, "").split("\n");
  if (!complete) lines.pop(); // the last piece may be a partial line
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i].replace(/\r$/, "");
    if (format === "csv") {
      if (l.length === 0) continue;
      const cols = splitCsvLine(l);
      return cols ? { columns: cols, line: i + 1 } : null;
    }
    if (l.trim().length === 0) continue;
    try {
      const v: unknown = JSON.parse(l);
      if (typeof v !== "object" || v === null || Array.isArray(v)) return null;
      return { columns: Object.keys(v), line: i + 1 };
    } catch {
      return null;
    }
  }
  return null;
}

export interface Peeked {
  /** Column names, or null when the header could not be read here (the table reader will say why). */
  readonly columns: string[] | null;
  readonly line: number;
  /** For stdin: the input to hand to `openTable` (the peeked bytes are replayed). */
  readonly input?: AsyncIterable<Uint8Array>;
}

async function* replay(head: Uint8Array[], rest: AsyncIterator<Uint8Array>): AsyncGenerator<Uint8Array> {
  try {
    for (const c of head) yield c;
    for (;;) {
      const r = await rest.next();
      if (r.done === true) return;
      yield r.value;
    }
  } finally {
    await rest.return?.();
  }
}

/** True for a regular file (which can be read twice); false for stdin, pipes, devices, errors. */
export async function isRegularFile(source: string): Promise<boolean> {
  if (source === "-") return false;
  try {
    return (await stat(source)).isFile();
  } catch {
    return false;
  }
}

/**
 * Reads the header of `source` without consuming it. A regular file is simply read again later;
 * stdin and other one-shot inputs (pipes such as `<(zcat data.csv.gz)`) are replayed through
 * `input`, which must then be handed to `openTable`.
 */
export async function peekHeader(source: string, format: TableFormat): Promise<Peeked> {
  const regular = await isRegularFile(source);
  if (!regular && source !== "-") {
    try {
      const s = await stat(source);
      if (s.isDirectory()) return { columns: null, line: 1 }; // the table reader reports EISDIR
    } catch {
      return { columns: null, line: 1 }; // missing: the table reader reports ENOENT
    }
  }
  const stream: AsyncIterable<Uint8Array> = source === "-" ? process.stdin : createReadStream(source, { highWaterMark: 1 << 16 });
  const it = stream[Symbol.asyncIterator]();
  const head: Uint8Array[] = [];
  let bytes = 0;
  let found: { columns: string[]; line: number } | null = null;
  let ended = false;
  try {
    for (;;) {
      const r = await it.next();
      if (r.done === true) {
        ended = true;
        break;
      }
      const chunk = typeof r.value === "string" ? Buffer.from(r.value) : r.value;
      head.push(chunk);
      bytes += chunk.length;
      found = parseHeader(Buffer.concat(head).toString("utf8"), format, false);
      if (found !== null || bytes > PEEK_LIMIT) break;
    }
    if (ended) found = parseHeader(Buffer.concat(head).toString("utf8"), format, true);
  } catch {
    // Unreadable: the table reader reports it with its own wording.
    if (regular) return { columns: null, line: 1 };
    found = null;
  }
  if (regular) {
    await it.return?.();
    return { columns: found?.columns ?? null, line: found?.line ?? 1 };
  }
  return { columns: found?.columns ?? null, line: found?.line ?? 1, input: replay(head, it) };
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
  return { model, features, targets };
}
