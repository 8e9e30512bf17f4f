/**
 * The first model of a group: one worker (the holder of the initialization lock, SET NX PX) reads
 * entries until the model's initialization buffer is full (`initRows` rows), initializes, and
 * commits the initialized model with the XACK of every entry it read — so an entry is in the
 * buffer of the committed model iff it is acknowledged. With --until-drained, a stream shorter
 * than the buffer is fitted whole once the group has nothing else (`flush`).
 *
 * If the lock expires while the holder still works (an initialization longer than the lock) and a
 * second worker initializes too, only the first commit succeeds (its expected version is "no
 * model"); the loser's entries are still pending under its name and are learned as ordinary
 * batches. If the holder dies, its lock expires and its entries are claimed after --claim-idle.
 */
import type { Redis } from "ioredis";
import { InputError, MoeRegressor } from "../index.js";
import { featureColumns, parseEntries, type ParsedEntries, type RawEntry } from "./entries.js";
import type { GroupReader } from "./group.js";
import type { ModelScripts } from "./scripts.js";
import type { SharedModel } from "./shared-model.js";
import { addSkipped, learnRows } from "./learn.js";
import type { WorkerConfig } from "./worker.js";

/** Initialization lock lifetime (ms), renewed after every read while initializing. */
export const INIT_LOCK_MS = 15000;

export type InitOutcome = "waiting" | { committed: boolean; rows: number; parsed: ParsedEntries };

export async function initialize(
  redis: Redis,
  scripts: ModelScripts,
  shared: SharedModel,
  reader: GroupReader,
  lock: string,
  cfg: WorkerConfig,
): Promise<InitOutcome> {
  if ((await redis.set(lock, cfg.consumer, "PX", INIT_LOCK_MS, "NX")) !== "OK") return "waiting";
  try {
    const held = new Set<string>();
    const entries: RawEntry[] = [];
    const model = new MoeRegressor(cfg.options);
    let features: string[] | null = null;
    let parsedAll: ParsedEntries | null = null;
    while (!model.isInitialized) {
      if (cfg.stopRequested?.() === true) return "waiting"; // the entries read stay pending: claimed later
      const batch = (await reader.next(cfg.batchSize)).filter(([id]) => !held.has(id));
      await redis.pexpire(lock, INIT_LOCK_MS);
      if (batch.length === 0) {
        if (!cfg.untilDrained) continue;
        const s = await reader.status();
        if (s.undelivered || s.pending > held.size) continue;
        // End of the data: fit what the buffer holds (a short stream), or let the caller report none.
        if (held.size === 0) return "waiting";
        if (model.nSeen === 0) {
          throw new InputError(`${cfg.address.label}: none of the ${held.size} entries of the stream is a valid row (group '${cfg.group}')`);
        }
        model.flush();
        break;
      }
      for (const e of batch) held.add(e[0]);
      entries.push(...batch);
      if (features === null) {
        const first = batch.find((e) => e[1] !== null);
        if (first === undefined) continue;
        features = featureColumns(first, cfg.targets, cfg.features, cfg.address.label);
        model.meta = { ...cfg.meta, targets: [...cfg.targets], features };
      }
      const parsed = parseEntries(batch, { features, targets: cfg.targets }, cfg.address.label, cfg.skipInvalid);
      learnRows(model, parsed.X, parsed.Y, parsed.m);
      addSkipped(model, parsed.skipped.length);
    }
    if (features === null) throw new InputError(`${cfg.address.label}: no entry to initialize from`);
    parsedAll = parseEntries(entries, { features, targets: cfg.targets }, cfg.address.label, true);
    const committed = await shared.commitFirst(model, parsedAll.ids);
    if (!committed) reader.rewind(); // another worker's model came first: learn these entries as batches
    return { committed, rows: parsedAll.m, parsed: parsedAll };
  } finally {
    await scripts.unlock(lock, cfg.consumer).catch(() => undefined);
  }
}
