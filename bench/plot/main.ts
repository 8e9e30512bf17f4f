/**
 * Plot step of the benchmark (separate from the runner; reads its results.ndjson). The charts are
 * the library's (src/plot through src/index.ts).
 *
 *   tsx bench/plot/main.ts --in results.ndjson --out plots/
 *   tsx bench/plot/main.ts --fitted fitted.json --out plots/ [--in results.ndjson]
 *
 * Writes `<out>/<scenario>-<chart>.svg` and `.png` for every scenario in the
 * results (charts: nll-vs-samples, nll-vs-seconds, param-error-vs-samples,
 * mse-vs-samples — the last two only when the column has values), and
 * `<out>/fitted-1d.svg/.png` for `--fitted`.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseCurveNdjson, plotBenchmark, plotFitted1d, validateFitted1d } from "../../src/index.js";

export const USAGE = `usage: tsx bench/plot/main.ts [--in <results.ndjson>] [--fitted <fitted.json>] --out <dir> [--quiet]

  --in <ndjson>    benchmark results, one object per line with scenario, method, config, rep,
                   samples, seconds, test_nll, excess_nll, param_error, test_mse (the runner's
                   results.ndjson; results.csv holds the same rows); one set of charts per scenario
  --fitted <json>  {x,y,grid,experts,gate,mean} of a 1-D fit -> <out>/fitted-1d.svg/png
  --out <dir>      output directory (created if missing)
  --quiet          do not list the files written`;

export interface CliArgs {
  in?: string;
  fitted?: string;
  out: string;
  quiet: boolean;
}

/** Bad command-line usage (the CLI prints the usage text after the message). */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Parse argv (without node/script). Throws UsageError for bad usage. */
export function parseArgs(argv: readonly string[]): CliArgs | "help" {
  const a: Partial<CliArgs> = { quiet: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    if (flag === "--help" || flag === "-h") return "help";
    else if (flag === "--in") a.in = value();
    else if (flag === "--fitted") a.fitted = value();
    else if (flag === "--out") a.out = value();
    else if (flag === "--quiet") a.quiet = true;
    else throw new UsageError(`unknown argument: ${flag}`);
  }
  if (a.out === undefined) throw new UsageError("--out <dir> is required");
  if (a.in === undefined && a.fitted === undefined) throw new UsageError("give --in <ndjson> and/or --fitted <json>");
  return a as CliArgs;
}

/** Run the plot step; returns the list of files written. */
export async function main(argv: readonly string[], log: (s: string) => void = console.log): Promise<string[]> {
  const args = parseArgs(argv);
  if (args === "help") {
    log(USAGE);
    return [];
  }
  const written: string[] = [];
  const t0 = performance.now();
  if (args.in !== undefined) {
    let rows;
    try {
      rows = parseCurveNdjson(await readFile(args.in, "utf8"));
    } catch (err) {
      throw new Error(`${args.in}: ${(err as Error).message}`);
    }
    if (rows.length === 0) throw new Error(`${args.in}: no data rows`);
    const outs = await plotBenchmark(rows, args.out);
    for (const o of outs) {
      written.push(o.svg, o.png);
      if (!args.quiet) log(`${o.png}  (${o.width}×${o.height}, ${o.ms.toFixed(0)} ms)`);
    }
  }
  if (args.fitted !== undefined) {
    const json: unknown = JSON.parse(await readFile(args.fitted, "utf8"));
    const o = await plotFitted1d(validateFitted1d(json), path.join(args.out, "fitted-1d"));
    written.push(o.svg, o.png);
    if (!args.quiet) log(`${o.png}  (${o.width}×${o.height}, ${o.ms.toFixed(0)} ms)`);
  }
  if (!args.quiet) log(`wrote ${written.length} files in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return written;
}

const isEntry = process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href;
if (isEntry) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(`plot: ${err instanceof Error ? err.message : String(err)}`);
    if (err instanceof UsageError) console.error(USAGE);
    process.exitCode = 1;
  });
}
