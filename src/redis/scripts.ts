/**
 * The two Lua scripts of the shared model, each atomic on the server (docs/SCALE-OUT.md):
 *
 * load   (KEYS version, state, stream; ARGV cachedVersion, group, id…)
 *        → [version or nil, state JSON if the version differs from cachedVersion (else nil),
 *           one character per id: "1" still pending in the group (not acknowledged), "0" not]
 *
 * commit (KEYS version, state, stream; ARGV expectedVersion ("" = no model yet), newVersion,
 *         state JSON, group, id…)
 *        → -1 when the version is not expectedVersion, -2 when an id is no longer pending
 *          (both: nothing written), else the number of ids acknowledged (= every id): the new
 *          state, the new version and the XACK of exactly these ids are one atomic step.
 */
import type { Redis } from "ioredis";

const PENDING = `
local function pending(stream, group, id)
  local p = redis.call('XPENDING', stream, group, id, id, 1)
  return #p > 0
end
`;

const LOAD = `${PENDING}
local v = redis.call('GET', KEYS[1])
local state = false
if v and v ~= ARGV[1] then state = redis.call('GET', KEYS[2]) end
local flags = {}
for i = 3, #ARGV do
  flags[#flags + 1] = pending(KEYS[3], ARGV[2], ARGV[i]) and '1' or '0'
end
return {v, state, table.concat(flags)}
`;

const COMMIT = `${PENDING}
local v = redis.call('GET', KEYS[1])
if (v or '') ~= ARGV[1] then return -1 end
for i = 5, #ARGV do
  if not pending(KEYS[3], ARGV[4], ARGV[i]) then return -2 end
end
redis.call('SET', KEYS[2], ARGV[3])
redis.call('SET', KEYS[1], ARGV[2])
local acked = 0
local chunk = {}
for i = 5, #ARGV do
  chunk[#chunk + 1] = ARGV[i]
  if #chunk == 500 or i == #ARGV then
    acked = acked + redis.call('XACK', KEYS[3], ARGV[4], unpack(chunk))
    chunk = {}
  end
end
return acked
`;

/** Releases the initialization lock if this worker still holds it. */
const UNLOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

export interface ModelScripts {
  load(keys: readonly [string, string, string], cachedVersion: string, group: string, ids: readonly string[]): Promise<[string | null, string | null, string]>;
  commit(keys: readonly [string, string, string], expected: string, next: string, state: string, group: string, ids: readonly string[]): Promise<number>;
  unlock(lock: string, owner: string): Promise<number>;
}

type Scripted = Redis & {
  ismmLoad(...args: (string | number)[]): Promise<[string | null, string | null, string]>;
  ismmCommit(...args: (string | number)[]): Promise<number>;
  ismmUnlock(...args: (string | number)[]): Promise<number>;
};

/** Registers the scripts on `redis` (EVALSHA, with EVAL when the server's script cache is empty, e.g. after a restart). */
export function modelScripts(redis: Redis): ModelScripts {
  redis.defineCommand("ismmLoad", { numberOfKeys: 3, lua: LOAD });
  redis.defineCommand("ismmCommit", { numberOfKeys: 3, lua: COMMIT });
  redis.defineCommand("ismmUnlock", { numberOfKeys: 1, lua: UNLOCK });
  const r = redis as Scripted;
  return {
    load: (keys, cachedVersion, group, ids) => r.ismmLoad(...keys, cachedVersion, group, ...ids),
    commit: (keys, expected, next, state, group, ids) => r.ismmCommit(...keys, expected, next, state, group, ...ids),
    unlock: (lock, owner) => r.ismmUnlock(lock, owner),
  };
}
