/**
 * Faults: a worker SIGKILLed mid-run and restarted, and Redis itself restarted (AOF, fsync on every
 * write) mid-run, lose no row and learn none twice (nSeen = rows exactly, nothing pending); a
 * connection lost for good ends the worker with one line.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { assertOneLineError, collect, ismm, spawnIsmm, syntheticCsv, tempDir } from "../cli/helpers.js";
import { commitNumber, csvRows, groupState, learnedRows, loadRows, NO_REDIS, RedisServer, sharedModel, waitFor } from "./server.js";

const ROWS = 8000;

describe("redis: faults", { skip: NO_REDIS }, () => {
  const tmp = tempDir();
  const servers: RedisServer[] = [];
  after(async () => {
    for (const s of servers) await s.close();
    tmp.cleanup();
  });
  const start = async (appendonly = false): Promise<RedisServer> => {
    const s = await RedisServer.start({ appendonly });
    servers.push(s);
    return s;
  };
  const worker = (s: RedisServer, name: string, out: string, extra: string[] = []) =>
    spawnIsmm(["fit", s.url("rows"), "--group", "g", "--consumer", name, "-t", "y", "--batch-size", "40", "--claim-idle", "300", "--until-drained", "-o", out, ...extra]);

  it("a worker SIGKILLed mid-run: the others and its restart (a new consumer) learn every row exactly once", async () => {
    const s = await start();
    const redis = s.client();
    const [names, rows] = csvRows(syntheticCsv(ROWS, 31));
    await loadRows(redis, "rows", names, rows);
    const a = collect(worker(s, "a", join(tmp.dir, "a.json")));
    const victim = worker(s, "b", join(tmp.dir, "b.json"));
    const killed = collect(victim);
    // Kill it once the model is initialized and some batches are committed, while it holds entries
    // (delivered, not acknowledged: they must be claimed by another worker).
    const holds = async (): Promise<boolean> => ((await redis.xpending("rows", "g", "-", "+", 10, "b")) as unknown[]).length > 0;
    await waitFor(async () => (await commitNumber(redis, "rows", "g")) >= 5 && (await holds()), 30000, "five commits, entries held by b");
    victim.kill("SIGKILL");
    assert.equal((await killed).signal, "SIGKILL");
    const restarted = await collect(worker(s, "b2", join(tmp.dir, "b2.json")));
    const first = await a;
    assert.equal(first.code, 0, first.stderr);
    assert.equal(restarted.code, 0, restarted.stderr);
    for (const f of ["a.json", "b2.json"]) assert.equal((JSON.parse(readFileSync(join(tmp.dir, f), "utf8")) as { nSeen: number }).nSeen, ROWS);
    const shared = await sharedModel(redis, "rows", "g");
    assert.equal(shared.nSeen, ROWS);
    assert.equal(shared.nLearned + (shared.initialization?.rows ?? 0), ROWS);
    assert.deepEqual(await groupState(redis, "rows", "g"), { pending: 0, lag: 0 });
  });

  it("with --claim-idle 1 (turns expire at once, workers claim each other's entries all the time) every row is still learned once", async () => {
    const s = await start();
    const redis = s.client();
    const [names, rows] = csvRows(syntheticCsv(4000, 35));
    await loadRows(redis, "rows", names, rows);
    const churn = (name: string) =>
      collect(spawnIsmm(["fit", s.url("rows"), "--group", "g", "--consumer", name, "-t", "y", "--batch-size", "50", "--claim-idle", "1", "--until-drained", "-v"]));
    const runs = await Promise.all([churn("a"), churn("b"), churn("c")]);
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    assert.equal(runs.reduce((n, r) => n + learnedRows(r.stdout), 0), 4000);
    assert.equal((await sharedModel(redis, "rows", "g")).nSeen, 4000);
    assert.deepEqual(await groupState(redis, "rows", "g"), { pending: 0, lag: 0 });
  });

  it("restarting with the same --consumer name takes its pending entries back at once", async () => {
    const s = await start();
    const redis = s.client();
    const [names, rows] = csvRows(syntheticCsv(3000, 32));
    await loadRows(redis, "rows", names, rows);
    const first = await ismm(["fit", s.url("rows"), "--group", "g", "--consumer", "init", "-t", "y", "--until-drained"]);
    assert.equal(first.code, 0, first.stderr);
    // All learned by now; add 500 more rows and deliver them to "c", which "dies" before learning them.
    await loadRows(redis, "rows", names, rows.slice(0, 500));
    await redis.xreadgroup("GROUP", "g", "c", "COUNT", 500, "STREAMS", "rows", ">");
    // A long --claim-idle: only the restart of "c" itself can learn them now.
    const back = await ismm(["fit", s.url("rows"), "--group", "g", "--consumer", "c", "-t", "y", "--claim-idle", "600000", "--until-drained"]);
    assert.equal(back.code, 0, back.stderr);
    assert.equal(learnedRows(back.stdout), 500);
    assert.equal((await sharedModel(redis, "rows", "g")).nSeen, 3500);
  });

  it("Redis restarted mid-run (AOF): the workers reconnect and every row is learned exactly once", async () => {
    const s = await start(true);
    const redis = s.client();
    const [names, rows] = csvRows(syntheticCsv(ROWS, 33));
    await loadRows(redis, "rows", names, rows);
    const runs = [collect(worker(s, "a", join(tmp.dir, "ra.json"))), collect(worker(s, "b", join(tmp.dir, "rb.json")))];
    await waitFor(async () => (await commitNumber(redis, "rows", "g")) >= 5, 30000, "five commits");
    await s.stop("SIGKILL"); // no shutdown save: only the AOF (fsync always) survives
    await new Promise((r) => setTimeout(r, 500));
    await s.launch();
    for (const r of await Promise.all(runs)) assert.equal(r.code, 0, r.stderr);
    const shared = await sharedModel(redis, "rows", "g");
    assert.equal(shared.nSeen, ROWS);
    assert.deepEqual(await groupState(redis, "rows", "g"), { pending: 0, lag: 0 });
  });

  it("a connection lost for good ends the worker with one line, exit 1", async () => {
    const s = await start();
    const redis = s.client();
    const [names, rows] = csvRows(syntheticCsv(ROWS, 34));
    await loadRows(redis, "rows", names, rows);
    const w = collect(worker(s, "a", join(tmp.dir, "lost.json"), ["--redis-retry", "500"]));
    const probe = s.client();
    await waitFor(async () => (await commitNumber(probe, "rows", "g")) >= 2, 30000, "two commits");
    probe.disconnect();
    await s.stop("SIGKILL");
    const r = await w;
    assertOneLineError(r, 1, /^ismm: lost the connection to 127\.0\.0\.1:\d+ .*could not reconnect within 0\.5 s \(--redis-retry\)/);
  });
});
