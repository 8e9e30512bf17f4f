/**
 * The output policy of every command, checked before any work: each output option names a
 * regular file or a new name (symbolic links are followed; see atomic-write.ts), no output is an
 * input of the same run, and no two outputs name the same file. Commands that can stream to
 * stdout turn `-o -` into stdout before calling this; elsewhere `-` is refused (it is not a file).
 * A violation is a usage error (exit 2): nothing has been read or written yet.
 */
import { accessSync, constants, statSync } from "node:fs";
import { dirname } from "node:path";
import { osErrorReason } from "../index.js";
import { OutputTargetError, fileIdentity, resolveOutputTarget } from "./atomic-write.js";
import { CliFileError, UsageError } from "./errors.js";

/** An output option, e.g. `{ flag: "out", path: "model.json" }`; undefined = not given. */
export interface OutputOption {
  readonly flag: string;
  readonly path: string | undefined;
}

/** A file the run reads, e.g. `{ what: "the data file", path: "data.csv" }`. */
export interface InputFile {
  readonly what: string;
  readonly path: string | undefined;
  /** Output flags that may name this very file (`--checkpoint` = `--resume` continues a run). */
  readonly outputsAllowed?: readonly string[];
}

/** A file can be created beside `resolved`: its directory exists and is writable (else exit 1 now, not after the work). */
function checkDirectory(path: string, resolved: string): void {
  try {
    const dir = dirname(resolved);
    if (!statSync(dir).isDirectory()) throw Object.assign(new Error(`ENOTDIR: not a directory, access '${dir}'`), { code: "ENOTDIR" });
    accessSync(dir, constants.W_OK);
  } catch (err) {
    throw new CliFileError(`cannot write '${path}': ${osErrorReason(err)}`);
  }
}

/**
 * Throws a UsageError for the first output that breaks the policy, or a CliFileError when the
 * directory of an output does not exist or is not writable.
 */
export function checkOutputs(command: string, outputs: readonly OutputOption[], inputs: readonly InputFile[]): void {
  const seen: { flag: string; path: string; id: string | undefined }[] = [];
  for (const { flag, path } of outputs) {
    if (path === undefined) continue;
    if (path === "-") throw new UsageError(`--${flag} needs a file name here ('-', stdout, cannot be written atomically)`, command);
    let target;
    try {
      target = resolveOutputTarget(path);
    } catch (err) {
      if (err instanceof OutputTargetError) {
        throw new UsageError(`--${flag} '${path}' is ${err.kind}, not a regular file; outputs are replaced atomically, so name a regular file or a new one`, command);
      }
      throw err;
    }
    checkDirectory(path, target.path); // the temporary file is created there, also to replace a file
    const id = target.stats === undefined ? undefined : `${target.stats.dev}:${target.stats.ino}`;
    for (const input of inputs) {
      if (input.path === undefined || input.path === "-" || input.outputsAllowed?.includes(flag)) continue;
      const inId = fileIdentity(input.path);
      if (id !== undefined && inId !== undefined && `${inId.dev}:${inId.ino}` === id) {
        throw new UsageError(`--${flag} '${path}' is ${input.what}; refusing to overwrite an input of this run`, command);
      }
    }
    const other = seen.find((s) => s.path === target.path || (id !== undefined && s.id === id));
    if (other !== undefined) throw new UsageError(`--${flag} and --${other.flag} name the same file '${path}'`, command);
    seen.push({ flag, path: target.path, id });
  }
}
