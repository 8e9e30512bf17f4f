/**
 * Seeded pseudo-random numbers. Every random draw in the library goes through an `Rng` passed in
 * explicitly (never the global unseeded generator), so runs are reproducible and the state can be saved/restored.
 *
 * Generator: xoshiro128** (Blackman & Vigna 2018), 128-bit state in four uint32 words, seeded
 * by splitmix32. `next()` builds a 53-bit double from two 32-bit outputs.
 * Independent streams come from `fork(id)`, which hashes the parent state with `id`
 * (never reuse one seed for two purposes, cf. River FriedmanDrift pitfall).
 */

/** A seedable, forkable, serializable source of uniform and normal variates. */
export interface Rng {
  /** Uniform on [0, 1) with 53 random bits. */
  next(): number;
  /** Standard normal N(0, 1) (Box–Muller, no cached spare so the state is just four words). */
  normal(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /**
   * out[i] ← next() for i in [0, out.length), in order: the same values as that many `next()` calls.
   * For per-row hot paths: a double returned by a call V8 does not inline is boxed (a heap
   * allocation), a double written to a Float64Array is not.
   */
  fill(out: Float64Array): void;
  /** A new generator whose stream is independent of this one's for a different `id`. */
  fork(id: number): Rng;
  /** The four uint32 words of the state (copy). */
  getState(): number[];
  /** Restores a state from `getState()`. */
  setState(state: readonly number[]): void;
}

function splitmix32(a: number): () => number {
  return () => {
    a = (a + 0x9e3779b9) | 0;
    let z = a;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

class Xoshiro128 implements Rng {
  private readonly s = new Uint32Array(4);

  constructor(seedWords: readonly number[]) {
    this.setState(seedWords);
  }

  private nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  next(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992; // (hi·2^26 + lo) / 2^53
  }

  normal(): number {
    let u = this.next();
    while (u === 0) u = this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  fill(out: Float64Array): void {
    const s = this.s;
    for (let i = 0; i < out.length; i++) {
      // next(), with both nextU32() steps written out: no call, so nothing is boxed.
      let hi = 0;
      let lo = 0;
      for (let h = 0; h < 2; h++) {
        const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
        const t = s[1] << 9;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = rotl(s[3], 11);
        if (h === 0) hi = result >>> 5;
        else lo = result >>> 6;
      }
      out[i] = (hi * 67108864 + lo) / 9007199254740992;
    }
  }

  fork(id: number): Rng {
    const mix = splitmix32((this.s[0] ^ Math.imul(id + 1, 0x27d4eb2d) ^ this.s[3]) | 0);
    return new Xoshiro128([mix(), (mix() ^ this.s[1]) >>> 0, (mix() ^ this.s[2]) >>> 0, mix()]);
  }

  getState(): number[] {
    return Array.from(this.s);
  }

  setState(state: readonly number[]): void {
    if (state.length !== 4 || !state.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff)) {
      throw new RangeError("Rng state must be four uint32 words");
    }
    for (let i = 0; i < 4; i++) this.s[i] = state[i];
    if ((this.s[0] | this.s[1] | this.s[2] | this.s[3]) === 0) this.s[0] = 1; // all-zero is a fixed point
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * Creates a seeded generator.
 * @param seed any integer (only the low 32 bits matter)
 * @example
 * const rng = createRng(42);
 * rng.next(); // => same value on every machine for seed 42
 */
export function createRng(seed: number): Rng {
  if (!Number.isFinite(seed)) throw new RangeError(`createRng requires a finite seed, got ${seed}`);
  const mix = splitmix32(Math.trunc(seed) | 0);
  return new Xoshiro128([mix(), mix(), mix(), mix()]);
}

/** Restores a generator from `rng.getState()`. */
export function rngFromState(state: readonly number[]): Rng {
  return new Xoshiro128(state);
}
