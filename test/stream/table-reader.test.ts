import { test } from "node:test";
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { spawnSync } from "node:child_process";
import fc from "fast-check";
import { createRng } from "../../src/core/rng.js";
import { DataError, InputError, OptionError } from "../../src/core/errors.js";
import { openTable, readAll, type RowBatch, type TableReaderOptions } from "../../src/stream/table-reader.js";

function fixture(name: string): string {
  return fileURLToPath(new URL(`../fixtures/stream/${name}`, import.meta.url));
}

/** A stdin-like stream yielding exactly these chunks. */
function chunks(...parts: (string | Buffer)[]): Readable {
  return Readable.from(parts.map((p) => (typeof p === "string" ? Buffer.from(p) : p)));
}

/** Options reading `text` (one chunk) under the label `label`. */
function csv(text: string, rest: Partial<TableReaderOptions> = {}, label = "data.csv"): TableReaderOptions {
  return { source: label, input: chunks(text), targets: ["y"], ...rest };
}

interface Expected {
  line?: number;
  column?: number;
  columnName?: string;
  /** The whole message, or a pattern it must match. */
  message: string | RegExp;
}

async function rejectsData(promise: Promise<unknown>, expected: Expected): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof DataError, `expected a DataError, got ${String(err)}`);
    if (typeof expected.message === "string") assert.equal(err.message, expected.message);
    else assert.match(err.message, expected.message);
    assert.equal(err.message.includes("\n"), false, "messages are one line");
    if ("line" in expected) assert.equal(err.location.line, expected.line, "line");
    if ("column" in expected) assert.equal(err.location.column, expected.column, "column");
    if ("columnName" in expected) assert.equal(err.location.columnName, expected.columnName, "column name");
    return true;
  });
}

async function drain(options: TableReaderOptions): Promise<{ sizes: number[]; firstLines: number[] }> {
  const reader = await openTable(options);
  const sizes: number[] = [];
  const firstLines: number[] = [];
  for await (const b of reader.batches()) {
    sizes.push(b.n);
    firstLines.push(b.firstLine);
  }
  return { sizes, firstLines };
}

// ---------------------------------------------------------------------------------------------
// Reading

test("reads a CSV file: header, selected columns, sizes, bytes", async () => {
  const path = fixture("basic.csv");
  const reader = await openTable({ source: path, targets: ["y"], features: ["x2", "x1"] });
  assert.deepEqual(reader.header, ["id", "x1", "x2", "name", "y"]);
  assert.deepEqual(reader.featureNames, ["x2", "x1"]);
  assert.deepEqual(reader.targetNames, ["y"]);
  const size = (await stat(path)).size;
  assert.equal(reader.totalBytes, size);
  const batches: { n: number; X: number[]; Y: number[]; firstLine: number }[] = [];
  for await (const b of reader.batches()) batches.push({ n: b.n, X: [...b.X], Y: [...b.Y], firstLine: b.firstLine });
  assert.deepEqual(batches, [{ n: 3, X: [-2, 0.5, 300, 1.25, 4, -0.125], Y: [10, 20.5, -1], firstLine: 2 }]);
  assert.equal(reader.rowsRead(), 3);
  assert.equal(reader.bytesRead(), size);
  assert.deepEqual(reader.skipped(), { count: 0, firstReasons: [] });
  reader.close();
});

test("features default to every column except the targets, in file order; targets keep their order", async () => {
  const data = await readAll(csv("y1,a,y2,b\n1,2,3,4\n5,6,7,8\n", { targets: ["y2", "y1"] }));
  assert.deepEqual(data.featureNames, ["a", "b"]);
  assert.deepEqual(data.targetNames, ["y2", "y1"]);
  assert.equal(data.n, 2);
  assert.deepEqual([...data.X], [2, 4, 6, 8]);
  assert.deepEqual([...data.Y], [3, 1, 7, 5]);
});

test("only the selected columns are parsed: other columns may hold any text", async () => {
  const data = await readAll(csv("id,note,x,y\nA-1,n/a,1,2\n,\"a, \"\"b\"\"\",3,4\n", { features: ["x"] }));
  assert.deepEqual([...data.X], [1, 3]);
  assert.deepEqual([...data.Y], [2, 4]);
});

test("numeric values round-trip exactly (equal to Number() bit for bit)", async () => {
  const rng = createRng(2024);
  const formats = [
    (v: number) => String(v),
    (v: number) => v.toFixed(3),
    (v: number) => v.toExponential(5),
    (v: number) => v.toPrecision(17),
    (v: number) => String(Math.round(v)),
    (v: number) => ` ${v.toFixed(1)} `,
  ];
  const rows: string[][] = [];
  for (let i = 0; i < 600; i++) {
    const row: string[] = [];
    for (let j = 0; j < 4; j++) {
      const scale = 10 ** Math.floor(rng.next() * 40 - 20);
      const v = (rng.next() - 0.5) * scale;
      row.push(formats[(i + j) % formats.length](v));
    }
    rows.push(row);
  }
  rows.push(["-0", "1e-320", "1.7976931348623157e308", "9007199254740993"]);
  const text = "a,b,c,y\n" + rows.map((r) => r.join(",")).join("\n") + "\n";
  const data = await readAll(csv(text, { batchRows: 64 }));
  const expectedX = new Float64Array(rows.flatMap((r) => r.slice(0, 3).map(Number)));
  const expectedY = new Float64Array(rows.map((r) => Number(r[3])));
  assert.equal(data.n, rows.length);
  assert.deepEqual(data.X, expectedX); // typed arrays compare bitwise: -0 !== 0
  assert.deepEqual(data.Y, expectedY);
  assert.ok(Object.is(data.X[data.X.length - 3], -0));
});

test("quoted fields: commas, escaped quotes, quoted numbers, line breaks inside quotes", async () => {
  const text =
    'name,"x,1",y\n' +
    '"Smith, J.",1,2\n' +
    '"say ""hi""","3.5",4\n' +
    '"two\nlines",5,6\n' +
    '"three\r\n\r\nlines ""q""",7,8\n' +
    "plain,9,bad\n";
  const reader = await openTable(csv(text, { features: ["x,1"] }));
  assert.deepEqual(reader.header, ["name", "x,1", "y"]);
  const X: number[] = [];
  const Y: number[] = [];
  const firstLines: number[] = [];
  await rejectsData(
    (async () => {
      for await (const b of reader.batches()) {
        X.push(...b.X);
        Y.push(...b.Y);
        firstLines.push(b.firstLine);
      }
    })(),
    // Lines: 4-5 and 6-8 are multi-line records, so the last row is line 9.
    { line: 9, column: 3, columnName: "y", message: "data.csv:9:3 (column 'y'): non-numeric value \"bad\"" },
  );
  assert.equal(reader.rowsRead(), 0, "the failing row is in the first batch, which was never yielded");
  const data = await readAll(csv(text.replace("bad", "10"), { features: ["x,1"], batchRows: 1 }));
  assert.deepEqual([...data.X], [1, 3.5, 5, 7, 9]);
  assert.deepEqual([...data.Y], [2, 4, 6, 8, 10]);
  const lines = await drain(csv(text.replace("bad", "10"), { features: ["x,1"], batchRows: 1 }));
  assert.deepEqual(lines.firstLines, [2, 3, 4, 6, 9]);
});

test("CRLF line ends and a UTF-8 BOM are handled", async () => {
  const text = "\uFEFFx,y\r\n1,2\r\n3,4\r\n";
  const data = await readAll(csv(text));
  assert.deepEqual(data.header, ["x", "y"], "no BOM in the first name");
  assert.deepEqual([...data.X, ...data.Y], [1, 3, 2, 4]);
});

test("stdin-like input: chunk boundaries mid-line, mid-number, mid-CRLF and mid-character (property, seeded)", async () => {
  const text =
    "\uFEFFnamé,x1,x2,y\r\n" +
    '"Zoë, ☃",1.25,-3e-2,100\r\n' +
    "\r\n" +
    "日本,0.1,0.2,0.30000000000000004\r\n" +
    '"multi\r\nline",123456.789,-0.5,7\r\n' +
    "x,1e5,2E-5,-8";
  const bytes = Buffer.from(text);
  const options = (input: Readable): TableReaderOptions => ({
    source: "-",
    input,
    targets: ["y"],
    features: ["x1", "x2"],
    batchRows: 2,
  });
  const whole = await readAll(options(chunks(bytes)));
  assert.deepEqual([...whole.X], [1.25, -0.03, 0.1, 0.2, 123456.789, -0.5, 100000, 0.00002]);
  assert.deepEqual([...whole.Y], [100, 0.30000000000000004, 7, -8]);
  await fc.assert(
    fc.asyncProperty(fc.array(fc.nat({ max: bytes.length }), { maxLength: 10 }), async (cuts) => {
      const points = [...new Set(cuts)].sort((a, b) => a - b);
      const parts: Buffer[] = [];
      let prev = 0;
      for (const p of points) {
        parts.push(bytes.subarray(prev, p));
        prev = p;
      }
      parts.push(bytes.subarray(prev));
      const got = await readAll(options(chunks(...parts)));
      assert.deepEqual(got.X, whole.X);
      assert.deepEqual(got.Y, whole.Y);
      assert.deepEqual(got.header, ["namé", "x1", "x2", "y"]);
    }),
    { seed: 42, numRuns: 200 },
  );
  const byteByByte = await readAll(options(chunks(...[...bytes].map((b) => Buffer.from([b])))));
  assert.deepEqual(byteByByte.X, whole.X);
});

test("stdin source: label <stdin>, no total size", async () => {
  const reader = await openTable({ source: "-", input: chunks("x,y\n1,oops\n"), targets: ["y"] });
  assert.equal(reader.totalBytes, undefined);
  await rejectsData(drainReader(reader), {
    message: "<stdin>:2:2 (column 'y'): non-numeric value \"oops\"",
  });
});

test('source "-" reads the real process.stdin (child process)', () => {
  const module = new URL("../../src/stream/table-reader.ts", import.meta.url).href;
  const code =
    `import { openTable } from ${JSON.stringify(module)};` +
    `const r = await openTable({ source: "-", targets: ["y"] });` +
    `let X = []; for await (const b of r.batches()) X.push(...b.X);` +
    `console.log(JSON.stringify({ X, total: r.totalBytes ?? null, bytes: r.bytesRead() }));`;
  const input = "x,y\r\n1.5,2\r\n-3,4\r\n";
  const child = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], {
    input,
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.equal(child.status, 0, child.stderr);
  assert.deepEqual(JSON.parse(child.stdout), { X: [1.5, -3], total: null, bytes: input.length });
});

async function drainReader(reader: { batches(): AsyncIterable<RowBatch> }): Promise<number> {
  let n = 0;
  for await (const b of reader.batches()) n += b.n;
  return n;
}

test("each batch gives the file line of every row (blank lines, multi-line records, skipped rows)", async () => {
  const text = 'x,y\n1,2\n\n"3\n",4\n5,bad\n6,7\n';
  const reader = await openTable(csv(text, { batchRows: 2, skipInvalid: true, features: [] }));
  const lines: number[] = [];
  for await (const b of reader.batches()) lines.push(...b.rowLines.subarray(0, b.n));
  // Line 4 starts the two-line record "3\n" (x is not selected); line 6 (y = bad) is skipped.
  assert.deepEqual(lines, [2, 4, 7]);
});

test("blank lines are skipped anywhere, and line numbers stay right", async () => {
  const text = "\n\nx,y\n1,2\n\n\n3,4\n\n5,x\n";
  const data = await readAll(csv(text.replace("5,x", "5,6")));
  assert.deepEqual([...data.X], [1, 3, 5]);
  const { firstLines } = await drain(csv(text.replace("5,x", "5,6"), { batchRows: 1 }));
  assert.deepEqual(firstLines, [4, 7, 9]);
  await rejectsData(readAll(csv(text)), { line: 9, column: 2, message: /^data\.csv:9:2 \(column 'y'\)/ });
});

test("batches of varying size cover all rows, in order, with the right first lines", async () => {
  const rows = Array.from({ length: 10 }, (_, i) => `${i},${i * 10},${-i}`);
  const text = "a,b,y\n" + rows.join("\n") + "\n";
  for (const batchRows of [1, 2, 3, 7, 10, 1000]) {
    const reader = await openTable(csv(text, { batchRows }));
    const sizes: number[] = [];
    const firstLines: number[] = [];
    const X: number[] = [];
    const Y: number[] = [];
    let firstBuffer: ArrayBufferLike | undefined;
    for await (const b of reader.batches()) {
      sizes.push(b.n);
      firstLines.push(b.firstLine);
      assert.equal(b.X.length, b.n * 2);
      assert.equal(b.Y.length, b.n);
      X.push(...b.X);
      Y.push(...b.Y);
      firstBuffer ??= b.X.buffer;
      assert.equal(b.X.buffer, firstBuffer, "the batch buffer is reused (constant memory)");
      assert.equal(reader.rowsRead(), sizes.reduce((s, n) => s + n, 0));
    }
    const expectedSizes: number[] = [];
    for (let left = 10; left > 0; left -= batchRows) expectedSizes.push(Math.min(batchRows, left));
    assert.deepEqual(sizes, expectedSizes, `batchRows ${batchRows}`);
    assert.deepEqual(firstLines, expectedSizes.map((_, k) => 2 + k * batchRows));
    assert.deepEqual(X, rows.flatMap((_, i) => [i, i * 10]));
    assert.deepEqual(Y, rows.map((_, i) => Number(String(-i)))); // "0", not "-0", for i = 0
  }
});

test("readAll copies each batch (the reader reuses its buffers)", async () => {
  const data = await readAll(csv("x,y\n1,2\n3,4\n5,6\n7,8\n9,10\n", { batchRows: 2 }));
  assert.deepEqual([...data.X], [1, 3, 5, 7, 9]);
  assert.deepEqual([...data.Y], [2, 4, 6, 8, 10]);
});

test("tab-separated: .tsv extension, or an explicit delimiter", async () => {
  const tsv = await readAll({ source: "t.tsv", input: chunks("x\ty\n1\t2\n"), targets: ["y"] });
  assert.deepEqual([...tsv.X, ...tsv.Y], [1, 2]);
  await rejectsData(readAll(csv("x;y\n1,5;2\n", { delimiter: ";" })), {
    message: "data.csv:2:1 (column 'x'): non-numeric value \"1,5\"",
  });
  const semiOk = await readAll(csv("x;y\n1.5;2\n", { delimiter: ";" }));
  assert.deepEqual([...semiOk.X, ...semiOk.Y], [1.5, 2]);
});

test("breaking out of the loop closes the input; batches() works once", async () => {
  const input = chunks("x,y\n1,2\n", "3,4\n", "5,6\n");
  const reader = await openTable({ source: "s.csv", input, targets: ["y"], batchRows: 1 });
  for await (const b of reader.batches()) {
    assert.equal(b.n, 1);
    break;
  }
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(input.destroyed, true);
  assert.throws(() => reader.batches(), InputError);
});

// ---------------------------------------------------------------------------------------------
// NDJSON

test("NDJSON: keys of the first object are the header; blank lines skipped; extra keys ignored", async () => {
  const path = fixture("basic.ndjson");
  const data = await readAll({ source: path, targets: ["y"], features: ["x1", "x2"] });
  assert.deepEqual(data.header, ["x1", "x2", "name", "y"]);
  assert.equal(data.n, 3);
  assert.deepEqual([...data.X], [0.5, -2, 1.25, 300, -0.125, 4]);
  assert.deepEqual([...data.Y], [10, 20.5, -1]);
});

test("NDJSON: format from .jsonl / .ndjson, or forced; features default", async () => {
  const text = '{"a":1,"y":2}\r\n{"y":4,"a":3}';
  const jsonl = await readAll({ source: "d.JSONL", input: chunks(text), targets: ["y"] });
  assert.deepEqual(jsonl.featureNames, ["a"]);
  assert.deepEqual([...jsonl.X, ...jsonl.Y], [1, 3, 2, 4]);
  const forced = await readAll({ source: "-", input: chunks(text), targets: ["y"], format: "ndjson" });
  assert.deepEqual([...forced.X], [1, 3]);
  // Any other extension is read as CSV.
  await rejectsData(readAll({ source: "d.txt", input: chunks(text), targets: ["y"] }), {
    message: /^d\.txt:1:2: malformed quoted field in the header/,
  });
});

test("NDJSON errors are located by line and key", async () => {
  const head = '{"a":1,"b":2,"y":3}\n';
  // [line 4 of the file, expected detail (string: exact, RegExp: pattern), expected key or undefined]
  const cases: [string, string | RegExp, string | undefined][] = [
    ['{"a":1,"b":2,"y":3', /^invalid JSON: .+/, undefined],
    ["[1,2,3]", "expected a JSON object, got an array", undefined],
    ["42", "expected a JSON object, got number 42", undefined],
    ['{"a":1,"y":3}', 'missing key "b"', "b"],
    ['{"a":1,"b":null,"y":3}', "missing value (null)", "b"],
    ['{"a":1,"b":"2.5","y":3}', 'expected a number, got the string "2.5" (numeric strings are not accepted)', "b"],
    ['{"a":1,"b":"abc","y":3}', 'expected a number, got the string "abc"', "b"],
    ['{"a":1,"b":true,"y":3}', "expected a number, got boolean true", "b"],
    ['{"a":1,"b":{},"y":3}', "expected a number, got an object", "b"],
    ['{"a":1,"b":1e999,"y":3}', "non-finite value (number outside the range of a double)", "b"],
    ['{"a":1,"b":2,"toString":3}', 'missing key "y"', "y"],
  ];
  for (const [line, detail, key] of cases) {
    const options = { source: "d.ndjson", input: chunks(head, head, "\n", line + "\n", head), targets: ["y"] };
    const prefix = key === undefined ? "d.ndjson:4: " : `d.ndjson:4 (column '${key}'): `;
    await assert.rejects(readAll(options), (err: unknown) => {
      assert.ok(err instanceof DataError, line);
      assert.equal(err.location.line, 4, line);
      assert.equal(err.location.column, undefined, "JSON lines have no field columns");
      assert.equal(err.location.columnName, key, line);
      if (typeof detail === "string") assert.equal(err.message, prefix + detail);
      else assert.match(err.detail, detail);
      assert.ok(err.message.startsWith(prefix), err.message);
      return true;
    });
  }
});

test("NDJSON: an unreadable first object fails at open; an empty file too", async () => {
  await rejectsData(openTable({ source: "d.ndjson", input: chunks("\n[1]\n"), targets: ["y"] }), {
    line: 2,
    message: "d.ndjson:2: expected a JSON object, got an array (the first object defines the columns)",
  });
  await rejectsData(openTable({ source: "d.ndjson", input: chunks(" \n\n"), targets: ["y"] }), {
    message: "d.ndjson: empty file (no JSON object)",
  });
});

test("NDJSON with skipInvalid counts the bad lines", async () => {
  const text = '{"x":1,"y":2}\n{"x":"1","y":2}\nnot json\n{"x":3,"y":4}\n';
  const data = await readAll({ source: "d.ndjson", input: chunks(text), targets: ["y"], skipInvalid: true });
  assert.deepEqual([...data.X], [1, 3]);
  assert.equal(data.skipped.count, 2);
  assert.match(data.skipped.firstReasons[0], /^d\.ndjson:2 \(column 'x'\): expected a number/);
  assert.match(data.skipped.firstReasons[1], /^d\.ndjson:3: invalid JSON/);
});

// ---------------------------------------------------------------------------------------------
// CSV errors

test("the message format of the brief: file:line:column (column 'name'): detail", async () => {
  const rows = Array.from({ length: 15 }, (_, i) => `${i},${i},${i},${i}`);
  const text = "x0,x1,x2,y\n" + rows.join("\n") + "\n1,2,abc,4\n";
  await rejectsData(readAll(csv(text)), {
    line: 17,
    column: 3,
    columnName: "x2",
    message: "data.csv:17:3 (column 'x2'): non-numeric value \"abc\"",
  });
});

test("invalid cells: empty, NA, NaN, Infinity, -Infinity, inf, 1e999, non-numeric", async () => {
  const cases: [string, string][] = [
    ["", "missing value (empty cell)"],
    ["  ", "missing value (empty cell)"],
    ['""', "missing value (empty cell)"],
    ["NA", 'missing value "NA"'],
    ["NaN", 'non-finite value "NaN"'],
    ["Infinity", 'non-finite value "Infinity"'],
    ["-Infinity", 'non-finite value "-Infinity"'],
    ["inf", 'non-finite value "inf"'],
    ["1e999", 'non-finite value "1e999" (outside the range of a double)'],
    ["0x10", 'non-numeric value "0x10"'],
    ["1.2.3", 'non-numeric value "1.2.3"'],
  ];
  for (const [cell, detail] of cases) {
    const text = `a,b,y\n1,2,3\n4,${cell},6\n`;
    await rejectsData(readAll(csv(text)), {
      line: 3,
      column: 2,
      columnName: "b",
      message: `data.csv:3:2 (column 'b'): ${detail}`,
    });
  }
});

test("ragged rows report expected and actual field counts", async () => {
  await rejectsData(readAll(csv("a,b,y\n1,2,3\n1,2\n")), {
    line: 3,
    column: 3,
    columnName: "y",
    message: "data.csv:3:3 (column 'y'): expected 3 fields as in the header, got 2",
  });
  await rejectsData(readAll(csv("a,b,y\n1,2,3,4\n")), {
    line: 2,
    column: 4,
    message: "data.csv:2:4: expected 3 fields as in the header, got 4",
  });
  // A short row whose values would shift into the wrong columns is reported as ragged.
  await rejectsData(readAll(csv("a,b,y\nabc,3\n")), { message: /expected 3 fields as in the header, got 2$/ });
});

test("malformed and unterminated quotes", async () => {
  await rejectsData(readAll(csv('a,b,y\n1,"2"x,3\n')), {
    line: 2,
    column: 2,
    columnName: "b",
    message: "data.csv:2:2 (column 'b'): malformed quoted field: unexpected \"x\" after the closing quote",
  });
  await rejectsData(readAll(csv('a,b,y\n1,2,3\n1,"2,3\n4,5,6\n')), {
    line: 3,
    column: 2,
    columnName: "b",
    message: "data.csv:3:2 (column 'b'): unterminated quoted field (no closing quote before the end of the input)",
  });
});

test("an unclosed quote does not swallow the rest of a large input", async () => {
  const filler = Array.from({ length: 120_000 }, (_, i) => `${i},${i}`).join("\n"); // ≈ 1.4e6 > 2^20 characters
  await rejectsData(readAll(csv('x,y\n1,2\n"3,4\n' + filler + "\n")), {
    line: 3,
    column: 1,
    message: "data.csv:3:1 (column 'x'): unterminated quoted field (no closing quote within 1048576 characters)",
  });
});

test("empty file, BOM-only or blank-only file: no header", async () => {
  await rejectsData(openTable({ source: fixture("empty.csv"), targets: ["y"] }), {
    message: `${fixture("empty.csv")}: empty file (no header row)`,
  });
  await rejectsData(openTable(csv("\uFEFF")), { message: "data.csv: empty file (no header row)" });
  await rejectsData(openTable(csv("\n\r\n\n")), { message: "data.csv: empty file (no header row)" });
});

test("header only: opening works, iterating finds no data rows", async () => {
  const reader = await openTable({ source: fixture("header-only.csv"), targets: ["y"] });
  assert.deepEqual(reader.featureNames, ["x1", "x2"]);
  await rejectsData(drainReader(reader), {
    message: `${fixture("header-only.csv")}: no data rows after the header`,
  });
  await rejectsData(readAll(csv("x,y\n\n\n")), { message: "data.csv: no data rows after the header" });
});

test("missing file, directory, unreadable file", async () => {
  await rejectsData(openTable({ source: "/no/such/dir/data.csv", targets: ["y"] }), {
    message: "/no/such/dir/data.csv: cannot open file: no such file or directory (ENOENT)",
  });
  const dir = fileURLToPath(new URL("../fixtures/stream", import.meta.url));
  await rejectsData(openTable({ source: dir, targets: ["y"] }), {
    message: `${dir}: cannot open file: is a directory (EISDIR)`,
  });
});

/**
 * A path that this process cannot open for reading (EACCES), and how to undo it. Not root: a
 * mode-000 file. Root bypasses file modes (CAP_DAC_OVERRIDE), but the kernel's sysfs refuses to
 * open a write-only attribute for reading with EACCES even for root; such attributes exist on any
 * Linux with sysfs (`/sys/bus/pci/rescan` wherever there is a PCI bus, `/sys/kernel/...`).
 */
async function unreadablePath(dir: string): Promise<string | null> {
  if (process.getuid?.() !== 0) {
    const path = join(dir, "secret.csv");
    await writeFile(path, "x,y\n1,2\n", { mode: 0o000 });
    return path;
  }
  for (const candidate of ["/sys/bus/pci/rescan", "/sys/bus/pci/drivers_probe", "/sys/kernel/mm/page_idle/bitmap", "/sys/bus/cpu/drivers_probe", "/sys/bus/platform/drivers_probe"]) {
    try {
      const st = await stat(candidate);
      if ((st.mode & 0o444) === 0) return candidate; // write-only attribute
    } catch {
      // not on this machine
    }
  }
  return null;
}

test("unreadable file (EACCES), also when running as root", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "ismm-stream-"));
  try {
    const path = await unreadablePath(dir);
    if (path === null) return t.skip("running as root without a write-only sysfs attribute: nothing root cannot read");
    await rejectsData(openTable({ source: path, targets: ["y"] }), {
      message: `${path}: cannot open file: permission denied (EACCES)`,
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("duplicate or empty column names in the header", async () => {
  await rejectsData(openTable(csv("x,y,x\n1,2,3\n")), {
    line: 1,
    column: 3,
    message: "data.csv:1:3: duplicate column name 'x' in the header (also column 1)",
  });
  await rejectsData(openTable(csv("\n x ,y, x\n1,2,3\n")), {
    line: 2,
    column: 3,
    message: /duplicate column name 'x'/,
  });
  await rejectsData(openTable(csv(",x,y\n0,1,2\n")), {
    line: 1,
    column: 1,
    message: /^data\.csv:1:1: empty column name in the header/,
  });
  await rejectsData(openTable(csv('x,"",y\n')), { column: 2, message: /empty column name/ });
});

test("a failing openTable releases its input", async () => {
  const input = chunks("x,x\n", "1,2\n");
  await assert.rejects(openTable({ source: "d.csv", input, targets: ["y"] }), DataError);
  assert.equal(input.destroyed, true);
});

test("unknown target or feature column lists the available names (truncated)", async () => {
  await rejectsData(openTable(csv("a,b,Y\n1,2,3\n")), {
    line: 1,
    message: "data.csv:1: unknown target column 'y' (did you mean 'Y'?); the columns are 'a', 'b', 'Y'",
  });
  await rejectsData(openTable(csv("a,b,y\n", { features: ["a", "c"] })), {
    message: "data.csv:1: unknown feature column 'c'; the columns are 'a', 'b', 'y'",
  });
  const names = Array.from({ length: 30 }, (_, j) => `c${j}`);
  await rejectsData(openTable(csv(names.join(",") + "\n")), {
    message: `data.csv:1: unknown target column 'y'; the columns are ${names
      .slice(0, 20)
      .map((n) => `'${n}'`)
      .join(", ")} and 10 more`,
  });
});

test("messages stay on one line: control characters in names are escaped; lone-CR files are refused", async () => {
  await rejectsData(openTable(csv('"a\nb",x\n1,2\n')), {
    message: "data.csv:1: unknown target column 'y'; the columns are 'a\\nb', 'x'",
  });
  await rejectsData(readAll(csv('"a\nb",y\nq,2\n')), {
    line: 3,
    columnName: "a\\nb",
    message: "data.csv:3:1 (column 'a\\nb'): non-numeric value \"q\"",
  });
  await rejectsData(openTable(csv("x,y\r1,2\r3,4\r")), {
    line: 1,
    message: /^data\.csv:1: carriage return inside the header line/,
  });
});

test("a file with only target columns needs explicit features", async () => {
  await rejectsData(openTable(csv("y\n1\n")), { message: /^data\.csv:1: no feature columns/ });
  const data = await readAll(csv("y\n1\n2\n", { features: [] }));
  assert.deepEqual(data.featureNames, []);
  assert.equal(data.X.length, 0);
  assert.deepEqual([...data.Y], [1, 2]);
});

// ---------------------------------------------------------------------------------------------
// skipInvalid

test("skipInvalid skips and counts invalid rows, keeping the first five located reasons", async () => {
  const lines = ["x,y", "1,1"];
  for (let i = 0; i < 8; i++) lines.push(`bad${i},1`);
  lines.push("1,2,3", "2,2", "", "3,NaN", "4,4");
  const reader = await openTable(csv(lines.join("\n") + "\n", { skipInvalid: true, batchRows: 2 }));
  const X: number[] = [];
  for await (const b of reader.batches()) X.push(...b.X);
  assert.deepEqual(X, [1, 2, 4]);
  assert.equal(reader.rowsRead(), 3);
  const { count, firstReasons } = reader.skipped();
  assert.equal(count, 10);
  assert.deepEqual(firstReasons, [0, 1, 2, 3, 4].map((i) => `data.csv:${i + 3}:1 (column 'x'): non-numeric value "bad${i}"`));
});

test("skipInvalid with every row invalid is still an error", async () => {
  await rejectsData(readAll(csv("x,y\na,1\n1\n2,b\n", { skipInvalid: true })), {
    message:
      "data.csv: no valid data rows: all 3 data rows are invalid; the first: " +
      "data.csv:2:1 (column 'x'): non-numeric value \"a\"",
  });
});

test("skipInvalid resumes after an invalid multi-line record", async () => {
  const data = await readAll(csv('x,y\n1,2\n"a\nb",3\n4,5\n', { skipInvalid: true }));
  assert.deepEqual([...data.X], [1, 4]);
  assert.equal(data.skipped.count, 1);
  assert.equal(data.skipped.firstReasons[0], 'data.csv:3:1 (column \'x\'): non-numeric value "a\\nb"');
});

// ---------------------------------------------------------------------------------------------
// Options

test("invalid options throw OptionError before any I/O", async () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ source: "", targets: ["y"] }, /'source' option of openTable must be a non-empty string/],
    [{ source: "d.csv", targets: [] }, /'targets' option of openTable must be a non-empty array of column names. Got \[\] instead/],
    [{ source: "d.csv", targets: ["y", "y"] }, /'targets' option .* distinct column names/],
    [{ source: "d.csv", targets: "y" }, /'targets' option/],
    [{ source: "d.csv", targets: ["y"], features: ["a", "y"] }, /Column 'y' is both in the 'targets' and in the 'features'/],
    [{ source: "d.csv", targets: ["y"], batchRows: 0 }, /'batchRows' option of openTable must be an int in the range \[1, inf\). Got 0 instead/],
    [{ source: "d.csv", targets: ["y"], batchRows: 1.5 }, /'batchRows'/],
    [{ source: "d.csv", targets: ["y"], format: "xml" }, /'format' option of openTable must be one of "csv", "ndjson"/],
    [{ source: "d.csv", targets: ["y"], skipInvalid: "yes" }, /'skipInvalid' option/],
    [{ source: "d.csv", targets: ["y"], delimiter: ",," }, /'delimiter' option/],
    [{ source: "d.csv", targets: ["y"], delimiter: '"' }, /'delimiter' option/],
    [{ source: "d.ndjson", targets: ["y"], delimiter: ";" }, /'delimiter' option .* left out for NDJSON/],
    [{ source: "d.csv", targets: ["y"], batchrows: 5 }, /unknown option 'batchrows'/],
  ];
  for (const [options, message] of bad) {
    await assert.rejects(openTable(options as unknown as TableReaderOptions), (err: unknown) => {
      assert.ok(err instanceof OptionError, `${JSON.stringify(options)}: ${String(err)}`);
      assert.match(err.message, message);
      return true;
    });
  }
});
