/** redis:// addresses and the model's keys (no server needed). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DataError } from "../../src/index.js";
import { isRedisSource, modelKeys, parseRedisAddress } from "../../src/redis/address.js";
import { parseEntries } from "../../src/redis/entries.js";

describe("redis address", () => {
  it("parses host, port, credentials and stream; the label has no password", () => {
    const a = parseRedisAddress("redis://alice:p%40ss@10.0.0.5:6380/my%20rows");
    assert.deepEqual({ ...a }, { host: "10.0.0.5", port: 6380, username: "alice", password: "p@ss", stream: "my rows", label: "redis://alice@10.0.0.5:6380/my%20rows" });
    const b = parseRedisAddress("redis://:pw@localhost/rows");
    assert.equal(b.port, 6379);
    assert.equal(b.username, undefined);
    assert.equal(b.password, "pw");
    assert.equal(b.label, "redis://localhost/rows");
    assert.ok(isRedisSource("REDIS://h/s") && !isRedisSource("data.csv"));
  });

  it("refuses an address without a stream, with a path or a query", () => {
    for (const bad of ["redis://h:1", "redis://h:1/", "redis://h:1/a/b", "redis://h:1/s?db=2"]) {
      assert.throws(() => parseRedisAddress(bad), DataError, bad);
    }
  });

  it("keys share the stream's Redis Cluster hash slot", () => {
    // The slot of a key with a {tag} is the slot of the tag: {rows}:… hashes as "rows", the stream's name.
    const k = modelKeys("rows", "g");
    for (const key of [k.state, k.version, k.initLock]) assert.ok(key.startsWith("{rows}:ismm:g:"), key);
    const tagged = modelKeys("a{shard1}b", "g");
    assert.ok(tagged.state.startsWith("a{shard1}b:ismm:g:"), "a stream with its own tag keeps it");
  });
});

describe("redis entries", () => {
  const cols = { features: ["x1", "x2"], targets: ["y"] };
  it("parses fields by name, ignoring others, in the model's column order", () => {
    const p = parseEntries([["1-0", ["y", "3", "x2", " 2 ", "other", "zz", "x1", "1e0"]]], cols, "redis://h:1/s", false);
    assert.deepEqual([...p.X], [1, 2]);
    assert.deepEqual([...p.Y], [3]);
  });
  it("locates a bad value by entry id and field; --skip-invalid counts it, deleted entries too", () => {
    const bad: [string, string[] | null][] = [["1-0", ["x1", "1", "x2", "NaN", "y", "0"]], ["2-0", ["x1", "1", "x2", "2", "y", "1e999"]], ["3-0", null], ["4-0", ["x1", "1", "x2", "2", "y", "5"]]];
    assert.throws(() => parseEntries(bad, cols, "redis://h:1/s", false), { message: "redis://h:1/s entry 1-0 (column 'x2'): non-finite value \"NaN\"" });
    const p = parseEntries(bad, cols, "redis://h:1/s", true);
    assert.equal(p.m, 1);
    assert.deepEqual(p.skipped, [0, 1, 2]);
    assert.deepEqual(p.ids, ["1-0", "2-0", "3-0", "4-0"]);
    assert.match(p.reasons[1], /entry 2-0 \(column 'y'\): non-finite value "1e999" \(outside the range of a double\)/);
  });
  it("refuses a value the model cannot compute with, and a field given twice", () => {
    assert.throws(() => parseEntries([["1-0", ["x1", "1e200", "x2", "2", "y", "0"]]], cols, "L", false), /L entry 1-0 \(column 'x1'\): value 1e200: too large/);
    assert.throws(() => parseEntries([["1-0", ["x1", "1", "x1", "2", "x2", "2", "y", "0"]]], cols, "L", false), /L entry 1-0: field 'x1' appears twice/);
  });
});
