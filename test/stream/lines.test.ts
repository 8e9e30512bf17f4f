import { test } from "node:test";
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import fc from "fast-check";
import { DataError } from "../../src/core/errors.js";
import { type Chunk, LineReader } from "../../src/stream/lines.js";

interface Line {
  line: number;
  text: string;
}

async function collect(reader: LineReader): Promise<Line[]> {
  const out: Line[] = [];
  for (;;) {
    while (reader.next()) out.push({ line: reader.line, text: reader.text.slice(reader.start, reader.end) });
    if (!(await reader.fill())) break;
  }
  return out;
}

function readerOf(chunks: Chunk[], maxLineBytes?: number): LineReader {
  return new LineReader(Readable.from(chunks), "t.txt", maxLineBytes);
}

/** Splits `bytes` at the given cut points. */
function cut(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const parts: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    parts.push(bytes.subarray(prev, p));
    prev = p;
  }
  parts.push(bytes.subarray(prev));
  return parts;
}

test("splits on LF and CRLF, numbers lines from 1, keeps a lone CR as data", async () => {
  const lines = await collect(readerOf(["a,b\r\n1,2\n", "3\r4\r\n"]));
  assert.deepEqual(lines, [
    { line: 1, text: "a,b" },
    { line: 2, text: "1,2" },
    { line: 3, text: "3\r4" },
  ]);
});

test("a trailing newline does not add an empty line; a missing one keeps the last line", async () => {
  assert.deepEqual(
    (await collect(readerOf(["x\ny\n"]))).map((l) => l.text),
    ["x", "y"],
  );
  assert.deepEqual(
    (await collect(readerOf(["x\ny"]))).map((l) => l.text),
    ["x", "y"],
  );
  assert.deepEqual(
    (await collect(readerOf(["x\n\n\ny\n\n"]))).map((l) => l.text),
    ["x", "", "", "y", ""],
  );
});

test("empty input has no lines", async () => {
  assert.deepEqual(await collect(readerOf([])), []);
  assert.deepEqual(await collect(readerOf([Buffer.alloc(0)])), []);
});

test("drops a UTF-8 BOM at the start only, also when its bytes are split over chunks", async () => {
  const bom = Buffer.from([0xef, 0xbb, 0xbf]);
  const body = Buffer.from("h\n\uFEFFk\n");
  const data = Buffer.concat([bom, body]);
  const lines = await collect(readerOf([data.subarray(0, 1), data.subarray(1, 2), data.subarray(2)]));
  assert.deepEqual(lines.map((l) => l.text), ["h", "\uFEFFk"]);
});

test("a BOM-only input has no lines", async () => {
  assert.deepEqual(await collect(readerOf([Buffer.from([0xef, 0xbb, 0xbf])])), []);
});

test("counts bytes (not characters) read, for string and buffer chunks", async () => {
  const reader = readerOf(["é,ü\n", Buffer.from("1,2\n")]);
  await collect(reader);
  assert.equal(reader.bytesRead(), Buffer.byteLength("é,ü\n") + 4);
  assert.equal(reader.bytesRead(), 10);
});

test("any chunking of the bytes gives the same lines (property, seeded)", async () => {
  const text = "\uFEFFname,x\r\n\"Zoë, the ☃\",1.5\r\n\n日本語,-2e3\nlast,€4";
  const bytes = Buffer.from(text);
  const expected = await collect(readerOf([bytes]));
  assert.deepEqual(expected.map((l) => l.text), ['name,x', '"Zoë, the ☃",1.5', "", "日本語,-2e3", "last,€4"]);
  await fc.assert(
    fc.asyncProperty(fc.array(fc.nat(), { maxLength: 12 }), async (cuts) => {
      assert.deepEqual(await collect(readerOf(cut(bytes, cuts))), expected);
    }),
    { seed: 11, numRuns: 300 },
  );
  // Every single-byte chunking as well.
  const oneByte = [...bytes].map((b) => Buffer.from([b]));
  assert.deepEqual(await collect(readerOf(oneByte)), expected);
});

test("pushBack makes the last line current again", async () => {
  const reader = readerOf(["a\nb\n"]);
  assert.ok(await reader.nextAsync());
  assert.ok(await reader.nextAsync());
  assert.equal(reader.text.slice(reader.start, reader.end), "b");
  reader.pushBack();
  assert.ok(reader.next());
  assert.equal(reader.line, 2);
  assert.equal(reader.text.slice(reader.start, reader.end), "b");
  assert.equal(reader.next(), false);
});

test("a line longer than the cap is a DataError, not unbounded memory", async () => {
  const reader = readerOf(["ok\n", "x".repeat(40), "x".repeat(40), "\n"], 64);
  await assert.rejects(collect(reader), (err: unknown) => {
    assert.ok(err instanceof DataError);
    assert.equal(err.location.line, 2);
    assert.match(err.message, /^t\.txt:2: line is longer than 64 bytes/);
    return true;
  });
});

test("a stream error becomes a located DataError", async () => {
  const failing = new Readable({
    read() {
      this.push("a\nb\n");
      this.destroy(Object.assign(new Error("EIO: i/o error, read"), { code: "EIO" }));
    },
  });
  const reader = new LineReader(failing, "bad.csv");
  await assert.rejects(collect(reader), (err: unknown) => {
    assert.ok(err instanceof DataError);
    assert.match(err.message, /^bad\.csv:\d+: read error: i\/o error \(EIO\)$/);
    return true;
  });
});

test("close() destroys the underlying stream", async () => {
  const input = Readable.from(["a\n", "b\n", "c\n"]);
  const reader = new LineReader(input, "t");
  assert.ok(await reader.nextAsync());
  reader.close();
  reader.close(); // idempotent
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(input.destroyed, true);
  assert.equal(reader.next(), false);
});
