/**
 * One worker's connection to Redis (ioredis), with the failure policy of a scale-out fit:
 *
 * - a lost connection is retried with exponential backoff (0.1 s, 0.2 s, … at most 2 s between
 *   tries) for `retryMs`; commands wait meanwhile (ioredis' offline queue). A command that was
 *   sent but not answered when the connection dropped is sent again after the reconnection: the
 *   commit script checks the model version first, so a commit that had already run is refused the
 *   second time and nothing is committed twice (docs/SCALE-OUT.md).
 * - after `retryMs` without a connection, or on an authentication failure, every command fails
 *   with one `RedisError` line (exit 1).
 */
import { Redis, type RedisOptions } from "ioredis";
import { IsmmError } from "../index.js";
import type { RedisAddress } from "./address.js";

/** A Redis problem the worker cannot get past (connection lost for good, authentication, a server error). */
export class RedisError extends IsmmError {
  constructor(message: string) {
    super("E_REDIS", message);
  }
}

const AUTH_FAILURE = /^(WRONGPASS|NOAUTH|NOPERM)\b/;

export interface Connection {
  readonly redis: Redis;
  /** Turns any error of a Redis call into the error to report (a RedisError for Redis' own problems). */
  failure(err: unknown): unknown;
  close(): void;
}

/** Connects (with the retry policy above); rejects with a RedisError when it cannot. */
export async function connect(address: RedisAddress, retryMs: number): Promise<Connection> {
  let downSince: number | null = null;
  let lastError = "";
  let authError: string | null = null;
  let gaveUp = false;
  const options: RedisOptions = {
    host: address.host,
    port: address.port,
    username: address.username,
    password: address.password,
    lazyConnect: true,
    // Commands wait for the reconnection instead of failing after a number of tries.
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    autoResendUnfulfilledCommands: true,
    connectTimeout: Math.max(1000, Math.min(10000, retryMs)),
    retryStrategy: (times: number) => {
      const now = Date.now();
      downSince ??= now;
      if (authError !== null || now - downSince >= retryMs) {
        gaveUp = true;
        return null;
      }
      return Math.min(100 * 2 ** Math.min(times - 1, 5), 2000, Math.max(1, retryMs - (now - downSince)));
    },
  };
  const redis = new Redis(options);
  redis.on("error", (err: Error) => {
    lastError = err.message;
    if (AUTH_FAILURE.test(err.message)) {
      authError = err.message;
      gaveUp = true;
      redis.disconnect();
    }
  });
  redis.on("close", () => {
    downSince ??= Date.now();
  });
  redis.on("ready", () => {
    downSince = null;
  });
  const where = `${address.host}:${address.port}`;
  const failure = (err: unknown): unknown => {
    if (authError !== null) {
      return new RedisError(`${address.label}: authentication failed: ${authError.replace(/\s+$/, "")} (check user:password in the address)`);
    }
    if (gaveUp || (err instanceof Error && /Connection is closed|Stream isn't writeable/.test(err.message))) {
      const why = lastError !== "" ? ` (${lastError})` : "";
      return new RedisError(
        `lost the connection to ${where}${why} and could not reconnect within ${(retryMs / 1000).toFixed(1)} s (--redis-retry); ` +
          "every committed batch is complete and the others are still pending in the group: rerun the worker to go on",
      );
    }
    if (err instanceof Error && err.name === "ReplyError") return new RedisError(`${address.label}: Redis refused a command: ${err.message}`);
    return err;
  };
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    const f = failure(err);
    if (f instanceof RedisError && authError === null && !/lost the connection/.test(f.message)) throw f;
    if (authError !== null) throw f;
    throw new RedisError(`cannot connect to ${where}${lastError !== "" ? ` (${lastError})` : ""} within ${(retryMs / 1000).toFixed(1)} s (--redis-retry)`);
  }
  return { redis, failure, close: () => redis.disconnect() };
}
