/**
 * `ismm fit redis://[user:pass@]HOST:PORT/STREAM --group G …`: one scale-out worker. Several, on
 * any machines, fit one model from the stream (docs/SCALE-OUT.md); each may write the shared model
 * as it is when the worker stops to --out (the model file `predict`/`evaluate` read).
 */
import { hostname } from "node:os";
import { MoeRegressor, resolveOptions } from "../index.js";
import { parseRedisAddress } from "../redis/address.js";
import { connect } from "../redis/connection.js";
import { SKIPPED_META } from "../redis/learn.js";
import { runWorker, type WorkerProgress } from "../redis/worker.js";
import { estimatorOptions, optionFlag, type Flags } from "./args.js";
import { writeFileAtomic } from "./atomic-write.js";
import { fmtInt, fmtSeconds, type Ctx } from "./context.js";
import { UsageError } from "./errors.js";
import { columnList, loadableModelJson } from "./fit.js";
import { checkOutputs } from "./outputs.js";
import { Progress } from "./progress.js";
import { DEFAULT_CLAIM_IDLE_MS, DEFAULT_REDIS_BATCH, DEFAULT_REDIS_RETRY_MS } from "./redis-flags.js";
import { packageVersion } from "./version.js";

/** File-only flags: a stream is read once, by several workers, with no local checkpoint. */
const FILE_ONLY = ["epochs", "checkpoint", "checkpoint-every", "resume", "prequential-out", "format"];

/** The shared model was started with other columns or options than this worker's command line. */
function checkAgainst(model: MoeRegressor, targets: readonly string[], features: readonly string[] | undefined, given: Record<string, unknown>, where: string): void {
  const cmd = "fit";
  const stored = model.meta;
  const same = (a: unknown, b: readonly string[]): boolean => Array.isArray(a) && a.length === b.length && a.every((v, i) => v === b[i]);
  if (!same(stored.targets, targets)) {
    throw new UsageError(`the model of ${where} learns --target ${(stored.targets as string[]).join(",")}, not ${targets.join(",")}: use the same columns on every worker`, cmd);
  }
  if (features !== undefined && !same(stored.features, features)) {
    throw new UsageError(`the model of ${where} has --features ${(stored.features as string[]).join(",")}, not ${features.join(",")}: use the same columns on every worker`, cmd);
  }
  const resolved = resolveOptions(given) as unknown as Record<string, unknown>;
  const options = model.options as unknown as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (key === "batchSize" || key === "threads") continue; // this worker's batch and threads: its own
    if (resolved[key] !== options[key]) {
      throw new UsageError(`the model of ${where} was started with --${optionFlag(key)} ${String(options[key])}, not ${String(resolved[key])}: the first worker's options hold for all`, cmd);
    }
  }
}

export async function fitRedis(flags: Flags, ctx: Ctx, source: string): Promise<number> {
  const cmd = "fit";
  const t0 = performance.now();
  for (const f of FILE_ONLY) {
    if (flags.has(f)) throw new UsageError(`--${f} is for files; a redis:// stream is read once, by every worker of the group together`, cmd);
  }
  const group = flags.str("group");
  if (group === undefined || group === "") throw new UsageError("fit from redis:// needs --group <name> (the workers of one model share a group)", cmd);
  const targets = columnList(flags.list("target"), "target", cmd);
  if (targets.length === 0) throw new UsageError("fit needs at least one --target column", cmd);
  const features = flags.has("features") ? columnList(flags.list("features"), "features", cmd) : undefined;
  const both = features?.find((f) => targets.includes(f));
  if (both !== undefined) throw new UsageError(`column '${both}' is both a --target and in --features`, cmd);
  const out = flags.str("out");
  checkOutputs(cmd, [{ flag: "out", path: out }], []);
  const consumer = flags.str("consumer") ?? `${hostname()}-${process.pid}`;
  if (consumer === "") throw new UsageError("--consumer needs a non-empty name", cmd);
  const claimIdle = flags.int("claim-idle", DEFAULT_CLAIM_IDLE_MS, 1);
  const retryMs = flags.int("redis-retry", DEFAULT_REDIS_RETRY_MS, 0);
  const batchSize = flags.int("batch-size", DEFAULT_REDIS_BATCH, 1, 1_000_000);
  const skipInvalid = flags.bool("skip-invalid");
  const given = estimatorOptions(flags);
  // The model's batchSize records the batches of the worker that created it (each commit is one step).
  const options = { ...given, batchSize };
  const address = parseRedisAddress(source);
  const where = `${address.label} (group '${group}')`;
  ctx.detail(`ismm ${packageVersion()}, node ${process.version}; worker '${consumer}' on ${where}, batches of ${batchSize} rows`);

  let stop = false;
  const onSignal = (): void => {
    if (stop) process.exit(130);
    stop = true;
    ctx.info("ismm: stopping after the current batch (Ctrl-C again to stop at once: nothing is half-committed)");
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const conn = await connect(address, retryMs);
  const progress = new Progress(ctx.progress, ctx.tty, "fit");
  let result;
  try {
    result = await runWorker(conn.redis, {
      address, group, consumer, batchSize, threads: Object.hasOwn(given, "threads") ? (given.threads as number | null) : undefined, claimIdle, untilDrained: flags.bool("until-drained"), skipInvalid, targets, features,
      options,
      meta: { tool: "ismm", command: "fit", source: address.label, format: "redis", group, skipInvalid },
      stopRequested: () => stop,
      onModel: (model) => checkAgainst(model, targets, features, given, where),
      onProgress: !ctx.progress ? undefined : (p: WorkerProgress) => progress.update({ rows: p.rows, loss: NaN, extra: `model ${fmtInt(p.modelRows)} rows, ${p.conflicts} conflicts` }),
    });
  } catch (err) {
    throw conn.failure(err);
  } finally {
    conn.close();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  progress.done();
  const model = result.model;
  try {
    model.finish();
  } catch (err) {
    throw conn.failure(err);
  }
  try {
    if (out !== undefined) await writeFileAtomic(out, loadableModelJson(model) + "\n");
  } finally {
    model.close();
  }
  if (result.skipped > 0) ctx.info(`ismm: this worker skipped ${fmtInt(result.skipped)} invalid entr${result.skipped === 1 ? "y" : "ies"} (first: ${result.reasons[0]})`);
  for (const w of model.warnings()) ctx.warn(w);
  const attempts = result.commits + result.conflicts;
  const ms = performance.now() - t0;
  const skippedAll = Number(model.meta[SKIPPED_META] ?? 0);
  ctx.out(
    `ismm fit: ${where}: worker '${consumer}' ${result.stopped === "drained" ? "drained the group" : "stopped"}; it learned ${fmtInt(result.rows)} rows in ${result.commits} commits` +
      ` (${result.conflicts} conflicts, retry rate ${attempts > 0 ? ((100 * result.conflicts) / attempts).toFixed(1) : "0.0"}%)${result.initialized ? " and initialized the model" : ""} in ${fmtSeconds(ms)};` +
      ` the model has seen ${fmtInt(model.nSeen)} rows${skippedAll > 0 ? ` (${fmtInt(skippedAll)} entries skipped)` : ""}${out !== undefined ? `; model written to ${out}` : ""}`,
  );
  ctx.detail(`rows/s of this worker ${fmtInt(result.rows / Math.max(ms / 1000, 1e-9))}; snapshots reloaded ${result.reloads}; waits for the turn ${result.waits}; entries claimed ${result.claimed}`);
  return result.stopped === "drained" ? 0 : 130;
}
