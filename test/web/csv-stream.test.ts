/**
 * openCsvStream (the browser bundle's CSV reader over web streams) against openTable (the CLI's
 * reader over files): the same bytes, cut into awkward chunks, must give the same numbers, the same
 * skipped rows and the same located messages.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DataError, OptionError, readAll } from "../../src/index.js";
import { openCsvStream, type CsvStreamOptions } from "../../src/web.js";

/** A web ReadableStream delivering `bytes` in chunks of `size` bytes (splitting lines and UTF-8 characters). */
function chunked(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (at >= bytes.length) return c.close();
      c.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}

async function readStream(text: string, size: number, opts: Omit<CsvStreamOptions, "input"> = {}) {
  const csv = await openCsvStream({ input: chunked(new TextEncoder().encode(text), size), label: "data.csv", ...opts });
  const X: number[] = [];
  const Y: number[] = [];
  for await (const b of csv.batches()) {
    X.push(...b.X.subarray(0, b.n * csv.featureNames.length));
    Y.push(...b.Y.subarray(0, b.n * csv.targetNames.length));
  }
  return { X, Y, features: csv.featureNames, targets: csv.targetNames, skipped: csv.skipped(), rows: csv.rowsRead() };
}

async function withFile<T>(text: string, f: (path: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "ismm-csv-stream-"));
  try {
    const path = join(dir, "data.csv");
    writeFileSync(path, text);
    return await f(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// BOM, CRLF, blank lines, quoted header and cells, a line break inside a quoted (skipped) text
// column, a multi-byte character, exponents, signs and blanks around numbers, no final newline.
const TRICKY =
  "\uFEFF\"a\",b,note,y\r\n" +
  "1.5,-2,plain,3e1\r\n" +
  "\r\n" +
  ' 0.25 ,"7",\"two\nlines, still one record\",-1\n' +
  "-0,.5,ünïcödé ✓,1E-3\n" +
  "\n" +
  "12,+3,\"say \"\"hi\"\"\",4";

test("openCsvStream gives openTable's numbers for the same bytes, whatever the chunk size", async () => {
  const expected = await withFile(TRICKY, (path) => readAll({ source: path, targets: ["y"], features: ["a", "b"] }));
  assert.equal(expected.n, 4, "fixture sanity: four data rows");
  for (const size of [1, 2, 3, 7, 64, 1 << 16]) {
    const got = await readStream(TRICKY, size, { targets: ["y"], features: ["a", "b"] });
    assert.deepEqual(got.X, Array.from(expected.X), `X with ${size}-byte chunks`);
    assert.deepEqual(got.Y, Array.from(expected.Y), `Y with ${size}-byte chunks`);
    assert.equal(got.rows, 4);
  }
});

test("openCsvStream defaults: the last column is the target, the others (in file order) the features", async () => {
  const got = await readStream("x1,x2,y\n1,2,3\n4,5,6\n", 5);
  assert.deepEqual(got.targets, ["y"]);
  assert.deepEqual(got.features, ["x1", "x2"]);
  assert.deepEqual(got.X, [1, 2, 4, 5]);
  assert.deepEqual(got.Y, [3, 6]);
});

test("openCsvStream: a bad cell throws openTable's located message; skipInvalid counts and skips it", async () => {
  const text = "x,y\n1,2\n3,NA\n\"4\",5\n6,7,8\n";
  await withFile(text, async (path) => {
    const expected = await readAll({ source: path, targets: ["y"] }).then(
      () => assert.fail("openTable accepted NA"),
      (e: unknown) => e as DataError,
    );
    await assert.rejects(readStream(text, 3, { label: path }), (e: unknown) => {
      assert.ok(e instanceof DataError);
      assert.equal(e.message, expected.message);
      assert.ok(e.message.endsWith(`data.csv:3:2 (column 'y'): missing value "NA"`), e.message);
      return true;
    });
    const skipped = await readStream(text, 4, { label: path, skipInvalid: true });
    const both = await readAll({ source: path, targets: ["y"], skipInvalid: true });
    assert.deepEqual(skipped.X, Array.from(both.X));
    assert.deepEqual(skipped.Y, Array.from(both.Y));
    assert.equal(skipped.skipped.count, 2);
    assert.deepEqual(skipped.skipped.firstReasons, both.skipped.firstReasons);
  });
});

test("openCsvStream: header and option problems are one clear error", async () => {
  await assert.rejects(readStream("", 4), /data\.csv: empty file \(no header row\)/);
  await assert.rejects(readStream("x,y\n", 4), /data\.csv: no data rows after the header/);
  await assert.rejects(readStream("x,x\n1,2\n", 4), /data\.csv:1:2: duplicate column name 'x'/);
  await assert.rejects(readStream("x,y\n1,2\n", 4, { targets: ["z"] }), (e: unknown) => e instanceof DataError && /unknown target column 'z'; the columns are 'x', 'y'/.test(e.message));
  await assert.rejects(readStream("x,y\n1,2\n", 4, { delimiter: "ab" }), OptionError);
  await assert.rejects(readStream("x,y\n1,\"2\n", 4), /data\.csv:2:2 \(column 'y'\): unterminated quoted field/);
});

test("openCsvStream reads async iterables of strings too, and breaking out cancels the input", async () => {
  let cancelled = false;
  async function* gen() {
    try {
      yield "x,y\n1,";
      yield "2\n3,4\n";
      for (let i = 0; i < 1e6; i++) yield `${i},${i}\n`;
    } finally {
      cancelled = true;
    }
  }
  const csv = await openCsvStream({ input: gen(), batchRows: 2 });
  for await (const b of csv.batches()) {
    assert.deepEqual(Array.from(b.X), [1, 3]);
    assert.deepEqual(Array.from(b.Y), [2, 4]);
    break;
  }
  assert.equal(cancelled, true);
});
