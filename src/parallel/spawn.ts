/**
 * Starts a worker script of this folder. Compiled (dist/), that is `<name>.js`. Run from source under
 * tsx (tests, scripts), the worker loads `<name>.ts` through tsx's synchronous CommonJS hook instead
 * of inheriting tsx's ESM loader, whose hooks thread cannot serve a worker while the main thread
 * blocks in Atomics.wait (measured: the worker never starts).
 */
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";

export function startWorker(name: string, workerData: unknown): Worker {
  if (!import.meta.url.endsWith(".ts")) return new Worker(new URL(`./${name}.js`, import.meta.url), { workerData });
  const req = createRequire(import.meta.url);
  const code = `require(${JSON.stringify(req.resolve("tsx/cjs"))}); require(${JSON.stringify(fileURLToPath(new URL(`./${name}.ts`, import.meta.url)))});`;
  return new Worker(code, { eval: true, workerData, execArgv: [] });
}
