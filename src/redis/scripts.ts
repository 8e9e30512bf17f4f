/**
 * The two Lua scripts of the shared model, each atomic on the server (docs/SCALE-OUT.md):
 *
 * load   (KEYS version, state, stream; ARGV cachedVersion, group, id…)
 *        → [version or nil, state JSON if the version differs from cachedVersion (else nil),
 *           one character per id: "1" still pending in the group (not acknowledged), "0" not]
 *
 * turn   (KEYS version, state, stream, turn; ARGV cachedVersion, group, owner, ms, id…)
 *        → [0] when another worker holds the turn (SET NX PX), else takes or renews it for `ms`
 *          and returns [1, then what load returns]
 *
 * commit (KEYS version, state, stream, turn; ARGV expectedVersion ("" = no model yet), newVersion,
 *         state JSON, group, owner, id…)
 *        → -1 when the version is not expectedVersion, -2 when an id is no longer pending
 *          (both: nothing written), else the number of ids acknowledged (= every id): the new
 *          state, the new version, the XACK of exactly these ids and the release of the owner's
 *          turn are one atomic step.
 */
import type { Redis } from "ioredis";

const PENDING = `
local function pending(stream, group, id)
  local p = redis.call('XPENDING', stream, group, id, id, 1)
  return #p > 0
end
`;

/** The load's body: ids from ARGV[first]. */
const LOAD_BODY = (first: number, head: string): string => `
local v = redis.call('GET', KEYS[1])
local state = false
if v and v ~= ARGV[1] then state = redis.call('GET', KEYS[2]) end
local flags = {}
for i = ${first}, #ARGV do
  flags[#flags + 1] = pending(KEYS[3], ARGV[2], ARGV[i]) and '1' or '0'
end
return {${head}v, state, table.concat(flags)}
`;

const LOAD = `${PENDING}${LOAD_BODY(3, "")}`;

const TURN = `${PENDING}
if redis.call('GET', KEYS[4]) == ARGV[3] then
  redis.call('PEXPIRE', KEYS[4], ARGV[4])
elseif not redis.call('SET', KEYS[4], ARGV[3], 'NX', 'PX', ARGV[4]) then
  return {0}
end
${LOAD_BODY(5, "1, ")}`;

const COMMIT = `${PENDING}
local v = redis.call('GET', KEYS[1])
if (v or '') ~= ARGV[1] then return -1 end
for i = 6, #ARGV do
  if not pending(KEYS[3], ARGV[4], ARGV[i]) then return -2 end
end
redis.call('SET', KEYS[2], ARGV[3])
redis.call('SET', KEYS[1], ARGV[2])
if redis.call('GET', KEYS[4]) == ARGV[5] then redis.call('DEL', KEYS[4]) end
local acked = 0
local chunk = {}
for i = 6, #ARGV do
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

/** version, state, stream and turn keys. */
export type ScriptKeys = readonly [string, string, string, string];

export interface ModelScripts {
  load(keys: ScriptKeys, cachedVersion: string, group: string, ids: readonly string[]): Promise<[string | null, string | null, string]>;
  turn(keys: ScriptKeys, cachedVersion: string, group: string, owner: string, ms: number, ids: readonly string[]): Promise<[0] | [1, string | null, string | null, string]>;
  commit(keys: ScriptKeys, expected: string, next: string, state: string, group: string, owner: string, ids: readonly string[]): Promise<number>;
  unlock(lock: string, owner: string): Promise<number>;
}

type Scripted = Redis & {
  ismmLoad(...args: (string | number)[]): Promise<[string | null, string | null, string]>;
  ismmTurn(...args: (string | number)[]): Promise<[0] | [1, string | null, string | null, string]>;
  ismmCommit(...args: (string | number)[]): Promise<number>;
  ismmUnlock(...args: (string | number)[]): Promise<number>;
};

/** Registers the scripts on `redis` (EVALSHA, with EVAL when the server's script cache is empty, e.g. after a restart). */
export function modelScripts(redis: Redis): ModelScripts {
  redis.defineCommand("ismmLoad", { numberOfKeys: 3, lua: LOAD });
  redis.defineCommand("ismmTurn", { numberOfKeys: 4, lua: TURN });
  redis.defineCommand("ismmCommit", { numberOfKeys: 4, lua: COMMIT });
  redis.defineCommand("ismmUnlock", { numberOfKeys: 1, lua: UNLOCK });
  const r = redis as Scripted;
  return {
    load: (keys, cachedVersion, group, ids) => r.ismmLoad(keys[0], keys[1], keys[2], cachedVersion, group, ...ids),
    turn: (keys, cachedVersion, group, owner, ms, ids) => r.ismmTurn(...keys, cachedVersion, group, owner, ms, ...ids),
    commit: (keys, expected, next, state, group, owner, ids) => r.ismmCommit(...keys, expected, next, state, group, owner, ...ids),
    unlock: (lock, owner) => r.ismmUnlock(lock, owner),
  };
}
