/**
 * Scale-out measurements (docs/SCALE-OUT.md): starts a private redis-server on a free loopback port,
 * loads N rows of seeded synthetic MoE data into a stream, and for 1, 2, 4 worker processes
 * (`ismm fit redis://… --until-drained`, each group reading the whole stream) prints rows/s (wall
 * clock from the first spawn to the last exit: process start, initialization and draining
 * included), the conflict (retry) rate, nSeen and the held-out excess NLL over the true parameters
 * (10,000 fresh rows). `--kill` reproduces the fault check instead: two workers, one SIGKILLed after
 * 2 s and restarted; nSeen must equal N exactly.
 *
 *   npm run build && npx tsx scripts/redis-scale.ts [--rows 40000] [--workers 1,2,4] [--experts 2]
 *       [--features 2] [--seed 1] [--batch-size 256] [--kill]
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { createRng, MoeRegressor, parametersNll, randomMoeSpec, syntheticStream } from "../src/index.js";

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "40000" },
    workers: { type: "string", default: "1,2,4" },
    experts: { type: "string", default: "2" },
    features: { type: "string", default: "2" },
    seed: { type: "string", default: "1" },
    "batch-size": { type: "string", default: "256" },
    kill: { type: "boolean", default: false },
  },
});
const N = Number(values.rows);
const K = Number(values.experts);
const d = Number(values.features);
const seed = Number(values.seed);
const TEST = 10000;
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BIN = join(ROOT, "bin", "ismm.js");
if (spawnSync("redis-server", ["--version"]).status !== 0) {
  console.error("redis-server is not installed (apt-get install redis-server)");
  process.exit(2);
}

// Data as `ismm simulate --rows N+TEST --seed S` writes them: N training rows, then TEST held out.
const root = createRng(seed);
const spec = randomMoeSpec(K, d, 1, root.fork(1), { noise: 0.5, gateScale: 3, coefScale: 2 }); // `ismm simulate` defaults
const stream = syntheticStream(spec, root.fork(2));
const x = new Float64Array(d);
const y = new Float64Array(1);
const names = [...Array.from({ length: d }, (_, a) => `x${a + 1}`), "y"];
const train: string[][] = [];
for (let i = 0; i < N; i++) {
  stream.next(x, y);
  train.push([...Array.from(x, String), String(y[0])]);
}
const TX = new Float64Array(TEST * d);
const TY = new Float64Array(TEST);
for (let i = 0; i < TEST; i++) {
  stream.next(x, y);
  TX.set(x, i * d);
  TY[i] = y[0];
}
const truthNll = parametersNll(spec.params, TX, TY, TEST);

const port = await new Promise<number>((resolve) => {
  const s = createServer().listen(0, "127.0.0.1", () => {
    const p = (s.address() as { port: number }).port;
    s.close(() => resolve(p));
  });
});
const dir = mkdtempSync(join(tmpdir(), "ismm-redis-scale-"));
const server = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no"], { stdio: "ignore" });
const redis = new Redis({ host: "127.0.0.1", port, maxRetriesPerRequest: 50 });
redis.on("error", () => undefined); // refused until redis-server listens: the commands wait and retry
try {
  await redis.ping();
  for (let i = 0; i < N; i += 2000) {
    const p = redis.pipeline();
    for (const row of train.slice(i, i + 2000)) p.xadd("rows", "*", ...names.flatMap((n, j) => [n, row[j]]));
    await p.exec();
  }
  const url = `redis://127.0.0.1:${port}/rows`;
  console.log(`${N} rows (K = ${K}, d = ${d}, seed ${seed}) in ${url}; batches of ${values["batch-size"]} rows; ${TEST} held-out rows, true NLL ${truthNll.toFixed(4)}`);

  const worker = (group: string, name: string, out: string) => {
    const child = spawn(process.execPath, [BIN, "fit", url, "--group", group, "--consumer", name, "-t", "y", "--experts", String(K), "--seed", String(seed),
      "--batch-size", String(values["batch-size"]), "--until-drained", "-o", out], { stdio: ["ignore", "pipe", "pipe"] });
    let text = "";
    child.stdout.on("data", (c: Buffer) => (text += c));
    child.stderr.on("data", (c: Buffer) => (text += c));
    const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; text: string }>((resolve) => child.on("close", (code, signal) => resolve({ code, signal, text })));
    return { child, done };
  };
  const report = (label: string, seconds: number, outs: string[], texts: string[]): void => {
    const model = MoeRegressor.fromJSON(JSON.parse(readFileSync(outs[0], "utf8")));
    let commits = 0;
    let conflicts = 0;
    for (const t of texts) {
      const m = /in (\d+) commits \((\d+) conflicts/.exec(t);
      if (m) {
        commits += Number(m[1]);
        conflicts += Number(m[2]);
      }
    }
    const excess = model.score(TX, TY, TEST) - truthNll;
    console.log(
      `${label}: ${(N / seconds).toFixed(0)} rows/s (${seconds.toFixed(2)} s), ${commits} commits, retry rate ${((100 * conflicts) / Math.max(1, commits + conflicts)).toFixed(1)}%, ` +
        `nSeen ${model.nSeen}, held-out excess NLL ${excess.toFixed(4)}`,
    );
  };

  if (values.kill) {
    const outs = [join(dir, "k0.json"), join(dir, "k1.json"), join(dir, "k1b.json")];
    const t0 = performance.now();
    const a = worker("kill", "a", outs[0]);
    const b = worker("kill", "b", outs[1]);
    await new Promise((r) => setTimeout(r, 2000));
    b.child.kill("SIGKILL");
    await b.done;
    const b2 = worker("kill", "b-restarted", outs[2]);
    const runs = await Promise.all([a.done, b2.done]);
    const secs = (performance.now() - t0) / 1000;
    for (const r of runs) if (r.code !== 0) throw new Error(`a worker failed: ${r.text}`);
    report("2 workers, one SIGKILLed after 2 s and restarted", secs, [outs[0], outs[2]], runs.map((r) => r.text));
    const other = MoeRegressor.fromJSON(JSON.parse(readFileSync(outs[2], "utf8")));
    console.log(`restarted worker's model: nSeen ${other.nSeen}`);
  } else {
    for (const w of String(values.workers).split(",").map(Number)) {
      const group = `scale-${w}`;
      const outs = Array.from({ length: w }, (_, i) => join(dir, `${group}-${i}.json`));
      const t0 = performance.now();
      const runs = await Promise.all(outs.map((out, i) => worker(group, `w${i}`, out).done));
      const secs = (performance.now() - t0) / 1000;
      for (const r of runs) if (r.code !== 0) throw new Error(`a worker failed: ${r.text}`);
      report(`${w} worker${w === 1 ? "" : "s"}`, secs, outs, runs.map((r) => r.text));
    }
  }
} finally {
  redis.disconnect();
  server.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
}
