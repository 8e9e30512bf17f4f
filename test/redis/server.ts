/**
 * Test helpers of the Redis scale-out: a private redis-server on a free loopback port with its own
 * temporary directory, loading rows into a stream, and reading the shared model back.
 * Tests skip (with this reason) only when the redis-server binary is absent; CI installs it
 * (.ci/run).
 */
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { MoeRegressor } from "../../src/index.js";
import { modelKeys } from "../../src/redis/address.js";

const probe = spawnSync("redis-server", ["--version"], { encoding: "utf8" });
/**
 * false when redis-server can run, else why the Redis tests are skipped — never under CI (the CI
 * variable set), where .ci/run installs it: there a missing server fails the tests.
 */
export const NO_REDIS: string | false =
  probe.status === 0 || process.env.CI !== undefined ? false : "redis-server is not installed (apt-get install redis-server; .ci/run installs it)";

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface ServerOptions {
  /** AOF persistence with an fsync before every reply (a restart keeps every acknowledged write). */
  readonly appendonly?: boolean;
  readonly requirepass?: string;
  /** ACL users: [name, password] with every permission. */
  readonly users?: readonly (readonly [string, string])[];
}

export class RedisServer {
  private proc: ChildProcess | null = null;
  private readonly clients: Redis[] = [];
  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly opts: ServerOptions,
  ) {}

  static async start(opts: ServerOptions = {}): Promise<RedisServer> {
    const s = new RedisServer(await freePort(), mkdtempSync(join(tmpdir(), "ismm-redis-test-")), opts);
    await s.launch();
    return s;
  }

  /** The redis:// address of `stream`, with `auth` ("user:pass" or ":pass") when given. */
  url(stream: string, auth?: string): string {
    return `redis://${auth !== undefined ? `${auth}@` : ""}127.0.0.1:${this.port}/${stream}`;
  }

  /** A client (authenticated with the server's requirepass, if any), disconnected by `close`. */
  client(): Redis {
    const c = new Redis({ host: "127.0.0.1", port: this.port, password: this.opts.requirepass, maxRetriesPerRequest: 3 });
    c.on("error", () => undefined); // reconnects by itself while the server restarts
    this.clients.push(c);
    return c;
  }

  async launch(): Promise<void> {
    const args = ["--port", String(this.port), "--bind", "127.0.0.1", "--dir", this.dir, "--save", "", "--daemonize", "no", "--logfile", join(this.dir, "redis.log")];
    if (this.opts.appendonly === true) args.push("--appendonly", "yes", "--appendfsync", "always");
    if (this.opts.requirepass !== undefined) args.push("--requirepass", this.opts.requirepass);
    for (const [user, pass] of this.opts.users ?? []) args.push("--user", user, "on", `>${pass}`, "~*", "&*", "+@all");
    this.proc = spawn("redis-server", args, { stdio: "ignore" });
    const deadline = Date.now() + 10000;
    for (;;) {
      const c = new Redis({ host: "127.0.0.1", port: this.port, password: this.opts.requirepass, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
      c.on("error", () => undefined);
      try {
        await c.connect();
        await c.ping();
        c.disconnect();
        return;
      } catch {
        c.disconnect();
        if (Date.now() > deadline) throw new Error(`redis-server on port ${this.port} did not start`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  /** Ends the server with `signal` and waits for it to exit. */
  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    const p = this.proc;
    if (p === null || p.exitCode !== null || p.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once("exit", () => resolve());
      p.kill(signal);
    });
    this.proc = null;
  }

  async close(): Promise<void> {
    for (const c of this.clients) c.disconnect();
    await this.stop("SIGKILL");
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Appends rows to `stream` (one entry per row, fields = `names`), in order; returns the ids. */
export async function loadRows(redis: Redis, stream: string, names: readonly string[], rows: readonly (readonly (string | number)[])[]): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < rows.length; i += 1000) {
    const p = redis.pipeline();
    for (const row of rows.slice(i, i + 1000)) p.xadd(stream, "*", ...names.flatMap((n, j) => [n, String(row[j])]));
    const res = (await p.exec()) ?? [];
    for (const [err, id] of res) {
      if (err) throw err;
      ids.push(id as string);
    }
  }
  return ids;
}

/** Rows of a CSV text (header first) as [names, rows]. */
export function csvRows(csv: string): [string[], string[][]] {
  const lines = csv.trim().split("\n");
  return [lines[0].split(","), lines.slice(1).map((l) => l.split(","))];
}

/** The shared model of `group` as stored in Redis. */
export async function sharedModel(redis: Redis, stream: string, group: string): Promise<MoeRegressor> {
  const json = await redis.get(modelKeys(stream, group).state);
  if (json === null) throw new Error("no shared model in Redis");
  return MoeRegressor.fromJSON(JSON.parse(json));
}

/** The commit number of the shared model (0: none yet). */
export async function commitNumber(redis: Redis, stream: string, group: string): Promise<number> {
  const v = await redis.get(modelKeys(stream, group).version);
  return v === null ? 0 : Number(v.split(":")[0]);
}

/** Pending entries of the group and whether every entry was delivered. */
export async function groupState(redis: Redis, stream: string, group: string): Promise<{ pending: number; lag: number }> {
  const groups = (await redis.xinfo("GROUPS", stream)) as unknown[][];
  for (const g of groups) {
    const m = new Map<string, unknown>();
    for (let i = 0; i + 1 < g.length; i += 2) m.set(String(g[i]), g[i + 1]);
    if (m.get("name") === group) return { pending: Number(m.get("pending")), lag: Number(m.get("lag")) };
  }
  throw new Error(`no group ${group}`);
}

/** Polls `check` every 20 ms until it holds (or `ms` passed: then throws). */
export async function waitFor(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Rows a worker learned, from its summary line. */
export function learnedRows(stdout: string): number {
  const m = /it learned ([\d,]+) rows/.exec(stdout);
  assert.ok(m, `no summary line in ${JSON.stringify(stdout)}`);
  return Number(m[1].replace(/,/g, ""));
}
