/**
 * Eisel–Lemire conversion of a decimal w·10^q (w < 2^64, as two 32-bit words) to the nearest
 * double, without allocation and without BigInt in the per-call path.
 *
 * The algorithm and its fallback conditions follow Go's `strconv.eiselLemire64` step for step
 * (Lemire, "Number Parsing at a Gigabyte per Second", Software: Practice and Experience 51, 2021;
 * the variant with the "wider approximation" and "half-way ambiguity" checks is explained in
 * N. Tao, "The Eisel-Lemire ParseNumberF64 Algorithm", 2020): normalize w to 64 bits with its top
 * bit set, multiply by the 128-bit mantissa of 10^q rounded down, keep the top 54 bits of the
 * product, and round them to 53. Whenever the truncated table or product could make the rounding
 * ambiguous, or the result would be subnormal or overflow, it gives up (returns false) and the
 * caller uses `Number()`. Otherwise the result is the correctly rounded double, which is exactly
 * `Number()` of the decimal text.
 *
 * Arithmetic: a 64×64-bit product is formed from 16-bit limbs held in doubles. A limb product
 * is below 2^32 and column k of the schoolbook product (weight 2^16k) sums at most four of them,
 * so c_k < 2^34. Pairs of columns make 32-bit-aligned sums c_2j + 2^16·c_(2j+1) < 2^51, and the
 * carry between them is below 2^20, so every intermediate is an integer below 2^53, exact in a
 * double; multiplying by 2^-32 is exact, so floor(t·2^-32) and t − 2^32·floor(t·2^-32) split t
 * exactly into a carry and a 32-bit word, and the result is the exact 128-bit product as four
 * 32-bit words.
 */

/** Smallest and largest q of the table (as in Go's strconv). */
export const EL_MIN_EXP10 = -348;
export const EL_MAX_EXP10 = 347;

const ROWS = EL_MAX_EXP10 - EL_MIN_EXP10 + 1;

/**
 * Row q − EL_MIN_EXP10 holds the 8 16-bit limbs (least significant first) of the integer m_q with
 * 2^127 ≤ m_q < 2^128 and m_q = floor(10^q · 2^(127 − floor(log2 10^q))), i.e. 10^q's mantissa
 * rounded down (exact for 0 ≤ q ≤ 55). Built with BigInt on first use (about 2 ms, so programs
 * that never parse a long mantissa do not pay it); the rows equal Go's `detailedPowersOfTen`
 * (the tests check every row against 10^q and a few against Go's constants).
 */
export function pow10Table(): Uint16Array {
  return (pow10 ??= buildPow10Table());
}
let pow10: Uint16Array | undefined;

function buildPow10Table(): Uint16Array {
  const table = new Uint16Array(ROWS * 8);
  const put = (q: number, m: bigint): void => {
    const base = (q - EL_MIN_EXP10) * 8;
    for (let k = 0; k < 8; k++) {
      table[base + k] = Number(BigInt.asUintN(16, m));
      m >>= 16n;
    }
  };
  // floor(log2 10^n) = floor(217706·n / 2^16) for 0 ≤ n ≤ 348 (the tests check every row), so
  // 10^n has that plus one bits.
  let p = 1n; // 10^q for q = 0, 1, ...
  for (let q = 0; q <= EL_MAX_EXP10; q++) {
    const bits = ((217706 * q) >> 16) + 1;
    put(q, bits <= 128 ? p << BigInt(128 - bits) : p >> BigInt(bits - 128));
    p *= 10n;
  }
  let d = 10n; // 10^-q for q = -1, -2, ...
  for (let q = -1; q >= EL_MIN_EXP10; q--) {
    // 2^(bits-1) < d < 2^bits (d is not a power of two), so 2^(127+bits)/d lies in (2^127, 2^128).
    const bits = ((217706 * -q) >> 16) + 1;
    put(q, (1n << BigInt(127 + bits)) / d);
    d *= 10n;
  }
  return table;
}

/** POW2[e] = 2^(e − 1075) for biased exponents e = 1 … 2046 (index 0 unused); built by exact halving. */
const POW2 = new Float64Array(2047);
{
  let v = 2 ** 971; // 2^(2046 − 1075); every power of two from 2^971 down to 2^-1074 is a double
  for (let e = 2046; e >= 1; e--) {
    POW2[e] = v;
    v /= 2;
  }
}

const TWO_POW_52 = 4503599627370496;
const TWO_POW_53 = 9007199254740992;
const TWO_POW_32 = 4294967296;
const TWO_POW_MINUS_32 = 1 / TWO_POW_32;

/** Scratch for the rare second product: its four 32-bit words, low first. */
const wide = new Float64Array(4);

/**
 * Writes to `out` the four 32-bit words (low first) of the 128-bit product of
 * a = a3·2^48 + … + a0 and b = b3·2^48 + … + b0 (16-bit limbs); see the header for exactness.
 */
function mul64(
  out: Float64Array,
  a0: number, a1: number, a2: number, a3: number,
  b0: number, b1: number, b2: number, b3: number,
): void {
  const s0 = a0 * b0 + (a0 * b1 + a1 * b0) * 65536;
  const s1 = a0 * b2 + a1 * b1 + a2 * b0 + (a0 * b3 + a1 * b2 + a2 * b1 + a3 * b0) * 65536;
  const s2 = a1 * b3 + a2 * b2 + a3 * b1 + (a2 * b3 + a3 * b2) * 65536;
  let c = Math.floor(s0 * TWO_POW_MINUS_32);
  out[0] = s0 - c * TWO_POW_32;
  let t = s1 + c;
  c = Math.floor(t * TWO_POW_MINUS_32);
  out[1] = t - c * TWO_POW_32;
  t = s2 + c;
  c = Math.floor(t * TWO_POW_MINUS_32);
  out[2] = t - c * TWO_POW_32;
  out[3] = a3 * b3 + c;
}

/** 1 when x + y ≥ 2^64 for 64-bit x = xHi·2^32 + xLo and y = yHi·2^32 + yLo, else 0. */
function carryOut(xHi: number, xLo: number, yHi: number, yLo: number): number {
  const c = xLo + yLo >= TWO_POW_32 ? 1 : 0;
  return xHi + yHi + c >= TWO_POW_32 ? 1 : 0;
}

/** Where `eiselLemire` writes its result (a typed array slot, so no number is boxed). */
export const EL_RESULT = new Float64Array(1);

/**
 * Writes to `EL_RESULT[0]` the double nearest to (−1)^negative · w · 10^q and returns true, where
 * w = wHi·2^32 + wLo given as the int32 bit patterns of its two 32-bit words (`x | 0`, so that
 * both arguments are small integers a call passes unboxed). Returns false when the algorithm
 * cannot decide (then use `Number()` on the text): q outside [EL_MIN_EXP10, EL_MAX_EXP10], a
 * possibly ambiguous rounding, or a subnormal or infinite result. w = 0 gives ±0 for any q.
 */
export function eiselLemire(wHiBits: number, wLoBits: number, q: number, negative: boolean): boolean {
  let wHi = wHiBits >>> 0;
  let wLo = wLoBits >>> 0;
  if (wHi === 0 && wLo === 0) {
    EL_RESULT[0] = negative ? -0 : 0;
    return true;
  }
  if (q < EL_MIN_EXP10 || q > EL_MAX_EXP10) return false;

  // Normalization: shift w left by its leading zero count so bit 63 is set ("man" in Go).
  let lz: number;
  if (wHi !== 0) {
    lz = Math.clz32(wHi);
    if (lz !== 0) {
      wHi = ((wHi << lz) | (wLo >>> (32 - lz))) >>> 0;
      wLo = (wLo << lz) >>> 0;
    }
  } else {
    lz = 32 + Math.clz32(wLo);
    wHi = (wLo << (lz - 32)) >>> 0;
    wLo = 0;
  }
  const a0 = wLo & 0xffff;
  const a1 = wLo >>> 16;
  const a2 = wHi & 0xffff;
  const a3 = wHi >>> 16;

  // Multiplication: x = man × (high 64 bits of m_q) = x3·2^96 + x2·2^64 + x1·2^32 + x0, the
  // same steps as mul64 but in locals (this is the hot path).
  const table = pow10 ?? pow10Table();
  const row = (q - EL_MIN_EXP10) * 8;
  const b0 = table[row + 4];
  const b1 = table[row + 5];
  const b2 = table[row + 6];
  const b3 = table[row + 7];
  const s0 = a0 * b0 + (a0 * b1 + a1 * b0) * 65536;
  const s1 = a0 * b2 + a1 * b1 + a2 * b0 + (a0 * b3 + a1 * b2 + a2 * b1 + a3 * b0) * 65536;
  const s2 = a1 * b3 + a2 * b2 + a3 * b1 + (a2 * b3 + a3 * b2) * 65536;
  let c = Math.floor(s0 * TWO_POW_MINUS_32);
  let x0 = s0 - c * TWO_POW_32;
  let t = s1 + c;
  c = Math.floor(t * TWO_POW_MINUS_32);
  let x1 = t - c * TWO_POW_32;
  t = s2 + c;
  c = Math.floor(t * TWO_POW_MINUS_32);
  let x2 = t - c * TWO_POW_32;
  let x3 = a3 * b3 + c;

  // Wider approximation: the low 9 bits of xHi are all ones and xLo + man carries, so the
  // neglected y = man × (low 64 bits of m_q) may change the bits kept; add its high half.
  if ((x2 & 0x1ff) === 0x1ff && carryOut(x1, x0, wHi, wLo) === 1) {
    mul64(wide, a0, a1, a2, a3, table[row], table[row + 1], table[row + 2], table[row + 3]);
    // merged = x + yHi; below 2^128 since it is at most the exact product man·m_q / 2^64.
    t = x0 + wide[2];
    c = t >= TWO_POW_32 ? 1 : 0;
    x0 = t - c * TWO_POW_32;
    t = x1 + wide[3] + c;
    c = t >= TWO_POW_32 ? 1 : 0;
    x1 = t - c * TWO_POW_32;
    t = x2 + c;
    c = t >= TWO_POW_32 ? 1 : 0;
    x2 = t - c * TWO_POW_32;
    x3 += c;
    if (
      (x2 & 0x1ff) === 0x1ff &&
      x1 === 0xffffffff &&
      x0 === 0xffffffff &&
      carryOut(wide[1], wide[0], wHi, wLo) === 1
    ) {
      return false;
    }
  }

  // Shifting to 54 bits: msb is bit 127 of the product; the 54-bit mantissa is xHi >> (9 + msb).
  const msb = x3 >>> 31;
  const shift = 9 + msb;

  // Half-way ambiguity: all bits below the 54 kept are zero and rounding to 53 bits is a tie
  // with an even result (half-up would round away from it).
  if (x0 === 0 && x1 === 0 && (x2 & 0x1ff) === 0 && ((x2 >>> shift) & 3) === 1) return false;

  // From 54 to 53 bits, rounding half up: (xHi >> (shift+1)) + bit `shift` of xHi, where
  // xHi = x3·2^32 + x2. x3·2^(31−shift) (a factor 2^22 or 2^21) and x2 >>> (shift+1) are integers
  // with disjoint bits and a sum below 2^53; adding the rounding bit gives at most 2^53. Exact.
  let mantissa = x3 * (msb === 0 ? 4194304 : 2097152) + (x2 >>> (shift + 1)) + ((x2 >>> shift) & 1);
  let exp2 = ((217706 * q) >> 16) + 64 + 1023 - lz - (1 ^ msb);
  if (mantissa >= TWO_POW_53) {
    mantissa = TWO_POW_52;
    exp2++;
  }
  if (exp2 <= 0 || exp2 >= 0x7ff) return false; // subnormal or infinite: leave it to Number()

  // mantissa ∈ [2^52, 2^53) and 1 ≤ exp2 ≤ 2046, so mantissa·2^(exp2−1075) is a normal double and
  // the product is exact.
  const value = mantissa * POW2[exp2];
  EL_RESULT[0] = negative ? -value : value;
  return true;
}
