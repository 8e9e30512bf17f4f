/** The shape of a sub-command: its help (usage, flags, examples) and its implementation. */
import type { Flags, FlagSpec } from "./args.js";
import type { Ctx } from "./context.js";

export interface Command {
  readonly name: string;
  /** One line for `ismm --help`. */
  readonly summary: string;
  /** Usage lines (without the leading "ismm "). */
  readonly usage: readonly string[];
  /** Paragraphs after the usage. */
  readonly description: string;
  /** Flag groups: title → flags (the common flags are added by main). */
  readonly flags: ReadonlyArray<readonly [string, readonly FlagSpec[]]>;
  /** Example command lines with a comment each. */
  readonly examples: ReadonlyArray<readonly [string, string]>;
  /** Runs the command; resolves to the exit code. */
  run(flags: Flags, ctx: Ctx): Promise<number>;
}
