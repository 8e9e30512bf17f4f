import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  DecimalScanner,
  describeInvalidNumber,
  parseDecimal,
  parseNumberStrict,
} from "../../src/stream/parse-number.js";

/** Bitwise equality (distinguishes -0 from 0), with the input in the failure message. */
function assertSameDouble(actual: number, expected: number, input: string): void {
  assert.ok(Object.is(actual, expected), `parse(${JSON.stringify(input)}) = ${actual}, Number() = ${expected}`);
}

test("accepted literals equal Number() bit for bit", () => {
  const cases = [
    "0", "-0", "+0", "-0.0", "1", "-1", "+7", "0.1", "0.2", "0.3", ".5", "5.", "-.5", "+.5e1",
    "1e5", "1E+5", "1e-5", "2.5E-3", "007", "00.100", "123.456", "-98765.4321",
    // Fast-path boundaries: 2^53 - 1 is exact, 2^53 and 2^53 + 1 go to the fallback.
    "9007199254740991", "9007199254740992", "9007199254740993", "-9007199254740993",
    // |exponent| 22 is the last exact power of ten; 23 goes to the fallback.
    "1e22", "1e23", "1e-22", "1e-23", "123456789012345e-22", "123456789012345e22",
    "0.000000000000000000001", "4.9406564584124654e-324", "2.2250738585072014e-308",
    "1.7976931348623157e308", "1e-400", "-1e-400", "0e999", "0.1234567890123456789",
    "0.8472061965079643", "-12.3457", "3.141592653589793", "1e0000000000000000000005",
    "  42  ", "\t-3.5\t", " 1e3",
  ];
  for (const s of cases) assertSameDouble(parseNumberStrict(s), Number(s), s);
});

test("rejected text gives NaN, even where Number() gives a number", () => {
  const cases = [
    "", " ", "\t", "abc", "1a", "a1", "0x1F", "0b1", "0o7", "Infinity", "-Infinity", "inf", "NaN",
    "1e", "1e+", "e5", ".", "-", "+", "+-1", "--1", "1..2", "1.2.3", "1e5.5", "1 2", "1,5", "1_000",
    "١", "1e999", "-1e999", "1.8e308", "\n1", "1\r",
  ];
  for (const s of cases) assert.ok(Number.isNaN(parseNumberStrict(s)), `expected NaN for ${JSON.stringify(s)}`);
});

test("parseDecimal reads only the range [start, end)", () => {
  const s = "xx-12.5e1yy";
  assert.equal(parseDecimal(s, 2, 9), -125);
  assert.ok(Number.isNaN(parseDecimal(s, 1, 9)));
  assert.ok(Number.isNaN(parseDecimal(s, 2, 10)));
});

test("random decimal strings: parse equals Number() exactly (property, seeded)", () => {
  const digits = fc.string({ unit: fc.constantFrom(..."0123456789"), minLength: 1, maxLength: 20 });
  const literal = fc
    .tuple(
      fc.constantFrom("", "-", "+"),
      digits,
      fc.option(fc.string({ unit: fc.constantFrom(..."0123456789"), maxLength: 20 })),
      fc.option(fc.tuple(fc.constantFrom("e", "E"), fc.constantFrom("", "-", "+"), fc.integer({ min: 0, max: 330 }))),
    )
    .map(([sign, int, frac, exp]) => {
      let s = sign + int;
      if (frac !== null) s += "." + frac;
      if (exp !== null) s += exp[0] + exp[1] + String(exp[2]);
      return s;
    });
  fc.assert(
    fc.property(literal, (s) => {
      const expected = Number(s);
      const actual = parseNumberStrict(s);
      if (Number.isFinite(expected)) return Object.is(actual, expected);
      return Number.isNaN(actual);
    }),
    { seed: 20240611, numRuns: 5000 },
  );
});

test("doubles printed by String, toFixed, toExponential, toPrecision round-trip (property, seeded)", () => {
  fc.assert(
    fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer({ min: 0, max: 20 }), (v, k) => {
      const forms = [String(v), v.toExponential(k), v.toPrecision(Math.max(1, k))];
      if (Math.abs(v) < 1e21) forms.push(v.toFixed(k));
      // Rounding to k digits can push a value near the largest double out of range (-2e+308).
      return forms.every((s) =>
        Number.isFinite(Number(s)) ? Object.is(parseNumberStrict(s), Number(s)) : Number.isNaN(parseNumberStrict(s)),
      );
    }),
    { seed: 7, numRuns: 3000 },
  );
  // String(v) round-trips to v itself (except -0, which String prints as "0").
  fc.assert(
    fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (v) =>
      Object.is(parseNumberStrict(String(v)), Object.is(v, -0) ? 0 : v),
    ),
    { seed: 8, numRuns: 3000 },
  );
});

test("DecimalScanner stops at the delimiter and reports where the field ends", () => {
  const sc = new DecimalScanner();
  const s = "1.5, 2 ,abc,,7";
  assert.equal(sc.scan(s, 0, s.length, 44), 1.5);
  assert.equal(sc.stop, 3);
  assert.equal(sc.scan(s, 4, s.length, 44), 2);
  assert.equal(sc.stop, 7);
  assert.ok(Number.isNaN(sc.scan(s, 8, s.length, 44)));
  assert.equal(sc.stop, -1, "non-numeric: the caller must find the field end");
  assert.ok(Number.isNaN(sc.scan(s, 12, s.length, 44)), "empty field");
  assert.equal(sc.scan(s, 13, s.length, 44), 7);
  assert.equal(sc.stop, s.length);
});

test("DecimalScanner with a tab delimiter does not treat the tab as a blank", () => {
  const sc = new DecimalScanner();
  const s = "\t3\t 4 ";
  assert.ok(Number.isNaN(sc.scan(s, 0, s.length, 9)), "empty first field");
  assert.equal(sc.scan(s, 1, s.length, 9), 3);
  assert.equal(sc.stop, 2);
  assert.equal(sc.scan(s, 3, s.length, 9), 4);
  assert.equal(sc.stop, s.length);
});

test("DecimalScanner keeps the field end for an overflowing literal", () => {
  const sc = new DecimalScanner();
  const s = "1e999,5";
  assert.ok(Number.isNaN(sc.scan(s, 0, s.length, 44)));
  assert.equal(sc.stop, 5);
});

test("describeInvalidNumber names the kind of problem", () => {
  assert.equal(describeInvalidNumber(""), "missing value (empty cell)");
  assert.equal(describeInvalidNumber("  "), "missing value (empty cell)");
  assert.equal(describeInvalidNumber("NA"), 'missing value "NA"');
  assert.equal(describeInvalidNumber("null"), 'missing value "null"');
  for (const s of ["NaN", "nan", "Infinity", "-Infinity", "inf", "+INF"]) {
    assert.equal(describeInvalidNumber(s), `non-finite value ${JSON.stringify(s)}`);
  }
  assert.equal(describeInvalidNumber("1e999"), 'non-finite value "1e999" (outside the range of a double)');
  assert.equal(describeInvalidNumber("abc"), 'non-numeric value "abc"');
  assert.equal(describeInvalidNumber("0x1F"), 'non-numeric value "0x1F"');
  const long = "z".repeat(100);
  assert.equal(describeInvalidNumber(long), `non-numeric value "${"z".repeat(40)}"... (100 characters)`);
});
