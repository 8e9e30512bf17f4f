/**
 * Shared helpers of the CLI tests: run `ismm` on the current sources as a child process
 * (`node --import tsx src/cli/main.ts …`), write seeded synthetic data, parse CSV outputs.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRng, randomMoeSpec, syntheticStream } from "../../src/index.js";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const FIXTURES = join(ROOT, "test", "fixtures", "cli");
export const MAIN = join(ROOT, "src", "cli", "main.ts");

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** Written to the child's stdin (then closed); default: stdin closed at once. */
  readonly input?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
}

/** Spawns the CLI on the current sources. */
export function spawnIsmm(args: readonly string[], opts: RunOptions = {}): ChildProcess {
  const env: Record<string, string | undefined> = { ...process.env, ...opts.env };
  if (opts.env?.CI === undefined) delete env.CI;
  return spawn(process.execPath, ["--import", "tsx", MAIN, ...args], {
    cwd: opts.cwd ?? ROOT,
    env,
    stdio: ["pipe", "pipe", "pipe"],
  });
}

/**
 * Collects the output and exit status of a spawned child. Writes `input` and closes stdin, or
 * closes it at once; with `input === null` stdin stays open for the caller.
 */
export function collect(child: ChildProcess, input?: string | null): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
    child.stdin?.on("error", () => undefined); // the child may exit before reading all input
    if (typeof input === "string") child.stdin?.end(input);
    else if (input === undefined) child.stdin?.end();
  });
}

/** Runs `ismm args…` to completion. */
export function ismm(args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return collect(spawnIsmm(args, opts), opts.input);
}

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "ismm-cli-test-"));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Seeded synthetic MoE rows as CSV text (columns x1..xd, y or y1..yq). */
export function syntheticCsv(rows: number, seed: number, d = 2, q = 1, K = 2): string {
  const root = createRng(seed);
  const spec = randomMoeSpec(K, d, q, root.fork(1));
  const s = syntheticStream(spec, root.fork(2));
  const x = new Float64Array(d);
  const y = new Float64Array(q);
  const names = [...Array.from({ length: d }, (_, a) => `x${a + 1}`), ...(q === 1 ? ["y"] : Array.from({ length: q }, (_, j) => `y${j + 1}`))];
  const lines = [names.join(",")];
  for (let i = 0; i < rows; i++) {
    s.next(x, y);
    lines.push([...x, ...y].join(","));
  }
  return lines.join("\n") + "\n";
}

/** CSV text → NDJSON text (numbers only). */
export function csvToNdjson(csv: string): string {
  const [head, ...rows] = csv.trim().split("\n");
  const names = head.split(",");
  return rows.map((r) => JSON.stringify(Object.fromEntries(r.split(",").map((v, i) => [names[i], Number(v)])))).join("\n") + "\n";
}

export function writeText(path: string, text: string): string {
  writeFileSync(path, text);
  return path;
}

/** Parses numeric CSV output with a header into {header, rows}. */
export function parseCsv(text: string): { header: string[]; rows: number[][] } {
  const lines = text.trim().split("\n");
  return { header: lines[0].split(","), rows: lines.slice(1).map((l) => l.split(",").map(Number)) };
}

/**
 * Asserts |a − b| ≤ tol elementwise over two parsed prediction tables, with the row, column and
 * values in the message.
 */
export function assertTablesClose(a: { header: string[]; rows: number[][] }, b: { header: string[]; rows: number[][] }, tol: number): void {
  assert.deepEqual(a.header, b.header);
  assert.equal(a.rows.length, b.rows.length, "row count");
  for (let i = 0; i < a.rows.length; i++) {
    for (let j = 0; j < a.header.length; j++) {
      const u = a.rows[i][j];
      const v = b.rows[i][j];
      assert.ok(Math.abs(u - v) <= tol, `row ${i + 1}, column ${a.header[j]}: ${u} vs ${v}, |diff| ${Math.abs(u - v)} > ${tol}`);
    }
  }
}

/** The error contract: a non-empty stderr of exactly one line, starting "ismm: ", no stack trace. */
export function assertOneLineError(r: RunResult, code: number, ...parts: (string | RegExp)[]): void {
  assert.equal(r.code, code, `exit code ${r.code} (expected ${code}); stderr: ${r.stderr}`);
  const lines = r.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `expected one stderr line, got:\n${r.stderr}`);
  assert.match(lines[0], /^ismm: /);
  assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  for (const p of parts) {
    if (typeof p === "string") assert.ok(lines[0].includes(p), `stderr ${JSON.stringify(lines[0])} should contain ${JSON.stringify(p)}`);
    else assert.match(lines[0], p);
  }
}
