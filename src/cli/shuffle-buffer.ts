/**
 * A seeded shuffle buffer for the learning passes of `ismm fit` after the first reading of the
 * file (train.ts): the rows of a pass come out in a random order while memory stays bounded by
 * the buffer's capacity of N rows.
 *
 * Rows go in in file order. While fewer than N rows are held, a row is only stored. Once the
 * buffer is full, each incoming row replaces a uniformly drawn slot, whose row is emitted first.
 * At the end of the pass the rows still held are emitted in a uniformly random order. With at
 * most N rows in the pass nothing is emitted before the end, so the pass is an exactly uniform
 * random permutation of the rows; with more, every row is still emitted exactly once, after a
 * geometric number of later rows (mean N) — rows far apart in the file stay far apart in the
 * pass (the scheme of TensorFlow's `Dataset.shuffle(buffer_size)`).
 *
 * Every draw comes from the `Rng` given to `start` (see `passRng`), so the order of a pass is a
 * pure function of (seed, pass, rows). Storage is flat Float64Arrays, grown geometrically up to the
 * capacity (a small file never allocates a large buffer) and kept across passes: once grown,
 * pushing and emitting allocate nothing.
 */
import { createRng, type Rng } from "../index.js";

/** Memory the default buffer may hold: 64 MiB of doubles (rows × (d + q + 1) × 8 bytes). */
export const SHUFFLE_BUFFER_BYTES = 64 * 1024 * 1024;

/**
 * The default capacity in rows for d features and q targets: as many rows as fit in
 * SHUFFLE_BUFFER_BYTES (each row stores d + q values and its file line as doubles), e.g. 135,300
 * rows for d = 60, q = 1 and 838,860 for d = 8, q = 1.
 */
export function defaultShuffleRows(d: number, q: number): number {
  return Math.max(1, Math.floor(SHUFFLE_BUFFER_BYTES / (8 * (d + q + 1))));
}

/** Fork id of the shuffle stream under the run's seed ("SHUF"): no other use of the seed forks it. */
const SHUFFLE_STREAM = 0x53485546;

/**
 * The generator of pass `pass` (1-based, counting every reading of the file) of a run seeded by
 * `seed`: `createRng(seed).fork(SHUFFLE_STREAM).fork(pass)`, a stream of its own for every pass.
 */
export function passRng(seed: number, pass: number): Rng {
  return createRng(seed).fork(SHUFFLE_STREAM).fork(pass);
}

/**
 * Emitted rows, in order: row i has features `X[i·d … i·d+d)`, targets `Y[i·q … i·q+q)` and its
 * 1-based file line `lines[i]`. `n` rows are filled; the owner empties it (n = 0) after use.
 */
export class RowBlock {
  readonly X: Float64Array;
  readonly Y: Float64Array;
  readonly lines: Float64Array;
  n = 0;

  constructor(
    readonly d: number,
    readonly q: number,
    /** Rows the block holds. */
    readonly capacity: number,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`RowBlock capacity must be a positive integer, got ${capacity}`);
    this.X = new Float64Array(capacity * d);
    this.Y = new Float64Array(capacity * q);
    this.lines = new Float64Array(capacity);
  }

  /** True when no more rows fit. */
  get full(): boolean {
    return this.n === this.capacity;
  }
}

/** The shuffle buffer (see the file comment). One per run; `start` begins each pass. */
export class ShuffleBuffer {
  private X: Float64Array;
  private Y: Float64Array;
  private lines: Float64Array;
  /** Rows held. */
  private held = 0;
  private rng: Rng | null = null;
  /** Uniforms drawn ahead from the pass's generator (`Rng.fill`: no double crosses a call per row), and the next one to use. */
  private readonly draws = new Float64Array(256);
  private drawn = 256;

  /**
   * @param d features per row
   * @param q targets per row
   * @param capacity N, the most rows held (≥ 1)
   */
  constructor(
    readonly d: number,
    readonly q: number,
    readonly capacity: number,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ShuffleBuffer capacity must be a positive integer, got ${capacity}`);
    const first = Math.min(capacity, 1024);
    this.X = new Float64Array(first * d);
    this.Y = new Float64Array(first * q);
    this.lines = new Float64Array(first);
  }

  /** Rows currently held. */
  get size(): number {
    return this.held;
  }

  /** Begins a pass: drops any rows held and draws from `rng` from now on. */
  start(rng: Rng): void {
    this.rng = rng;
    this.held = 0;
    this.drawn = this.draws.length; // the first row refills from the new generator
  }

  /**
   * Adds the row at `X[xOff…]`, `Y[yOff…]` read at file line `line`. When the buffer is full, a
   * uniformly drawn slot's row is first appended to `out` (which must not be full) and the new row
   * takes its place. Returns true when a row was emitted.
   */
  push(X: Float64Array, xOff: number, Y: Float64Array, yOff: number, line: number, out: RowBlock): boolean {
    const rng = this.active();
    if (this.held < this.capacity) {
      if (this.held === this.lines.length) this.grow();
      this.store(this.held, X, xOff, Y, yOff, line);
      this.held++;
      return false;
    }
    if (this.drawn === this.draws.length) {
      rng.fill(this.draws);
      this.drawn = 0;
    }
    const j = Math.floor(this.draws[this.drawn++] * this.capacity); // = rng.int(capacity): the same values in the same order
    this.emit(j, out);
    this.store(j, X, xOff, Y, yOff, line);
    return true;
  }

  /**
   * At the end of a pass: appends one of the rows still held, drawn uniformly, to `out` (which
   * must not be full). Returns false when the buffer is empty. Calling it until false emits the
   * rest in a uniformly random order.
   */
  drain(out: RowBlock): boolean {
    const rng = this.active();
    if (this.held === 0) return false;
    if (this.drawn === this.draws.length) {
      rng.fill(this.draws);
      this.drawn = 0;
    }
    const j = Math.floor(this.draws[this.drawn++] * this.held); // = rng.int(held)
    this.emit(j, out);
    const last = this.held - 1;
    if (j !== last) {
      const { d, q } = this;
      this.X.copyWithin(j * d, last * d, last * d + d);
      this.Y.copyWithin(j * q, last * q, last * q + q);
      this.lines[j] = this.lines[last];
    }
    this.held = last;
    return true;
  }

  private active(): Rng {
    if (this.rng === null) throw new Error("ShuffleBuffer: start(rng) must be called before the first row");
    return this.rng;
  }

  private store(slot: number, X: Float64Array, xOff: number, Y: Float64Array, yOff: number, line: number): void {
    const { d, q } = this;
    for (let c = 0; c < d; c++) this.X[slot * d + c] = X[xOff + c];
    for (let j = 0; j < q; j++) this.Y[slot * q + j] = Y[yOff + j];
    this.lines[slot] = line;
  }

  private emit(slot: number, out: RowBlock): void {
    if (out.full) throw new Error("ShuffleBuffer: the output block is full");
    const { d, q } = this;
    const i = out.n;
    for (let c = 0; c < d; c++) out.X[i * d + c] = this.X[slot * d + c];
    for (let j = 0; j < q; j++) out.Y[i * q + j] = this.Y[slot * q + j];
    out.lines[i] = this.lines[slot];
    out.n = i + 1;
  }

  /** Doubles the storage (up to the capacity), keeping the rows held. */
  private grow(): void {
    const rows = Math.min(this.capacity, Math.max(1, this.lines.length * 2));
    const { d, q } = this;
    const X = new Float64Array(rows * d);
    const Y = new Float64Array(rows * q);
    const lines = new Float64Array(rows);
    X.set(this.X.subarray(0, this.held * d));
    Y.set(this.Y.subarray(0, this.held * q));
    lines.set(this.lines.subarray(0, this.held));
    this.X = X;
    this.Y = Y;
    this.lines = lines;
  }
}
