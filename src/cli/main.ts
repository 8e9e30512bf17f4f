/**
 * `ismm` command-line entry: argv → command → exit code. Thin by design (STYLE.md b7): parsing,
 * validation with the library's option table, calls into the public API (../index.js), files,
 * exit codes. Every error is one line on stderr (see errors.ts for the exit codes).
 */
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { COMMON_FLAGS, Flags, parseArgs, renderFlags } from "./args.js";
import { hasPendingTempFiles, removePendingTempFiles, watchPendingTempFiles } from "./atomic-write.js";
import type { Command } from "./command.js";
import { makeCtx } from "./context.js";
import { demoCommand } from "./demo.js";
import { osErrorReason } from "../index.js";
import { EXIT_DATA, EXIT_INTERRUPTED, EXIT_USAGE, UsageError, describeError } from "./errors.js";
import { evaluateCommand } from "./evaluate.js";
import { fitCommand } from "./fit.js";
import { inspectCommand } from "./inspect.js";
import { plotCommand } from "./plot.js";
import { predictCommand } from "./predict.js";
import { selectCommand } from "./select.js";
import { simulateCommand } from "./simulate.js";
import { packageVersion } from "./version.js";

export const COMMANDS: readonly Command[] = [fitCommand, predictCommand, evaluateCommand, selectCommand, inspectCommand, plotCommand, simulateCommand, demoCommand];

const EXIT_CODES = [
  "Exit codes:",
  "  0    success",
  "  1    data, model or numerical error (bad cell, missing column, unreadable file, corrupt model…)",
  "  2    usage or option error (unknown flag, bad value, missing argument)",
  "  3    internal error (a bug; rerun with --verbose for the stack trace and report it)",
  "  130  interrupted (Ctrl-C); no partial output file is left",
].join("\n");

export function globalHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    `ismm ${packageVersion()} — softmax-gated mixture-of-experts regression on data streams,`,
    "fitted by incremental stochastic MM (ISMM) or baselines (SGD, RMSProp, Adam, Sophia, batch EM).",
    "",
    "Usage: ismm <command> [options]",
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Options:",
    "  -h, --help       show help (also 'ismm <command> --help')",
    "  -V, --version    print the version",
    "",
    "Data: CSV with a header row, or NDJSON (one JSON object per line; .ndjson/.jsonl or --format);",
    "'-' reads stdin. Empty cells, NaN/Infinity and non-numbers in the selected columns are errors",
    "(or skipped and counted with --skip-invalid). Messages name the file, line and column.",
    "",
    "Examples:",
    "  ismm demo",
    "  ismm simulate --rows 5000 --seed 1 > train.csv",
    "  ismm fit train.csv --target y --experts 2 --out model.json",
    "  ismm evaluate --model model.json test.csv",
    "  ismm predict --model model.json new.csv --out preds.csv",
    "  ismm select train.csv --target y --experts 1-6            # how many experts?",
    "  ismm inspect --model model.json                            # what did it learn?",
    "  ismm plot --model model.json train.csv --out fit.png       # show me",
    "",
    EXIT_CODES,
  ].join("\n");
}

export function commandHelp(c: Command): string {
  const lines = [`ismm ${c.name} — ${c.summary}`, "", "Usage:", ...c.usage.map((u) => `  ismm ${u}`), "", c.description, ""];
  for (const [title, flags] of c.flags) {
    lines.push(`${title}:`, renderFlags(flags), "");
  }
  lines.push("Output and logging:", renderFlags(COMMON_FLAGS), "");
  lines.push("Examples:");
  const w = Math.max(...c.examples.map(([cmd]) => cmd.length));
  for (const [cmd, what] of c.examples) lines.push(w <= 70 ? `  ${cmd.padEnd(w)}  # ${what}` : `  # ${what}\n  ${cmd}`);
  lines.push("", EXIT_CODES);
  return lines.join("\n");
}

/** Runs the CLI; resolves to the exit code (never throws). */
export async function main(argv: readonly string[]): Promise<number> {
  const verbose = argv.includes("--verbose") || argv.includes("-v");
  try {
    const [name, ...rest] = argv;
    if (name === undefined) {
      process.stderr.write(globalHelp() + "\n");
      return EXIT_USAGE;
    }
    if (name === "--help" || name === "-h" || name === "help") {
      const sub = name === "help" ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
      process.stdout.write((sub ? commandHelp(sub) : globalHelp()) + "\n");
      return 0;
    }
    if (name === "--version" || name === "-V") {
      process.stdout.write(`ismm ${packageVersion()}\n`);
      return 0;
    }
    const cmd = COMMANDS.find((c) => c.name === name);
    if (cmd === undefined) {
      const hint = name.startsWith("-") ? "a command must come first" : `unknown command '${name}'`;
      throw new UsageError(`${hint}; the commands are ${COMMANDS.map((c) => c.name).join(", ")}`);
    }
    const specs = [...COMMON_FLAGS, ...cmd.flags.flatMap(([, f]) => f)];
    const flags = new Flags(parseArgs(rest, specs, cmd.name), cmd.name);
    if (flags.bool("help")) {
      process.stdout.write(commandHelp(cmd) + "\n");
      return 0;
    }
    return await cmd.run(flags, makeCtx(cmd.name, flags));
  } catch (err) {
    const { line, code, internal } = describeError(err);
    process.stderr.write(line + "\n");
    if (verbose && internal && err instanceof Error && err.stack) process.stderr.write(err.stack + "\n");
    return code;
  }
}

/**
 * SIGINT / SIGTERM. A JavaScript signal handler runs only when the event loop is free, so it
 * cannot interrupt a long synchronous computation (the estimator's initialization runs for
 * seconds to minutes on wide problems). Hence: while no temporary output file exists, no handler
 * is installed and the signal keeps its default disposition: the kernel ends the process at once
 * (the shell reports status 130 for SIGINT) and there is nothing to clean up. While a temporary
 * file exists (an output being written: short for models and checkpoints, the whole run for
 * streamed `--out` files, whose loop yields between batches), a handler removes it and exits
 * with 130 (SIGINT) or 143 (SIGTERM) and one line.
 */
function installSignalHandlers(): void {
  const onSignal = (signal: NodeJS.Signals): void => {
    removePendingTempFiles();
    process.stderr.write(`\nismm: interrupted (${signal}); no partial output was written\n`);
    process.exit(signal === "SIGINT" ? EXIT_INTERRUPTED : 128 + 15);
  };
  // Change the installation only on a real change: removing the last listener stops libuv's watcher,
  // which drops a signal it caught but has not dispatched yet, so never remove-and-re-add.
  let installed = false;
  const handle = (on: boolean): void => {
    if (on === installed) return;
    installed = on;
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      if (on) process.on(signal, onSignal);
      else process.off(signal, onSignal);
    }
  };
  // Removal waits 100 ms (a timer that does not keep the process alive): a signal libuv caught just
  // before is still dispatched to the handler, and outputs written in quick succession (a checkpoint
  // every few rows) keep one handler instead of toggling it — each removal is a moment where a signal
  // caught but not yet dispatched would be dropped.
  watchPendingTempFiles((active) => {
    if (active) handle(true);
    else setTimeout(() => handle(hasPendingTempFiles()), 100).unref();
  });
  // `ismm predict … | head`: the reader went away; stop quietly.
  // A stderr that fails (closed, full) cannot report anything: messages are dropped, the exit code stays.
  process.stderr.on("error", () => undefined);
  // Any other stdout failure (a full device, an I/O error): one line, exit 1, no stack trace.
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    removePendingTempFiles();
    if (err.code === "EPIPE") process.exit(0);
    process.stderr.write(`ismm: cannot write to stdout: ${osErrorReason(err)}\n`);
    process.exit(EXIT_DATA);
  });
}

/** Entry used by bin/ismm.js and by `node src/cli/main.ts`: runs and exits with the code. */
export async function runCli(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  installSignalHandlers();
  const code = await main(argv);
  // Let stdout/stderr drain before exiting (an open stdin must not keep the process alive).
  await new Promise<void>((resolve) => process.stdout.write("", () => resolve()));
  await new Promise<void>((resolve) => process.stderr.write("", () => resolve()));
  process.exit(code);
}

function isEntryPoint(): boolean {
  const argv1 = process.argv[1];
  if (argv1 === undefined) return false;
  try {
    return realpathSync(argv1) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) void runCli();
