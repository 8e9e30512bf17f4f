/**
 * Bad input over the wire and authentication: a malformed entry is one located line naming the
 * entry id and the field (exit 1, nothing of its batch committed), or with --skip-invalid is
 * skipped, counted and acknowledged; passwords (requirepass, ACL users) in the address work, and a
 * wrong one is one clear line.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { assertOneLineError, ismm, syntheticCsv, tempDir } from "../cli/helpers.js";
import { csvRows, groupState, loadRows, NO_REDIS, RedisServer, sharedModel } from "./server.js";

describe("redis: malformed entries and authentication", { skip: NO_REDIS }, () => {
  const tmp = tempDir();
  const servers: RedisServer[] = [];
  after(async () => {
    for (const s of servers) await s.close();
    tmp.cleanup();
  });

  it("a malformed entry is a located error, or skipped and counted with --skip-invalid", async () => {
    const s = await RedisServer.start();
    servers.push(s);
    const redis = s.client();
    const [names, rows] = csvRows(syntheticCsv(2000, 41));
    rows[1500] = [rows[1500][0], "abc", rows[1500][2]]; // x2
    const missing = rows[1700].slice(0, 2); // no y
    const ids = await loadRows(redis, "rows", names, rows.slice(0, 1700));
    ids.push(...(await loadRows(redis, "rows", names.slice(0, 2), [missing])));
    ids.push(...(await loadRows(redis, "rows", names, rows.slice(1701))));
    const args = ["fit", s.url("rows"), "--group", "g", "-t", "y", "--batch-size", "100", "--until-drained"];
    const bad = await ismm(args);
    assertOneLineError(bad, 1, `ismm: redis://127.0.0.1:${s.port}/rows entry ${ids[1500]} (column 'x2'): non-numeric value "abc"`);
    // The batches before the bad one are committed; its batch is not.
    const before = await sharedModel(redis, "rows", "g");
    assert.equal(before.nSeen, 1500);

    const out = join(tmp.dir, "skip.json");
    // The failed worker's batch is still pending under its name: claimed after --claim-idle.
    const ok = await ismm([...args, "--skip-invalid", "--claim-idle", "200", "-o", out]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stderr, /skipped 2 invalid entries \(first: redis:\/\/127\.0\.0\.1:\d+\/rows entry \S+ \(column '(x2|y)'\): (non-numeric value "abc"|missing field)/);
    const m = JSON.parse(readFileSync(out, "utf8")) as { nSeen: number; meta: { skippedEntries: number } };
    assert.equal(m.nSeen, 1998);
    assert.equal(m.meta.skippedEntries, 2);
    assert.deepEqual(await groupState(redis, "rows", "g"), { pending: 0, lag: 0 });
  });

  it("a missing field names it", async () => {
    const s = await RedisServer.start();
    servers.push(s);
    const redis = s.client();
    const [id] = await loadRows(redis, "rows", ["x1", "x2"], [[1, 2]]);
    const r = await ismm(["fit", s.url("rows"), "--group", "g", "-t", "y", "--features", "x1,x2", "--until-drained"]);
    assertOneLineError(r, 1, `entry ${id} (column 'y'): missing field`);
  });

  it("a stream shorter than the initialization buffer is fitted whole once drained", async () => {
    const s = await RedisServer.start();
    servers.push(s);
    const redis = s.client();
    const [names, rows] = csvRows(syntheticCsv(400, 43));
    await loadRows(redis, "rows", names, rows);
    const r = await ismm(["fit", s.url("rows"), "--group", "g", "-t", "y", "--until-drained"]);
    assert.equal(r.code, 0, r.stderr);
    const m = await sharedModel(redis, "rows", "g");
    assert.equal(m.nSeen, 400);
    assert.equal(m.initialization?.rows, 400);
    assert.equal(m.initialization?.wholeData, true);
  });

  it("an empty stream is one line", async () => {
    const s = await RedisServer.start();
    servers.push(s);
    const r = await ismm(["fit", s.url("nothing"), "--group", "g", "-t", "y", "--until-drained"]);
    assertOneLineError(r, 1, "the stream has no entries to fit (group 'g')");
  });

  it("requirepass and ACL users: the password in the address works, a wrong one is one line", async () => {
    const s = await RedisServer.start({ requirepass: "s3cret", users: [["alice", "wonder land"]] });
    servers.push(s);
    const redis = s.client();
    const [names, rows] = csvRows(syntheticCsv(1500, 42));
    await loadRows(redis, "rows", names, rows);
    const fit = (auth: string | undefined, group: string) => ismm(["fit", s.url("rows", auth), "--group", group, "-t", "y", "--until-drained", "--redis-retry", "2000"]);
    const plain = await fit(":s3cret", "g1");
    assert.equal(plain.code, 0, plain.stderr);
    assert.doesNotMatch(plain.stdout, /s3cret/, "the password is never printed");
    const user = await fit("alice:wonder%20land", "g2");
    assert.equal(user.code, 0, user.stderr);
    assert.match(user.stdout, /redis:\/\/alice@127\.0\.0\.1:\d+\/rows/);
    assert.equal((await sharedModel(redis, "rows", "g2")).nSeen, 1500);
    assertOneLineError(await fit(":wrong", "g3"), 1, /authentication failed: WRONGPASS/);
    assertOneLineError(await fit(undefined, "g3"), 1, /authentication failed: NOAUTH/);
  });
});
