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
 * Fast path (Clinger 1990): when the digits, read as an integer m, satisfy m < 2^53 and the
 * decimal exponent e satisfies |e| ≤ 22, both m and 10^|e| are exact doubles, so the single
 * IEEE operation m·10^e or m/10^-e is correctly rounded, i.e. bit-identical to `Number()`.
 *
 * Exact fast path for long mantissas (Eisel–Lemire, `eisel-lemire.ts`): when the digits have at
 * most 19 significant digits (leading zeros do not count) and -348 ≤ e ≤ 347, the integer w < 2^64
 * of the digits is multiplied by a 128-bit power of ten, which gives the correctly rounded double
 * unless the algorithm reports an ambiguous rounding, a subnormal or an overflow. This covers the
 * 16–17 digits of shortest round-trip doubles (`-1.2941521115253642`, `0.003848868829570273`).
 * w is known as `low` = w mod 2^32 (exact int32 arithmetic) and the double `mantissa`. Steps
 * `mantissa·10 + digit` are exact while the prefix is below 2^53, so only the last 4 of the at most
 * 19 steps from the first nonzero digit on can round (the prefix before them is below 10^15).
 * Each of the two roundings per step is at most 2^10 (half an ulp below 2^64) and an earlier error
 * is multiplied by 10 per step, so |mantissa − w| ≤ 2·2^10·(1+10+100+1000) < 2^22; subtracting
 * `low` adds at most 2^10, so round((mantissa − low)·2^-32) is floor(w / 2^32) exactly.
 *
 * Everything else (more than 19 significant digits, larger exponents, and the cases the
 * algorithm declines) falls back to `Number()` on the already validated substring.
 */

import { EL_MAX_EXP10, EL_MIN_EXP10, EL_RESULT, eiselLemire } from "./eisel-lemire.js";

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

/** At most 19 significant digits: their integer is below 10^19 < 2^64. */
const MAX_EXACT_DIGITS = 19;

const TWO_POW_MINUS_32 = 1 / 4294967296;

/** Integers below 2^53 are exact doubles. */
const TWO_POW_53 = 9007199254740992;

/** Exponent digits beyond this magnitude cannot change the outcome (overflow or underflow). */
const EXPONENT_CAP = 100000;

/**
 * Scans one decimal field in place. A CSV row parser keeps one scanner and calls `scan` at the
 * start of each field: the number is parsed in the same pass that finds the end of the field.
 */
export class DecimalScanner {
  /**
   * After `scan`: index of the delimiter (or `limit`) that ends the field, or -1 when the text
   * from `start` is not a number followed by optional blanks and then the delimiter or `limit`
   * (the caller must then find the end of the field itself).
   */
  stop = -1;

  /**
   * Parses the number at `s[start, …)` that ends at the first `delimiter` char code (-1: none)
   * or at `limit`. Blanks (space, tab unless tab is the delimiter) may surround it. Returns the
   * value, exactly `Number()` of the trimmed text, or `NaN` when the field is empty, not in the
   * grammar, or overflows to ±Infinity; `NaN` is never a valid result, so it is the "invalid"
   * signal (`describeInvalidNumber` on the raw text gives a message).
   */
  scan(s: string, start: number, limit: number, delimiter: number): number {
    this.stop = -1;
    let i = start;
    let c = 0;
    while (i < limit) {
      c = s.charCodeAt(i);
      if ((c !== SPACE && c !== TAB) || c === delimiter) break;
      i++;
    }
    const numberStart = i;
    let negative = false;
    if (i < limit && (c === MINUS || c === PLUS)) {
      negative = c === MINUS;
      i++;
    }

    // Accumulate every digit; `mantissa < 2^53` at the end proves every step was exact, since
    // rounding is monotone and 2^53 is a double. `low` is the digits' integer mod 2^32, exact.
    let mantissa = 0;
    let low = 0;
    const intStart = i;
    while (i < limit) {
      const digit = s.charCodeAt(i) - ZERO;
      if (digit < 0 || digit > 9) break;
      mantissa = mantissa * 10 + digit;
      low = (Math.imul(low, 10) + digit) | 0;
      i++;
    }
    let digits = i - intStart;
    let exp10 = 0;
    if (i < limit && s.charCodeAt(i) === DOT) {
      i++;
      const fracStart = i;
      while (i < limit) {
        const digit = s.charCodeAt(i) - ZERO;
        if (digit < 0 || digit > 9) break;
        mantissa = mantissa * 10 + digit;
        low = (Math.imul(low, 10) + digit) | 0;
        i++;
      }
      exp10 = fracStart - i;
      digits -= exp10;
    }
    if (digits === 0) return NaN;

    if (i < limit) {
      c = s.charCodeAt(i);
      if (c === LOWER_E || c === UPPER_E) {
        i++;
        let expNegative = false;
        if (i < limit) {
          c = s.charCodeAt(i);
          if (c === MINUS || c === PLUS) {
            expNegative = c === MINUS;
            i++;
          }
        }
        let exponent = 0;
        let expDigits = 0;
        while (i < limit) {
          const digit = s.charCodeAt(i) - ZERO;
          if (digit < 0 || digit > 9) break;
          if (exponent < EXPONENT_CAP) exponent = exponent * 10 + digit;
          expDigits++;
          i++;
        }
        if (expDigits === 0) return NaN;
        exp10 += expNegative ? -exponent : exponent;
      }
    }
    const numberEnd = i;
    while (i < limit) {
      c = s.charCodeAt(i);
      if ((c !== SPACE && c !== TAB) || c === delimiter) break;
      i++;
    }
    if (i < limit && c !== delimiter) return NaN;
    this.stop = i;

    let value: number;
    if (mantissa < TWO_POW_53 && exp10 >= -22 && exp10 <= 22) {
      value = exp10 >= 0 ? mantissa * POW10[exp10] : mantissa / POW10[-exp10];
      if (negative) value = -value;
    } else {
      value = NaN;
      if (exp10 >= EL_MIN_EXP10 && exp10 <= EL_MAX_EXP10) {
        // Significant digits: all digits but the leading zeros (and the dot among them).
        let significant = digits;
        for (let z = intStart; z < numberEnd; z++) {
          const ch = s.charCodeAt(z);
          if (ch === ZERO) significant--;
          else if (ch !== DOT) break;
        }
        // w = the digits' integer < 10^19 < 2^64; w mod 2^32 = low, and `mantissa` is within
        // 2^22 of w (see the header), so the rounding recovers floor(w / 2^32) exactly.
        if (
          significant <= MAX_EXACT_DIGITS &&
          eiselLemire(Math.round((mantissa - (low >>> 0)) * TWO_POW_MINUS_32) | 0, low, exp10, negative)
        ) {
          value = EL_RESULT[0];
        }
      }
      // The text is in the grammar, which `Number()` accepts with the same meaning.
      if (value !== value) value = Number(s.slice(numberStart, numberEnd));
    }
    return Number.isFinite(value) ? value : NaN;
  }
}

const sharedScanner = new DecimalScanner();

/**
 * Parses `s[start, end)` as a strict decimal number (grammar above, blanks allowed around it).
 * Returns the value, exactly `Number()` of the trimmed text, or `NaN` when the text is empty,
 * not in the grammar, or overflows to ±Infinity.
 */
export function parseDecimal(s: string, start: number, end: number): number {
  return sharedScanner.scan(s, start, end, -1);
}

/** `parseDecimal` over a whole string. */
export function parseNumberStrict(s: string): number {
  return parseDecimal(s, 0, s.length);
}

const NON_FINITE_WORD = /^[+-]?(nan|inf|infinity)$/i;
const MISSING_WORD = /^(na|n\/a|null|none|nil)$/i;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const MAX_SHOWN_CHARS = 40;

/** `s` with control characters (line breaks, tabs...) escaped as in JSON, so a message stays one line. */
export function oneLine(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));
}

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
