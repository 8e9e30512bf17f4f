/**
 * Strict parsing of one numeric cell of a text table.
 *
 * Accepted grammar (after trimming ASCII spaces and tabs on both sides):
 *
 *     [+-]? ( digits [ "." digits? ] | "." digits ) ( [eE] [+-]? digits )?
 *
 * This is the decimal subset of what `Number()` accepts. Rejected on purpose, although `Number()`
 * takes them: the empty string (`Number("") === 0`), `0x1F`, `0b1`, `0o7`, `Infinity`, and
 * anything `Number()` would turn into `NaN`. A well-formed literal outside the double range
 * (`1e999`) is rejected as non-finite; one that underflows (`1e-999`) is 0, as in `Number()`.
 *
 * Fast path (Clinger 1990): when the significant digits fit in an integer m < 2^53 and the
 * decimal exponent e satisfies |e| ≤ 22, both m and 10^|e| are exact doubles, so the single
 * IEEE operation m·10^e or m/10^-e is correctly rounded, i.e. bit-identical to `Number()`.
 * Longer mantissas (e.g. the 17 digits of a shortest round-trip double) and larger exponents
 * fall back to `Number()` on the already validated substring.
 */

const TAB = 9;
const SPACE = 32;
const PLUS = 43;
const MINUS = 45;
const DOT = 46;
const ZERO = 48;
const UPPER_E = 69;
const LOWER_E = 101;

/** 10^0 … 10^22; every power up to 10^22 is exactly representable as a double. */
const POW10 = new Float64Array([
  1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17,
  1e18, 1e19, 1e20, 1e21, 1e22,
]);

/** While m < this bound, m·10 + 9 < 2^53, so the mantissa accumulator stays an exact integer. */
const MANTISSA_LIMIT = 900719925474099;

/** Exponent digits beyond this magnitude cannot change the outcome (overflow or underflow). */
const EXPONENT_CAP = 100000;

function isBlank(c: number): boolean {
  return c === SPACE || c === TAB;
}

/**
 * Parses `s[start, end)` as a strict decimal number (grammar above).
 * Returns the value, exactly `Number()` of the trimmed text, or `NaN` when the text is empty,
 * not in the grammar, or overflows to ±Infinity. `NaN` is never a valid result, so it is the
 * "invalid" signal; call `describeInvalidNumber` on the raw text for a message.
 */
export function parseDecimal(s: string, start: number, end: number): number {
  let i = start;
  let j = end;
  while (i < j && isBlank(s.charCodeAt(i))) i++;
  while (j > i && isBlank(s.charCodeAt(j - 1))) j--;
  if (i === j) return NaN;

  let negative = false;
  let c = s.charCodeAt(i);
  if (c === MINUS || c === PLUS) {
    negative = c === MINUS;
    i++;
  }

  let mantissa = 0;
  let exp10 = 0;
  let digits = 0;
  let exact = true;
  while (i < j) {
    const digit = s.charCodeAt(i) - ZERO;
    if (digit < 0 || digit > 9) break;
    if (mantissa < MANTISSA_LIMIT) mantissa = mantissa * 10 + digit;
    else exact = false;
    digits++;
    i++;
  }
  if (i < j && s.charCodeAt(i) === DOT) {
    i++;
    while (i < j) {
      const digit = s.charCodeAt(i) - ZERO;
      if (digit < 0 || digit > 9) break;
      if (mantissa < MANTISSA_LIMIT) {
        mantissa = mantissa * 10 + digit;
        exp10--;
      } else {
        exact = false;
      }
      digits++;
      i++;
    }
  }
  if (digits === 0) return NaN;

  if (i < j) {
    c = s.charCodeAt(i);
    if (c !== LOWER_E && c !== UPPER_E) return NaN;
    i++;
    let expNegative = false;
    if (i < j) {
      c = s.charCodeAt(i);
      if (c === MINUS || c === PLUS) {
        expNegative = c === MINUS;
        i++;
      }
    }
    let exponent = 0;
    let expDigits = 0;
    while (i < j) {
      const digit = s.charCodeAt(i) - ZERO;
      if (digit < 0 || digit > 9) break;
      if (exponent < EXPONENT_CAP) exponent = exponent * 10 + digit;
      expDigits++;
      i++;
    }
    if (expDigits === 0 || i !== j) return NaN;
    exp10 += expNegative ? -exponent : exponent;
  }

  let value: number;
  if (exact && exp10 >= -22 && exp10 <= 22) {
    value = exp10 >= 0 ? mantissa * POW10[exp10] : mantissa / POW10[-exp10];
    if (negative) value = -value;
  } else {
    // The text is in the grammar, which `Number()` accepts with the same meaning (and it trims
    // the blanks itself).
    value = Number(s.slice(start, end));
  }
  return Number.isFinite(value) ? value : NaN;
}

/** `parseDecimal` over a whole string. */
export function parseNumberStrict(s: string): number {
  return parseDecimal(s, 0, s.length);
}

const NON_FINITE_WORD = /^[+-]?(nan|inf|infinity)$/i;
const MISSING_WORD = /^(na|n\/a|null|none|nil)$/i;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const MAX_SHOWN_CHARS = 40;

/** `"text"` with JSON escapes, cut to 40 characters. */
export function quoteValue(raw: string): string {
  if (raw.length <= MAX_SHOWN_CHARS) return JSON.stringify(raw);
  return `${JSON.stringify(raw.slice(0, MAX_SHOWN_CHARS))}... (${raw.length} characters)`;
}

/**
 * Why `raw` was rejected by `parseDecimal`, as a message detail: `missing value (empty cell)`,
 * `missing value "NA"`, `non-finite value "inf"`, or `non-numeric value "abc"`.
 */
export function describeInvalidNumber(raw: string): string {
  const t = raw.replace(/^[ \t]+|[ \t]+$/g, "");
  if (t === "") return "missing value (empty cell)";
  if (NON_FINITE_WORD.test(t)) return `non-finite value ${quoteValue(raw)}`;
  if (MISSING_WORD.test(t)) return `missing value ${quoteValue(raw)}`;
  if (DECIMAL.test(t)) return `non-finite value ${quoteValue(raw)} (outside the range of a double)`;
  return `non-numeric value ${quoteValue(raw)}`;
}
