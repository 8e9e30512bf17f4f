/**
 * The O(p²) row kernels of the fast ISMM path, compiled as an asm.js module over ONE ArrayBuffer
 * ("heap") that holds every array they touch.
 *
 * Why. V8 re-checks the map, reloads the data pointer and length, and bounds-checks every
 * typed-array access inside a loop that also stores to typed arrays, unless the arrays are
 * compile-time constants. For the fused Sherman–Morrison pass (5 arrays, 8 accesses per entry)
 * that overhead dominated: ≈ 20 µs per p = 101 factor as plain TypeScript with separate arrays,
 * ≈ 14 µs with everything in one Float64Array, ≈ 10.5 µs as validated asm.js (V8 compiles it to
 * WebAssembly: one memory, no per-access checks). Measured on the development machine.
 *
 * Semantics. Each kernel performs exactly the IEEE operations, in exactly the order, of its
 * TypeScript twin (`smFusedPass`, `symBlend`, `spdInverseFromChol` in core/sherman-morrison.ts);
 * WebAssembly has no fused multiply-add contraction, so the two are bit-for-bit identical and
 * callers may mix them freely. If the engine ever stops validating asm.js, the same source still
 * runs as ordinary JavaScript (correct, merely slower).
 *
 * Calls pass only integers (BYTE offsets into the heap, multiples of 8); scalar inputs and outputs
 * live in the heap, because a double crossing a JS call boundary is boxed unless V8 inlines the
 * call. The heap length must satisfy the asm.js rule (`heapByteLength`). Nothing here allocates
 * after `linkHeapKernels`.
 *
 * SIMD. Where the engine has WebAssembly SIMD, `createKernelHeap` makes the heap the buffer of a
 * WebAssembly.Memory and, for p ≥ SIMD_MIN_P, runs `pass` and `blend` in the f64x2 kernels of
 * core/wasm/ (same per-entry operations; only the summation order of h_i = Σ_j M_ij x_j differs,
 * so results agree to rounding, not bit for bit), and `inverse` too (its R⁻¹R⁻ᵀ dot products).
 */
import { createMemory, linkSimdKernels, SIMD_MIN_P, type SimdKernels } from "./wasm/simd.js";

/** The kernels linked to one heap. All offsets are byte offsets (multiples of 8). */
export interface HeapKernels {
  /**
   * `smFusedPass` on the heap: for i ≤ j, M_ij ← α M_ij − (κ g_i) g_j, S_ij ← sa S_ij + (sb x_i) x_j,
   * then h ← M x. M packed upper at `mo`, S full upper at `so`, x/g/h length p; the scalar block
   * (sa, sb, α, κ, out min diag M) is the 5 doubles at `co` (slots PASS_* of sherman-morrison.ts).
   * Only integers cross the call, so nothing is boxed.
   */
  pass(p: number, mo: number, so: number, xo: number, go: number, ho: number, co: number): void;
  /** `symRank1Blend` on the heap: upper triangle of S (at `so`) ← sa S + (sb x_i) x_j, (sa, sb) at `co`. */
  blend(p: number, so: number, xo: number, co: number): void;
  /** `spdInverseFromChol` on the heap: packed M (at `mo`) ← (RᵀR)⁻¹, R at `ro`, scratch T (p×p) at `to`. */
  inverse(p: number, ro: number, to: number, mo: number): void;
}

const SOURCE = `"use asm";
var H = new stdlib.Float64Array(heap);
var imul = stdlib.Math.imul;
var inf = stdlib.Infinity;
function pass(p, mo, so, xo, go, ho, co) {
  p = p | 0; mo = mo | 0; so = so | 0; xo = xo | 0; go = go | 0; ho = ho | 0; co = co | 0;
  var sa = 0.0, sb = 0.0, alpha = 0.0, kappa = 0.0;
  var i = 0, t = 0, u = 0, ps = 0, pr = 0, pg = 0, px = 0, ph = 0, xend = 0, hend = 0, rowb = 0;
  var xi = 0.0, xk = 0.0, gi = 0.0, gk = 0.0, kgi = 0.0, kgk = 0.0, bxi = 0.0, bxk = 0.0;
  var m = 0.0, mk = 0.0, acc = 0.0, acck = 0.0, minDiag = 0.0, xj = 0.0, hj = 0.0;
  sa = +H[co >> 3];
  sb = +H[(co + 8) >> 3];
  alpha = +H[(co + 16) >> 3];
  kappa = +H[(co + 24) >> 3];
  minDiag = inf;
  xend = (xo + (p << 3)) | 0;
  hend = (ho + (p << 3)) | 0;
  rowb = p << 3;
  for (ph = ho; (ph | 0) < (hend | 0); ph = (ph + 8) | 0) H[ph >> 3] = 0.0;
  t = mo;
  i = 0;
  // Rows i and i+1 together (same per-entry operations and summation order as one row at a time).
  for (; ((i + 1) | 0) < (p | 0); i = (i + 2) | 0) {
    xi = +H[(xo + (i << 3)) >> 3];
    xk = +H[(xo + ((i + 1) << 3)) >> 3];
    gi = +H[(go + (i << 3)) >> 3];
    gk = +H[(go + ((i + 1) << 3)) >> 3];
    kgi = kappa * gi;
    kgk = kappa * gk;
    bxi = sb * xi;
    bxk = sb * xk;
    ps = (so + ((imul(i, p) + i) << 3)) | 0;
    pr = (ps + rowb) | 0;
    u = (t + ((p - i) << 3)) | 0;
    // (i, i)
    m = alpha * +H[t >> 3] - kgi * gi;
    H[t >> 3] = m;
    if (m < minDiag) minDiag = m;
    H[ps >> 3] = sa * +H[ps >> 3] + bxi * xi;
    acc = +H[(ho + (i << 3)) >> 3] + m * xi;
    // (i, i+1)
    m = alpha * +H[(t + 8) >> 3] - kgi * gk;
    H[(t + 8) >> 3] = m;
    H[(ps + 8) >> 3] = sa * +H[(ps + 8) >> 3] + bxi * xk;
    acc = acc + m * xk;
    hj = +H[(ho + ((i + 1) << 3)) >> 3] + m * xi;
    // (i+1, i+1)
    mk = alpha * +H[u >> 3] - kgk * gk;
    H[u >> 3] = mk;
    if (mk < minDiag) minDiag = mk;
    H[(pr + 8) >> 3] = sa * +H[(pr + 8) >> 3] + bxk * xk;
    acck = hj + mk * xk;
    t = (t + 16) | 0;
    u = (u + 8) | 0;
    ps = (ps + 16) | 0;
    pr = (pr + 16) | 0;
    px = (xo + ((i + 2) << 3)) | 0;
    pg = (go + ((i + 2) << 3)) | 0;
    ph = (ho + ((i + 2) << 3)) | 0;
    for (; (px | 0) < (xend | 0); px = (px + 8) | 0) {
      xj = +H[px >> 3];
      hj = +H[pg >> 3];
      m = alpha * +H[t >> 3] - kgi * hj;
      mk = alpha * +H[u >> 3] - kgk * hj;
      H[t >> 3] = m;
      H[u >> 3] = mk;
      H[ps >> 3] = sa * +H[ps >> 3] + bxi * xj;
      H[pr >> 3] = sa * +H[pr >> 3] + bxk * xj;
      acc = acc + m * xj;
      acck = acck + mk * xj;
      H[ph >> 3] = +H[ph >> 3] + m * xi + mk * xk;
      t = (t + 8) | 0;
      u = (u + 8) | 0;
      pg = (pg + 8) | 0;
      ps = (ps + 8) | 0;
      pr = (pr + 8) | 0;
      ph = (ph + 8) | 0;
    }
    H[(ho + (i << 3)) >> 3] = acc;
    H[(ho + ((i + 1) << 3)) >> 3] = acck;
    t = u;
  }
  // Last row when p is odd: only its diagonal entry is left.
  if ((i | 0) < (p | 0)) {
    xi = +H[(xo + (i << 3)) >> 3];
    gi = +H[(go + (i << 3)) >> 3];
    kgi = kappa * gi;
    bxi = sb * xi;
    ps = (so + ((imul(i, p) + i) << 3)) | 0;
    m = alpha * +H[t >> 3] - kgi * gi;
    H[t >> 3] = m;
    if (m < minDiag) minDiag = m;
    H[ps >> 3] = sa * +H[ps >> 3] + bxi * xi;
    H[(ho + (i << 3)) >> 3] = +H[(ho + (i << 3)) >> 3] + m * xi;
  }
  H[(co + 32) >> 3] = minDiag;
}
function blend(p, so, xo, co) {
  p = p | 0; so = so | 0; xo = xo | 0; co = co | 0;
  var i = 0, ps = 0, px = 0, xend = 0, bxi = 0.0, sa = 0.0, sb = 0.0;
  sa = +H[co >> 3];
  sb = +H[(co + 8) >> 3];
  xend = (xo + (p << 3)) | 0;
  for (i = 0; (i | 0) < (p | 0); i = (i + 1) | 0) {
    bxi = sb * +H[(xo + (i << 3)) >> 3];
    ps = (so + ((imul(i, p) + i) << 3)) | 0;
    for (px = (xo + (i << 3)) | 0; (px | 0) < (xend | 0); px = (px + 8) | 0) {
      H[ps >> 3] = sa * +H[ps >> 3] + bxi * +H[px >> 3];
      ps = (ps + 8) | 0;
    }
  }
}
function inverse(p, ro, to, mo) {
  p = p | 0; ro = ro | 0; to = to | 0; mo = mo | 0;
  var i = 0, j = 0, m = 0, ti = 0, rm = 0, pl = 0, pr = 0, pend = 0, pi = 0, pj = 0, rowb = 0, t = 0;
  var v = 0.0, s = 0.0;
  rowb = p << 3;
  for (i = (p - 1) | 0; (i | 0) >= 0; i = (i - 1) | 0) {
    ti = (to + imul(i, rowb)) | 0;
    pend = (ti + rowb) | 0;
    for (pl = (ti + (i << 3)) | 0; (pl | 0) < (pend | 0); pl = (pl + 8) | 0) H[pl >> 3] = 0.0;
    for (m = i; (m | 0) < (p | 0); m = (m + 1) | 0) {
      rm = (ro + imul(m, rowb)) | 0;
      v = (((m | 0) == (i | 0)) ? 1.0 : 0.0) - +H[(ti + (m << 3)) >> 3];
      v = v / +H[(rm + (m << 3)) >> 3];
      H[(ti + (m << 3)) >> 3] = v;
      pr = (rm + ((m + 1) << 3)) | 0;
      for (pl = (ti + ((m + 1) << 3)) | 0; (pl | 0) < (pend | 0); pl = (pl + 8) | 0) {
        H[pl >> 3] = +H[pl >> 3] + v * +H[pr >> 3];
        pr = (pr + 8) | 0;
      }
    }
  }
  t = mo;
  for (i = 0; (i | 0) < (p | 0); i = (i + 1) | 0) {
    for (j = i; (j | 0) < (p | 0); j = (j + 1) | 0) {
      s = 0.0;
      pi = (to + (imul(i, rowb) | 0) + (j << 3)) | 0;
      pj = (to + (imul(j, rowb) | 0) + (j << 3)) | 0;
      pend = (to + (imul(j, rowb) | 0) + rowb) | 0;
      for (; (pj | 0) < (pend | 0); pj = (pj + 8) | 0) {
        s = s + +H[pi >> 3] * +H[pj >> 3];
        pi = (pi + 8) | 0;
      }
      H[t >> 3] = s;
      t = (t + 8) | 0;
    }
  }
}
return { pass: pass, blend: blend, inverse: inverse };`;

type Factory = (stdlib: unknown, foreign: unknown, heap: ArrayBuffer) => HeapKernels;
let factory: Factory | null = null;

/** Largest heap the kernels are linked to; beyond it callers use the TypeScript kernels. */
export const MAX_HEAP_BYTES = 2 ** 30;

/**
 * The smallest heap length ≥ `bytes` that asm.js accepts: a power of two ≥ 64 KiB up to 16 MiB,
 * then a multiple of 16 MiB.
 */
export function heapByteLength(bytes: number): number {
  const min = 1 << 16;
  const big = 1 << 24;
  let n = Math.max(bytes, min);
  if (n <= big) {
    let q = min;
    while (q < n) q *= 2;
    return q;
  }
  n = Math.ceil(n / big) * big;
  return n;
}

/**
 * Links the kernels to `heap` (whose length must come from `heapByteLength` and be at most
 * MAX_HEAP_BYTES), or returns null when that is not possible (the caller then uses the
 * TypeScript kernels, which give identical results).
 */
export function linkHeapKernels(heap: ArrayBuffer): HeapKernels | null {
  if (heap.byteLength > MAX_HEAP_BYTES || heap.byteLength !== heapByteLength(heap.byteLength)) return null;
  try {
    // The module text is compiled once per process; each heap gets its own (cheap) link.
    if (factory === null) factory = new Function("stdlib", "foreign", "heap", SOURCE) as Factory;
    return factory(globalThis, null, heap);
  } catch {
    return null;
  }
}

/** A workspace heap and the kernels linked to it (see `createKernelHeap`). */
export interface KernelHeap {
  readonly heap: ArrayBuffer;
  /** null: use the TypeScript kernels (identical results to asm.js). */
  readonly kernels: HeapKernels | null;
  /** Whether `kernels` are the WebAssembly SIMD kernels. */
  readonly simd: boolean;
  /** The SIMD kernels themselves (with the O(p) ones), or null. */
  readonly simdKernels: SimdKernels | null;
}

/**
 * A heap of at least `bytes` bytes for a workspace whose matrices are p×p, with its kernels: the
 * WebAssembly SIMD kernels when available, enabled (core/wasm/simd.ts) and p ≥ SIMD_MIN_P, else
 * the asm.js ones. `minP` overrides SIMD_MIN_P (benchmarks).
 */
export function createKernelHeap(bytes: number, p: number, minP = SIMD_MIN_P): KernelHeap {
  const len = heapByteLength(bytes);
  if (len > MAX_HEAP_BYTES) return { heap: new ArrayBuffer(bytes), kernels: null, simd: false, simdKernels: null };
  const memory = p >= minP ? createMemory(len) : null;
  const heap = memory !== null ? memory.buffer : new ArrayBuffer(len);
  const asm = linkHeapKernels(heap);
  const simd = memory !== null && asm !== null ? linkSimdKernels(memory) : null;
  if (simd === null || asm === null) return { heap, kernels: asm, simd: false, simdKernels: null };
  return { heap, kernels: { pass: simd.pass, blend: simd.blend, inverse: simd.inverse }, simd: true, simdKernels: simd };
}
