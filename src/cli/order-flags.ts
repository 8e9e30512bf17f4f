/**
 * `--order` and `--shuffle-buffer`, shared by `fit` and `select`: the row order of the passes
 * after the first reading of the file (train.ts, shuffle-buffer.ts).
 */
import type { Flags, FlagSpec } from "./args.js";
import { UsageError } from "./errors.js";
import { SHUFFLE_BUFFER_BYTES } from "./shuffle-buffer.js";

/** Most rows --shuffle-buffer may ask for (the bound of --init-rows: a buffer of rows·(d+q+1) doubles). */
export const MAX_SHUFFLE_ROWS = 10_000_000;

export const ORDER_FLAGS: readonly FlagSpec[] = [
  { name: "order", kind: "string", value: "shuffle|sequential", doc: "row order of the passes after the first reading of the file: shuffle (default: through a seeded buffer of --shuffle-buffer rows, a fresh order every pass) or sequential (file order every pass)" },
  { name: "shuffle-buffer", kind: "string", value: "rows", doc: `rows held by the shuffle buffer (default: as many as fit in ${SHUFFLE_BUFFER_BYTES / 2 ** 20} MiB of doubles, (d + q + 1)·8 bytes a row; at most ${MAX_SHUFFLE_ROWS}); a file of at most this many rows is learned in a uniformly random order every pass` },
];

export interface PassOrder {
  readonly order: "shuffle" | "sequential";
  /** The buffer's rows when given (undefined: the default for the data's width). */
  readonly shuffleRows: number | undefined;
}

/** Reads and checks the two flags; a bad value or a contradiction is a UsageError naming `cmd`. */
export function passOrder(flags: Flags, cmd: string): PassOrder {
  const order = flags.choice("order", ["shuffle", "sequential"] as const, "shuffle");
  const shuffleRows = flags.has("shuffle-buffer") ? flags.int("shuffle-buffer", 0, 1, MAX_SHUFFLE_ROWS) : undefined;
  if (shuffleRows !== undefined && order === "sequential") throw new UsageError("--shuffle-buffer is for --order shuffle; --order sequential reads every pass in file order", cmd);
  return { order, shuffleRows };
}
