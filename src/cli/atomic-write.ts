/**
 * Atomic file output: write a temporary file in the destination's directory, flush it to disk
 * (fsync), then rename it over the destination. A reader (or a crash, or `kill -9`) sees either the
 * old file or the complete new one, never a partial file. On failure (a full disk, a short write,
 * an I/O error) the temporary file is removed and the destination is untouched.
 *
 * Targets (`resolveOutputTarget`, the one policy for every output file):
 * - a regular file or a new name: replaced / created atomically;
 * - a symbolic link: followed (the file it points to is replaced, the link stays), like `>`;
 * - anything else that exists (a directory, a FIFO, a device, a socket): refused with one line,
 *   since it cannot be replaced atomically and replacing it would destroy it. Write to stdout
 *   instead (`-o -`, or no `--out`) and redirect.
 *
 * Temporary names are `.<name>.<pid>-<n>.tmp` beside the destination. A temporary file is
 * registered before it is created, so that the SIGINT/SIGTERM handlers (`removePendingTempFiles`)
 * always remove it; only a SIGKILL can leave one behind (the destination is still intact).
 */
import { closeSync, fsyncSync, lstatSync, openSync, readlinkSync, statSync, unlinkSync, type Stats } from "node:fs";
import { open, rename, unlink, type FileHandle } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { osErrorReason } from "../index.js";
import { CliFileError } from "./errors.js";

const pending = new Set<string>();
let counter = 0;
/** Called whenever the set of pending temporary files becomes empty or non-empty. */
let onPendingChange: ((active: boolean) => void) | undefined;

/** Registers the listener told when temporary files start / stop existing (signal handling). */
export function watchPendingTempFiles(listener: (active: boolean) => void): void {
  onPendingChange = listener;
}

/** True while a temporary output file exists (or is being created). */
export function hasPendingTempFiles(): boolean {
  return pending.size > 0;
}

function addPending(p: string): void {
  pending.add(p);
  if (pending.size === 1) onPendingChange?.(true);
}

function deletePending(p: string): void {
  if (pending.delete(p) && pending.size === 0) onPendingChange?.(false);
}

function tempPath(dest: string): string {
  counter++;
  return join(dirname(dest), `.${basename(dest)}.${process.pid}-${counter}.tmp`);
}

/** Removes every temporary file not yet renamed (synchronous: safe in a signal handler). */
export function removePendingTempFiles(): void {
  for (const p of pending) {
    try {
      unlinkSync(p);
    } catch {
      // already gone (or never created)
    }
  }
  pending.clear();
  onPendingChange?.(false);
}

/** "a FIFO", "a character device", … for a non-regular file. */
export function fileKind(s: Stats): string {
  if (s.isDirectory()) return "a directory";
  if (s.isFIFO()) return "a FIFO";
  if (s.isCharacterDevice()) return "a character device";
  if (s.isBlockDevice()) return "a block device";
  if (s.isSocket()) return "a socket";
  return "not a regular file";
}

/** Why an output target is refused (`dest` names it as the user wrote it). */
export class OutputTargetError extends CliFileError {
  constructor(
    readonly dest: string,
    readonly kind: string,
  ) {
    super(`cannot write '${dest}': it is ${kind}, not a regular file; outputs are replaced atomically, so name a regular file or a new one (or write to stdout and redirect)`);
    this.name = "OutputTargetError";
  }
}

/** Where an output really goes, and what is there now. */
export interface OutputTarget {
  /** Absolute path of the file to replace or create (symbolic links followed). */
  readonly path: string;
  /** Its current status; undefined when it does not exist yet. */
  readonly stats: Stats | undefined;
}

/**
 * Applies the output policy to `dest` (see the file header): follows symbolic links (at most 40,
 * as the kernel does), and throws `OutputTargetError` for an existing non-regular file, or a
 * `CliFileError` for a link loop or an unusable path.
 */
export function resolveOutputTarget(dest: string): OutputTarget {
  let path = resolve(dest);
  for (let hops = 0; hops <= 40; hops++) {
    let st: Stats;
    try {
      st = lstatSync(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return { path, stats: undefined };
      throw new CliFileError(`cannot write '${dest}': ${osErrorReason(err)}`);
    }
    if (st.isSymbolicLink()) {
      path = resolve(dirname(path), readlinkSync(path));
      continue;
    }
    if (!st.isFile()) throw new OutputTargetError(dest, fileKind(st));
    return { path, stats: st };
  }
  throw new CliFileError(`cannot write '${dest}': too many levels of symbolic links (ELOOP)`);
}

function syncDir(dir: string): void {
  // Makes the rename durable; not supported everywhere (e.g. some filesystems), so best effort.
  try {
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // ignore
  }
}

/** An ENOSPC-like error for a write that made no progress. */
function noProgress(): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error("ENOSPC: no space left on device, write");
  err.code = "ENOSPC";
  return err;
}

/** Writes all of `data`, looping over short writes; a write that writes nothing is ENOSPC. */
export async function writeAll(fh: Pick<FileHandle, "write">, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) {
    const { bytesWritten } = await fh.write(data, off, data.length - off);
    if (bytesWritten <= 0) throw noProgress();
    off += bytesWritten;
  }
}

/** A file written incrementally and published atomically by `commit()`. */
export class AtomicFile {
  private closed = false;
  private buffered: string[] = [];
  private bufferedChars = 0;

  private constructor(
    /** The destination as the user named it (for messages). */
    readonly dest: string,
    /** The file really replaced (symbolic links followed). */
    private readonly target: string,
    private readonly tmp: string,
    private readonly fh: FileHandle,
  ) {}

  /**
   * Creates the temporary file beside the target; `OutputTargetError` for a non-regular target,
   * `CliFileError` if the directory is not writable.
   */
  static async create(dest: string): Promise<AtomicFile> {
    const { path } = resolveOutputTarget(dest);
    const tmp = tempPath(path);
    addPending(tmp); // before it exists: a signal between open and registration cannot leak it
    let fh: FileHandle;
    try {
      // Created synchronously, on the main thread: an asynchronous open runs on libuv's thread pool
      // and could create the file after a signal handler has already removed the pending files.
      closeSync(openSync(tmp, "wx"));
      fh = await open(tmp, "r+");
    } catch (err) {
      deletePending(tmp);
      throw new CliFileError(`cannot write '${dest}': ${osErrorReason(err)}`);
    }
    return new AtomicFile(dest, path, tmp, fh);
  }

  /** Appends text (buffered in ~1 MiB pieces). */
  async write(text: string): Promise<void> {
    this.buffered.push(text);
    this.bufferedChars += text.length;
    if (this.bufferedChars >= 1 << 20) await this.flush();
  }

  /** Appends bytes (after any buffered text). */
  async writeBytes(bytes: Uint8Array): Promise<void> {
    await this.flush();
    try {
      await this.fh.write(bytes);
    } catch (err) {
      throw new CliFileError(`cannot write '${this.dest}': ${osErrorReason(err)}`);
    }
  }

  private async flush(): Promise<void> {
    if (this.bufferedChars === 0) return;
    const data = Buffer.from(this.buffered.join(""), "utf8");
    this.buffered = [];
    this.bufferedChars = 0;
    try {
      await writeAll(this.fh, data);
    } catch (err) {
      throw new CliFileError(`cannot write '${this.dest}': ${osErrorReason(err)}`);
    }
  }

  /** Flushes, fsyncs and renames onto the destination; on any failure the destination is untouched. */
  async commit(): Promise<void> {
    try {
      await this.flush();
      await this.fh.sync();
      await this.fh.close();
      this.closed = true;
      // The target may have been replaced by a non-regular file since create(): check again.
      const now = resolveOutputTarget(this.dest);
      if (now.path !== this.target) throw new CliFileError(`cannot write '${this.dest}': it changed while being written`);
      await rename(this.tmp, this.target);
      deletePending(this.tmp);
      syncDir(dirname(this.target));
    } catch (err) {
      await this.abort();
      if (err instanceof CliFileError) throw err;
      throw new CliFileError(`cannot write '${this.dest}': ${osErrorReason(err)}`);
    }
  }

  /** Discards the temporary file; the destination is untouched. Idempotent. */
  async abort(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      await this.fh.close().catch(() => undefined);
    }
    if (pending.has(this.tmp)) {
      await unlink(this.tmp).catch(() => undefined);
      deletePending(this.tmp);
    }
  }
}

/** Writes `text` (or bytes) to `dest` atomically (temp + fsync + rename). */
export async function writeFileAtomic(dest: string, text: string | Uint8Array): Promise<void> {
  const f = await AtomicFile.create(dest);
  try {
    if (typeof text === "string") await f.write(text);
    else await f.writeBytes(text);
  } catch (err) {
    await f.abort();
    throw err;
  }
  await f.commit();
}

/** Device and inode of an existing file (symbolic links followed), or undefined. */
export function fileIdentity(path: string): { dev: number; ino: number } | undefined {
  try {
    const s = statSync(path);
    return { dev: s.dev, ino: s.ino };
  } catch {
    return undefined;
  }
}
