/**
 * Multi-line CSV records and the shared header parser: the incremental open-quote scanner agrees
 * with `splitCsvRecord` on every way of cutting a record into lines; continuation is linear (a
 * 64k-line unclosed quote is rejected at once); `peekTableHeader` returns exactly the header the
 * table reader uses, for CSV, TSV, quoted names, BOM, blank lines and NDJSON.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import fc from "fast-check";
import { DataError } from "../../src/core/errors.js";
import { ROW_NEED_MORE, splitCsvRecord } from "../../src/stream/csv.js";
import { OpenQuoteScanner } from "../../src/stream/csv-record.js";
import { peekTableHeader } from "../../src/stream/peek.js";
import { openTable } from "../../src/stream/table-reader.js";

const COMMA = 44;
const TAB = 9;

test("OpenQuoteScanner fed line by line agrees with splitCsvRecord on the joined record", () => {
  // Records over a small alphabet rich in quotes, delimiters and blanks; any cut into lines.
  const piece = fc.array(fc.constantFrom('"', '""', ",", "\t", " ", "a", "1"), { maxLength: 12 }).map((a) => a.join(""));
  fc.assert(
    fc.property(fc.array(piece, { minLength: 1, maxLength: 5 }), fc.constantFrom(COMMA, TAB), (lines, delimiter) => {
      const scanner = new OpenQuoteScanner(delimiter);
      let open = false;
      for (let i = 0; i < lines.length; i++) {
        const record = lines.slice(0, i + 1).join("\n");
        open = scanner.feed(lines[i], 0, lines[i].length);
        const expected = splitCsvRecord(record, 0, record.length, delimiter).status === ROW_NEED_MORE;
        assert.equal(open, expected, `record ${JSON.stringify(record)}`);
        if (!open) break; // the reader stops appending once the record is closed
      }
    }),
    { numRuns: 3000, seed: 17 },
  );
});

// Hang guard, not a speed test: re-parsing the record per line (the old way) took ≈ 155 s here.
test("an unclosed quote followed by 65,536 lines of \"\" is rejected, located at its first line", { timeout: 60000 }, async () => {
  const text = 'a,b,y\n"\n' + '""\n'.repeat(1 << 16);
  const reader = await openTable({ source: "q.csv", input: Readable.from([Buffer.from(text)]), targets: ["y"] });
  await assert.rejects(
    (async () => {
      for await (const _ of reader.batches());
    })(),
    (err: unknown) => err instanceof DataError && /^q\.csv:2:1 \(column 'a'\): unterminated quoted field \(no closing quote before the end of the input\)$/.test(err.message),
  );
});

test("peekTableHeader returns the reader's header (one parser), and leaves stdin-like inputs replayable", async () => {
  const dir = await mkdtemp(join(tmpdir(), "ismm-peek-"));
  try {
    const cases: [string, string][] = [
      ["plain.csv", "a,b,y\n1,2,3\n"],
      ["tabs.tsv", "a b\tc,d\ty\n1\t2\t3\n"],
      ["quoted.csv", '"x,1", "x2" ,y\n1,2,3\n'],
      ["multiline.csv", '"a\nb",c,y\n1,2,3\n'],
      ["bom-blank.csv", "\uFEFF\n\n a ,b\t,y\r\n1,2,3\n"],
      ["rows.ndjson", '\n{"b":1,"a":2,"y":3}\n'],
    ];
    for (const [name, text] of cases) {
      const path = join(dir, name);
      await writeFile(path, text);
      const reader = await openTable({ source: path, targets: ["y"] });
      reader.close();
      const peek = await peekTableHeader(path);
      assert.deepEqual(peek.header, reader.header, name);
      assert.equal(peek.input, undefined, `${name}: a regular file is opened again, not replayed`);
    }
    const bad = join(dir, "bad.csv");
    await writeFile(bad, "a,a,y\n1,2,3\n");
    assert.equal((await peekTableHeader(bad)).header, null, "a bad header is left to the reader");
    assert.equal((await peekTableHeader(join(dir, "missing.csv"))).header, null);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
