/**
 * The WebAssembly SIMD (f64x2) kernels (kernels.wat, shipped as bytes in kernels-bytes.ts):
 * feature detection, the switch that disables them, and their linking to a heap.
 *
 * Detection: `WebAssembly.validate` on the module itself (it uses v128), so an engine without
 * SIMD, or without WebAssembly, simply gets null and the callers use the TypeScript / asm.js
 * kernels, which stay the reference. SIMD is also off when the environment variable ISMM_SIMD is
 * "0" at load time, or after `setSimdEnabled(false)` (workspaces created from then on).
 *
 * Heap: the kernels read and write one `WebAssembly.Memory` whose buffer is the workspace heap
 * (core/heap-kernels.ts sizes it so that the asm.js kernels can link to the same buffer). The
 * memory is never grown, so typed-array views on it stay valid. Calls pass only integers (byte
 * offsets), never doubles, so nothing is boxed. Nothing here allocates after linking.
 */
import { KERNELS_WASM_BASE64 } from "./kernels-bytes.js";

/** The part of the WebAssembly JS API used here (the project's TS lib has no DOM types). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
type WasmModule = object;
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  readonly Module: new (bytes: Uint8Array) => WasmModule;
  readonly Instance: new (mod: WasmModule, imports: object) => { readonly exports: unknown };
  readonly Memory: new (desc: { initial: number; maximum: number }) => WasmMemory;
}
const wasm: WasmApi | undefined = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

/** The SIMD kernels linked to one memory; all offsets are byte offsets (multiples of 8). */
export interface SimdKernels {
  /**
   * smFusedPass on the heap (same arguments as HeapKernels.pass); then ρ = xᵀh into the double at
   * co + 40 (slot PASS_RHO) and g ← h.
   */
  pass(p: number, mo: number, so: number, xo: number, go: number, ho: number, co: number): void;
  /** v (p doubles at vo) ← a·v + c·x, with (a, c) the doubles at co. */
  axpby(p: number, vo: number, xo: number, co: number): void;
  /** μ = xᵀb, then b += (cd·(t − μ))·h, for b at bo and (t, cd) the doubles at co. */
  carry(p: number, bo: number, xo: number, ho: number, co: number): void;
  /** spdInverseFromChol on the heap (same arguments as HeapKernels.inverse; equal to rounding). */
  inverse(p: number, ro: number, to: number, mo: number): void;
  /** symBlend on the heap (same arguments as HeapKernels.blend). */
  blend(p: number, so: number, xo: number, co: number): void;
  /**
   * For r = 0..n−1 in order, upper triangle of S (p×p at `so`) += (w_r x_ri) x_rj: row r of X at
   * xo + 8pr, its weight at wo + ws·r. Bit-identical to n calls of symRank1Blend(p, S, so, 1, w_r, x_r).
   */
  gram(p: number, so: number, xo: number, wo: number, ws: number, n: number): void;
}

/**
 * Smallest p at which the SIMD pass beats the asm.js pass (measured by `npm run bench:speed`,
 * "crossover" table: below it the call and the scalar head/tail of each row pair dominate).
 */
export const SIMD_MIN_P = 4;

// Read through globalThis: the browser bundle has no `process` (test/web/entry.test.ts).
const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
const envOff = env?.ISMM_SIMD === "0";
let enabled = !envOff;
let compiled: WasmModule | null | undefined;

/** Base64 → bytes with `atob` (Node ≥ 16 and every browser). */
function decode(b64: string): Uint8Array {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** The compiled module, or null when this engine has no WebAssembly SIMD. Compiled once. */
function simdModule(): WasmModule | null {
  if (compiled !== undefined) return compiled;
  compiled = null;
  try {
    if (wasm !== undefined) {
      const bytes = decode(KERNELS_WASM_BASE64);
      if (wasm.validate(bytes)) compiled = new wasm.Module(bytes);
    }
  } catch {
    compiled = null;
  }
  return compiled;
}

/** Whether this engine runs the SIMD kernels (independent of the switch). */
export function simdAvailable(): boolean {
  return simdModule() !== null;
}

/** Whether workspaces created now use the SIMD kernels: available and not switched off. */
export function simdEnabled(): boolean {
  return enabled && simdAvailable();
}

/**
 * Switches the SIMD kernels on or off for workspaces created from now on (the TypeScript /
 * asm.js kernels are used instead; results agree to rounding, see test/core/simd.test.ts).
 * Returns the previous setting. The environment variable ISMM_SIMD=0 sets the initial value off.
 */
export function setSimdEnabled(on: boolean): boolean {
  const prev = enabled;
  enabled = on;
  return prev;
}

/** A WebAssembly memory of exactly `bytes` bytes (a multiple of 64 KiB), or null when SIMD is unavailable or off. */
export function createMemory(bytes: number): WasmMemory | null {
  if (wasm === undefined || !simdEnabled() || bytes % 65536 !== 0) return null;
  try {
    const pages = bytes / 65536;
    return new wasm.Memory({ initial: pages, maximum: pages });
  } catch {
    return null;
  }
}

/** Links the SIMD kernels to `memory`, or null when SIMD is unavailable or switched off. */
export function linkSimdKernels(memory: WasmMemory): SimdKernels | null {
  const mod = enabled ? simdModule() : null;
  if (mod === null || wasm === undefined) return null;
  try {
    const inst = new wasm.Instance(mod, { env: { mem: memory } });
    return inst.exports as unknown as SimdKernels;
  } catch {
    return null;
  }
}
