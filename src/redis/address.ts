/**
 * `redis://[user:pass@]HOST:PORT/STREAM`: where a scale-out fit reads its rows and keeps its shared
 * state, and the Redis keys derived from the stream and the consumer group.
 *
 * Keys share the stream's Redis Cluster hash slot: a stream named `rows` hashes as `rows`, and
 * `{rows}:ismm:G:…` hashes as `rows` too (the part between the first `{` and `}`), so the commit
 * script, which touches the stream and the state keys at once, runs on one shard. A stream name
 * with its own `{tag}` is used as the prefix as it is (its tag already decides its slot).
 */
import { DataError } from "../index.js";

export interface RedisAddress {
  readonly host: string;
  readonly port: number;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly stream: string;
  /** `redis://[user@]host:port/stream` without the password: for messages and the model's meta. */
  readonly label: string;
}

/** True when a data argument names a Redis stream rather than a file. */
export function isRedisSource(source: string): boolean {
  return /^redis:\/\//i.test(source);
}

/** Parses a `redis://` data argument; DataError (exit 1) naming what is wrong. */
export function parseRedisAddress(source: string): RedisAddress {
  let url: URL;
  try {
    url = new URL(source);
  } catch {
    throw new DataError("not a valid redis:// address; the form is redis://[user:password@]host:port/stream", { file: "redis://…" });
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  const port = url.port === "" ? 6379 : Number(url.port);
  const stream = decodeURIComponent(url.pathname.replace(/^\//, ""));
  const username = url.username === "" ? undefined : decodeURIComponent(url.username);
  const password = url.password === "" ? undefined : decodeURIComponent(url.password);
  const label = `redis://${username !== undefined ? `${encodeURIComponent(username)}@` : ""}${url.host}/${url.pathname.replace(/^\//, "")}`;
  if (host === "") throw new DataError("the address has no host; the form is redis://[user:password@]host:port/stream", { file: label });
  if (stream === "" || stream.includes("/")) {
    throw new DataError("the address must name one stream after the port (redis://host:port/stream)", { file: label });
  }
  if (url.search !== "" || url.hash !== "") throw new DataError("the address takes no ?query or #fragment", { file: label });
  return { host, port, username, password, stream, label };
}

/** The Redis keys of one model: the stream's rows are fitted by consumer group `group` into these. */
export interface ModelKeys {
  readonly stream: string;
  /** The model snapshot (the JSON of `MoeRegressor.toJSON()`). */
  readonly state: string;
  /** `n:tag`: n counts the commits; the random tag makes a value never reused (see docs/SCALE-OUT.md). */
  readonly version: string;
  /** Held (SET NX PX) by the one worker that initializes the model. */
  readonly initLock: string;
  /** Held (SET NX PX) by the worker whose batch is being learned and committed (see shared-model.ts). */
  readonly turn: string;
}

function hashTagged(stream: string): string {
  const open = stream.indexOf("{");
  if (open >= 0) {
    const close = stream.indexOf("}", open + 1);
    if (close > open + 1) return stream;
  }
  return `{${stream}}`;
}

export function modelKeys(stream: string, group: string): ModelKeys {
  const prefix = `${hashTagged(stream)}:ismm:${group}`;
  return { stream, state: `${prefix}:model`, version: `${prefix}:version`, initLock: `${prefix}:init-lock`, turn: `${prefix}:turn` };
}
