/**
 * The flags of `ismm fit redis://…` (the scale-out worker), kept apart from fit-redis.ts so that
 * `fit` on a file never loads the Redis client.
 */
import type { FlagSpec } from "./args.js";

/** Default --claim-idle (ms): far above one batch's learn-and-commit time (milliseconds), short enough to recover a dead worker's rows soon. */
export const DEFAULT_CLAIM_IDLE_MS = 5000;
/** Default --redis-retry (ms). */
export const DEFAULT_REDIS_RETRY_MS = 30000;
/** Default rows per batch when --batch-size is not given. */
export const DEFAULT_REDIS_BATCH = 256;

export const REDIS_FLAGS: readonly FlagSpec[] = [
  { name: "group", kind: "string", value: "G", doc: "consumer group of the workers that fit one model (created at the start of the stream if missing); needed with redis://" },
  { name: "consumer", kind: "string", value: "NAME", doc: "this worker's consumer name (default host-pid); restarting with the same name takes its pending entries back at once" },
  { name: "until-drained", kind: "boolean", doc: "stop when the group has no undelivered and no pending entry (default: wait for new entries until Ctrl-C)" },
  { name: "claim-idle", kind: "string", value: "MS", doc: `take over other consumers' entries pending longer than this, e.g. of a killed worker (default ${DEFAULT_CLAIM_IDLE_MS})` },
  { name: "redis-retry", kind: "string", value: "MS", doc: `keep reconnecting a lost connection this long before failing (default ${DEFAULT_REDIS_RETRY_MS})` },
];
