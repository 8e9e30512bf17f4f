/**
 * The atomic writer's write loop, in process (no mount needed): short writes are continued until
 * every byte is written, and a write that makes no progress is ENOSPC (a full disk), never a
 * silently truncated file. test/cli/outputs.test.ts checks the same end to end on a full tmpfs.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { FileHandle } from "node:fs/promises";
import { writeAll } from "../../src/cli/atomic-write.js";

/** A FileHandle stand-in that accepts at most `per` bytes per call and `capacity` bytes in all. */
function fakeHandle(per: number, capacity: number): { fh: Pick<FileHandle, "write">; written: number[] } {
  const written: number[] = [];
  const fh = {
    write: async (buf: Uint8Array, offset = 0, length = buf.length - offset) => {
      const n = Math.max(0, Math.min(per, length, capacity - written.length));
      for (let i = 0; i < n; i++) written.push(buf[offset + i]);
      return { bytesWritten: n, buffer: buf };
    },
  } as unknown as Pick<FileHandle, "write">;
  return { fh, written };
}

describe("writeAll", () => {
  it("continues after short writes until every byte is written", async () => {
    const data = Buffer.from("0123456789abcdefghij");
    const { fh, written } = fakeHandle(3, Infinity);
    await writeAll(fh, data);
    assert.equal(Buffer.from(written).toString(), "0123456789abcdefghij");
  });
  it("a write that writes nothing (a full disk) is ENOSPC", async () => {
    const { fh, written } = fakeHandle(4, 10);
    await assert.rejects(writeAll(fh, Buffer.from("0123456789abcdefghij")), (err: NodeJS.ErrnoException) => err.code === "ENOSPC");
    assert.equal(written.length, 10);
  });
});
