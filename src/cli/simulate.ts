/**
 * `ismm simulate`: a seeded synthetic softmax-gated Gaussian MoE stream (CSV or NDJSON), written
 * row by row (constant memory), with the true parameters optionally saved as JSON.
 */
import { once } from "node:events";
import { createRng, randomMoeSpec, syntheticStream } from "../index.js";
import type { Flags, FlagSpec } from "./args.js";
import { AtomicFile, writeFileAtomic } from "./atomic-write.js";
import type { Command } from "./command.js";
import { fmtInt, type Ctx } from "./context.js";
import { UsageError } from "./errors.js";
import { checkOutputs } from "./outputs.js";

/** Bounds on the sizes (the true model has K·(1+d)·q coefficients, drawn before the first row). */
const MAX_EXPERTS = 1000;
const MAX_COLUMNS = 10000;
const MAX_COEFFICIENTS = 1_000_000;

const SIM_FLAGS: readonly FlagSpec[] = [
  { name: "rows", short: "n", kind: "string", value: "N", doc: "rows to write (default 1000)" },
  { name: "experts", kind: "string", value: "K", doc: `experts of the true model (default 2; at most ${MAX_EXPERTS})` },
  { name: "features", kind: "string", value: "d", doc: `input columns x1..xd (default 2; at most ${MAX_COLUMNS})` },
  { name: "targets", kind: "string", value: "q", doc: `response columns: y if q = 1, else y1..yq (default 1; at most ${MAX_COLUMNS})` },
  { name: "seed", kind: "string", value: "S", doc: "seed of the parameters and of the rows (default 0)" },
  { name: "noise", kind: "string", value: "X", doc: "typical expert noise sd σ (default 0.5)" },
  { name: "gate-scale", kind: "string", value: "X", doc: "spread of the gate slopes: larger = sharper expert regions (default 3)" },
  { name: "coef-scale", kind: "string", value: "X", doc: "spread of the expert coefficients (default 2)" },
  { name: "latent", kind: "boolean", doc: "add a column 'expert' with the true expert (1-based) of each row" },
  { name: "format", kind: "string", value: "csv|ndjson", doc: "output format (default csv; --out *.ndjson/*.jsonl implies ndjson, --out *.tsv/*.tab tab-separated CSV)" },
  { name: "out", short: "o", kind: "string", value: "file", doc: "write here (atomically; a regular file or a new name) instead of stdout ('-': stdout)" },
  { name: "params-out", kind: "string", value: "json", doc: "also write the true parameters (original units) as JSON" },
];

/** Rows per write. */
const CHUNK_ROWS = 2048;

async function run(flags: Flags, ctx: Ctx): Promise<number> {
  const cmd = "simulate";
  if (flags.parsed.positionals.length > 0) throw new UsageError(`simulate takes no positional arguments, got ${JSON.stringify(flags.parsed.positionals[0])}`, cmd);
  const rows = flags.int("rows", 1000, 1);
  const K = flags.int("experts", 2, 1, MAX_EXPERTS);
  const d = flags.int("features", 2, 1, MAX_COLUMNS);
  const q = flags.int("targets", 1, 1, MAX_COLUMNS);
  const coefficients = K * (1 + d) * q;
  if (coefficients > MAX_COEFFICIENTS) {
    throw new UsageError(`--experts × (--features + 1) × --targets must be at most ${fmtInt(MAX_COEFFICIENTS)} (the true model's coefficients; each row costs as many operations). Got ${fmtInt(coefficients)} instead`, cmd);
  }
  const seed = flags.int("seed", 0, 0, 2 ** 32 - 1);
  const noise = flags.num("noise", 0.5, 0);
  const gateScale = flags.num("gate-scale", 3);
  const coefScale = flags.num("coef-scale", 2);
  const latent = flags.bool("latent");
  const outFlag = flags.str("out");
  const outPath = outFlag === "-" ? undefined : outFlag;
  checkOutputs(cmd, [{ flag: "out", path: outPath }, { flag: "params-out", path: flags.str("params-out") }], []);
  const format = flags.choice("format", ["csv", "ndjson"] as const, outPath !== undefined && /\.(ndjson|jsonl)$/i.test(outPath) ? "ndjson" : "csv");
  // Like the readers: a .tsv / .tab output is tab-separated, so `ismm fit` reads it back as written.
  const sep = outPath !== undefined && /\.(tsv|tab)$/i.test(outPath) ? "\t" : ",";
  const root = createRng(seed);
  const spec = randomMoeSpec(K, d, q, root.fork(1), { noise, gateScale, coefScale });
  const stream = syntheticStream(spec, root.fork(2));
  const xNames = Array.from({ length: d }, (_, a) => `x${a + 1}`);
  const yNames = q === 1 ? ["y"] : Array.from({ length: q }, (_, j) => `y${j + 1}`);
  const names = [...xNames, ...yNames, ...(latent ? ["expert"] : [])];

  const paramsOut = flags.str("params-out");
  if (paramsOut !== undefined) {
    const doc = {
      format: "ismm-synthetic",
      version: 1,
      seed,
      K,
      d,
      q,
      noise,
      gateScale,
      coefScale,
      inputs: spec.inputs,
      features: xNames,
      targets: yNames,
      params: spec.params,
      note: "gate: (K-1) x (1+d) rows [intercept, x1..xd], the K-th gate is 0; beta: K x q x (1+d); sigma2: K x q",
    };
    await writeFileAtomic(paramsOut, JSON.stringify(doc, null, 2) + "\n");
  }

  const file = outPath === undefined ? undefined : await AtomicFile.create(outPath);
  const write = async (s: string): Promise<void> => {
    if (file !== undefined) await file.write(s);
    else if (!process.stdout.write(s)) await once(process.stdout, "drain");
  };
  try {
    if (format === "csv") await write(names.join(sep) + "\n");
    const x = new Float64Array(d);
    const y = new Float64Array(q);
    for (let done = 0; done < rows; ) {
      const m = Math.min(CHUNK_ROWS, rows - done);
      const lines: string[] = new Array(m);
      for (let i = 0; i < m; i++) {
        const k = stream.next(x, y);
        const vals: number[] = [...x, ...y];
        if (latent) vals.push(k + 1);
        if (format === "csv") lines[i] = vals.join(sep);
        else {
          let s = "{";
          for (let c = 0; c < names.length; c++) s += `${c > 0 ? "," : ""}"${names[c]}":${vals[c]}`;
          lines[i] = s + "}";
        }
      }
      await write(lines.join("\n") + "\n");
      done += m;
    }
    if (file !== undefined) await file.commit();
  } catch (err) {
    await file?.abort();
    throw err;
  }
  if (outPath !== undefined) ctx.out(`ismm simulate: ${fmtInt(rows)} rows (K = ${K}, d = ${d}, q = ${q}, seed ${seed}) written to ${outPath}`);
  return 0;
}

export const simulateCommand: Command = {
  name: "simulate",
  summary: "write a seeded synthetic mixture-of-experts data stream (CSV/NDJSON)",
  usage: ["simulate [--rows N] [--experts K] [--features d] [--targets q] [--seed S] [--noise X] [--format csv|ndjson] [--out file] [--params-out params.json]"],
  description: [
    "Draws a random well-separated MoE (gate slopes ~ N(0, gate-scale²/d), expert coefficients",
    "~ N(0, coef-scale²/d), noise sd ≈ --noise) from --seed, then rows x ~ N(0, I_d),",
    "k ~ softmax gate(x), y = β_kᵀ(1, x) + σ_k ε. Same seed, same data, on every machine.",
    "Columns: x1..xd, then y (or y1..yq), then 'expert' with --latent.",
  ].join("\n"),
  flags: [["Simulation", SIM_FLAGS]],
  examples: [
    ["ismm simulate --rows 5000 --seed 1 > train.csv", "5,000 rows, K = 2, d = 2"],
    ["ismm simulate -n 100000 --experts 3 --features 4 --params-out truth.json -o sim.csv", "with the true parameters"],
    ["ismm simulate -n 1000000 | ismm fit - --target y --out m.json", "a million rows through a pipe"],
  ],
  run,
};
