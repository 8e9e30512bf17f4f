/**
 * Atomic file output: write a temporary file in the destination's directory, flush it to disk
 * (fsync), then rename it over the destination. A reader (or a crash, or `kill -9`) sees either the
 * old file or the complete new one, never a partial file. On failure the temporary file is
 * removed and the destination is untouched.
 *
 * Temporary names are `.<name>.<pid>-<n>.tmp` beside the destination. Pending temporary files are
 * registered so that SIGINT/SIGTERM handlers can remove them (`removePendingTempFiles`); only a
 * SIGKILL during the write itself can leave one behind (the destination is still intact).
 */
import { closeSync, fsyncSync, openSync, unlinkSync } from "node:fs";
import { open, rename, unlink, type FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { osErrorReason } from "../index.js";
import { CliFileError } from "./errors.js";

const pending = new Set<string>();
let counter = 0;

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
      // already gone
    }
  }
  pending.clear();
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

/** A file written incrementally and published atomically by `commit()`. */
export class AtomicFile {
  private closed = false;
  private buffered: string[] = [];
  private bufferedChars = 0;

  private constructor(
    readonly dest: string,
    private readonly tmp: string,
    private readonly fh: FileHandle,
  ) {}

  /** Creates the temporary file; CliFileError if the directory is not writable. */
  static async create(dest: string): Promise<AtomicFile> {
    const tmp = tempPath(dest);
    let fh: FileHandle;
    try {
      fh = await open(tmp, "wx");
    } catch (err) {
      throw new CliFileError(`cannot write '${dest}': ${osErrorReason(err)}`);
    }
    pending.add(tmp);
    return new AtomicFile(dest, tmp, fh);
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
    const data = this.buffered.join("");
    this.buffered = [];
    this.bufferedChars = 0;
    try {
      await this.fh.write(data);
    } catch (err) {
      throw new CliFileError(`cannot write '${this.dest}': ${osErrorReason(err)}`);
    }
  }

  /** Flushes, fsyncs and renames onto the destination. */
  async commit(): Promise<void> {
    try {
      await this.flush();
      await this.fh.sync();
      await this.fh.close();
      this.closed = true;
      await rename(this.tmp, this.dest);
      pending.delete(this.tmp);
      syncDir(dirname(this.dest));
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
      pending.delete(this.tmp);
      await unlink(this.tmp).catch(() => undefined);
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
