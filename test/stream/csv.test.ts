import { test } from "node:test";
import assert from "node:assert/strict";
import {
  CsvRowParser,
  DEST_SKIP,
  ROW_INVALID,
  ROW_NEED_MORE,
  ROW_OK,
  splitCsvRecord,
  targetDest,
} from "../../src/stream/csv.js";

const COMMA = 44;

function split(s: string, delimiter = COMMA) {
  return splitCsvRecord(s, 0, s.length, delimiter);
}

test("splitCsvRecord: plain, empty and quoted fields (RFC 4180)", () => {
  assert.deepEqual(split("a,b,c").fields, ["a", "b", "c"]);
  assert.deepEqual(split("").fields, [""]);
  assert.deepEqual(split(",").fields, ["", ""]);
  assert.deepEqual(split('"a,b",c').fields, ["a,b", "c"]);
  assert.deepEqual(split('"say ""hi""",x').fields, ['say "hi"', "x"]);
  assert.deepEqual(split('"",""').fields, ["", ""]);
  assert.deepEqual(split('a"b,c').fields, ['a"b', "c"], "a quote inside an unquoted field is data");
  assert.deepEqual(split('"q"  ,z').fields, ["q", "z"], "blanks after the closing quote are allowed");
  assert.deepEqual(split("a\tb", 9).fields, ["a", "b"]);
  assert.equal(split("a,b").status, ROW_OK);
});

test("splitCsvRecord: an open quote needs more lines; text after a closing quote is malformed", () => {
  const open = split('1,"abc');
  assert.equal(open.status, ROW_NEED_MORE);
  assert.equal(open.badField, 1);
  assert.equal(split('1,"a""').status, ROW_NEED_MORE, 'an escaped quote "" does not close');
  assert.equal(split('1,"a\nb",2').status, ROW_OK);
  const bad = split('1,"ab"c,2');
  assert.equal(bad.status, ROW_INVALID);
  assert.equal(bad.badField, 1);
  assert.equal(bad.badChar, "c");
});

/** Parser for header [a, b, name, y]: features b, a (in that order), target y. */
function makeParser(): CsvRowParser {
  const dest = new Int32Array([1, 0, DEST_SKIP, targetDest(0)]);
  return new CsvRowParser(["a", "b", "name", "y"], dest, COMMA);
}

test("CsvRowParser writes the selected columns to their slots and skips the others", () => {
  const p = makeParser();
  const X = new Float64Array(6).fill(-1);
  const Y = new Float64Array(3).fill(-1);
  const row = 'zz1.5,-2,"any, text ""here""",3e1zz';
  assert.equal(p.parse(row, 2, row.length - 2, X, 2, Y, 1), ROW_OK);
  assert.deepEqual([...X], [-1, -1, -2, 1.5, -1, -1]);
  assert.deepEqual([...Y], [-1, 30, -1]);
});

test("CsvRowParser: quoted numbers parse; a quoted number with an escaped quote does not", () => {
  const p = makeParser();
  const X = new Float64Array(2);
  const Y = new Float64Array(1);
  const ok = '"1"," 2 ",x,"3"';
  assert.equal(p.parse(ok, 0, ok.length, X, 0, Y, 0), ROW_OK);
  assert.deepEqual([...X, ...Y], [2, 1, 3]);
  const bad = '1,2,x,"3"""';
  assert.equal(p.parse(bad, 0, bad.length, X, 0, Y, 0), ROW_INVALID);
  assert.deepEqual(p.describe(bad, 0, bad.length), { detail: 'non-numeric value "3\\""', column: 4, columnName: "y" });
});

test("CsvRowParser: the first bad selected cell is reported, unselected text is ignored", () => {
  const p = makeParser();
  const X = new Float64Array(2);
  const Y = new Float64Array(1);
  const row = "1,,not a number,NaN";
  assert.equal(p.parse(row, 0, row.length, X, 0, Y, 0), ROW_INVALID);
  assert.deepEqual(p.describe(row, 0, row.length), { detail: "missing value (empty cell)", column: 2, columnName: "b" });
});

test("CsvRowParser: a wrong field count wins over bad cells", () => {
  const p = makeParser();
  const X = new Float64Array(2);
  const Y = new Float64Array(1);
  const short = "abc,2,3";
  assert.equal(p.parse(short, 0, short.length, X, 0, Y, 0), ROW_INVALID);
  assert.deepEqual(p.describe(short, 0, short.length), {
    detail: "expected 4 fields as in the header, got 3",
    column: 4,
    columnName: "y",
  });
  const long = "1,2,3,4,5";
  assert.equal(p.parse(long, 0, long.length, X, 0, Y, 0), ROW_INVALID);
  assert.deepEqual(p.describe(long, 0, long.length), { detail: "expected 4 fields as in the header, got 5", column: 5 });
});

test("CsvRowParser: open quote needs more; junk after a closing quote is malformed", () => {
  const p = makeParser();
  const X = new Float64Array(2);
  const Y = new Float64Array(1);
  assert.equal(p.parse('1,2,"open', 0, 9, X, 0, Y, 0), ROW_NEED_MORE);
  const bad = '1,2,"x"y,3';
  assert.equal(p.parse(bad, 0, bad.length, X, 0, Y, 0), ROW_INVALID);
  assert.deepEqual(p.describe(bad, 0, bad.length), {
    detail: 'malformed quoted field: unexpected "y" after the closing quote',
    column: 3,
    columnName: "name",
  });
});
