/**
 * A worker's view of the consumer group: where its next entries come from and when the group is
 * drained.
 *
 * Next entries, first source that has any:
 *  1. its own pending entries (delivered to this consumer name, not acknowledged: a restart with
 *     the same --consumer, or a batch whose commit lost the race with the initialization);
 *  2. entries idle longer than --claim-idle in other consumers' pending lists (XAUTOCLAIM: a worker
 *     that died, or one far slower than --claim-idle);
 *  3. new entries (XREADGROUP >, blocking for a short while).
 * Drained: no undelivered entry (the group's last-delivered-id is the stream's last-generated-id)
 * and no pending entry.
 */
import type { Redis } from "ioredis";
import type { RawEntry } from "./entries.js";

export interface GroupReader {
  /** Up to `count` entries (empty after `blockMs` without any). */
  next(count: number): Promise<RawEntry[]>;
  /** Pending entries of the whole group, and whether any entry was never delivered. */
  status(): Promise<{ pending: number; undelivered: boolean }>;
  /** Entries claimed from other consumers so far. */
  readonly claimed: number;
  /** Reads this consumer's own pending entries from the start again (they are read once, in id order). */
  rewind(): void;
}

/** `ms-seq` ids compared numerically. */
export function compareIds(a: string, b: string): number {
  const [am, as] = a.split("-").map((s) => BigInt(s));
  const [bm, bs] = b.split("-").map((s) => BigInt(s));
  if (am !== bm) return am < bm ? -1 : 1;
  if (as !== bs) return (as ?? 0n) < (bs ?? 0n) ? -1 : 1;
  return 0;
}

/** A flat [k, v, k, v, …] reply as a map. */
function pairs(reply: unknown[]): Map<string, unknown> {
  const m = new Map<string, unknown>();
  for (let i = 0; i + 1 < reply.length; i += 2) m.set(String(reply[i]), reply[i + 1]);
  return m;
}

/** Creates the group at the start of the stream (and the stream) unless it exists. */
export async function ensureGroup(redis: Redis, stream: string, group: string): Promise<void> {
  try {
    await redis.xgroup("CREATE", stream, group, "0", "MKSTREAM");
  } catch (err) {
    if (!(err instanceof Error && /BUSYGROUP/.test(err.message))) throw err;
  }
}

type StreamReply = [string, RawEntry[]][] | null;

export function groupReader(redis: Redis, stream: string, group: string, consumer: string, claimIdle: number, blockMs: number): GroupReader {
  let claimCursor = "0-0";
  let lastClaim = 0;
  let claimed = 0;
  let ownCursor = "0";
  let ownDone = false; // own pending entries all read: none appear again until rewind()
  const read = async (count: number, from: string, block: boolean): Promise<RawEntry[]> => {
    const reply = (block
      ? await redis.xreadgroup("GROUP", group, consumer, "COUNT", count, "BLOCK", blockMs, "STREAMS", stream, from)
      : await redis.xreadgroup("GROUP", group, consumer, "COUNT", count, "STREAMS", stream, from)) as StreamReply;
    return reply === null || reply.length === 0 ? [] : reply[0][1];
  };
  const claim = async (count: number): Promise<RawEntry[]> => {
    lastClaim = Date.now();
    const reply = (await redis.xautoclaim(stream, group, consumer, claimIdle, claimCursor, "COUNT", count)) as [string, RawEntry[], string[]?];
    claimCursor = reply[0];
    claimed += reply[1].length;
    return reply[1];
  };
  return {
    get claimed() {
      return claimed;
    },
    rewind() {
      ownCursor = "0";
      ownDone = false;
    },
    async next(count) {
      if (!ownDone) {
        const own = await read(count, ownCursor, false);
        if (own.length > 0) {
          ownCursor = own[own.length - 1][0];
          return own;
        }
        ownDone = true;
      }
      // Claims are looked for when nothing new arrives, and at least every claimIdle/2 ms.
      if (Date.now() - lastClaim >= claimIdle / 2) {
        const c = await claim(count);
        if (c.length > 0) return c;
      }
      const fresh = await read(count, ">", true);
      if (fresh.length > 0) return fresh;
      return claim(count);
    },
    async status() {
      const groups = (await redis.xinfo("GROUPS", stream)) as unknown[][];
      const g = groups.map(pairs).find((m) => m.get("name") === group);
      const info = pairs((await redis.xinfo("STREAM", stream)) as unknown[]);
      const pending = Number(g?.get("pending") ?? 0);
      const delivered = String(g?.get("last-delivered-id") ?? "0-0");
      const last = String(info.get("last-generated-id") ?? "0-0");
      return { pending, undelivered: compareIds(delivered, last) < 0 };
    },
  };
}
