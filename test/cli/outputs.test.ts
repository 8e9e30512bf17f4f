/**
 * Output files under faults: a full disk, a full stdout, targets that are not regular files
 * (devices, FIFOs, directories, symbolic links), and outputs that would overwrite an input.
 *
 * The contract for every output (`fit --out`, `fit --checkpoint`, `predict --out`, `simulate --out`,
 * `simulate --params-out`): either the complete new file is published, or the run exits non-zero
 * with one line on stderr and the target (and any other file) is exactly as before.
 */
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { closeSync, existsSync, lstatSync, mkdirSync, openSync, readFileSync, readdirSync, readlinkSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { MAIN, ROOT, assertOneLineError, collect, ismm, syntheticCsv, tempDir, writeText, type RunResult } from "./helpers.js";

let dir = "";
let cleanup = (): void => undefined;
let data = "";
let model = "";
const FIT = ["-t", "y", "--init-rows", "200", "--seed", "3"];

before(async () => {
  ({ dir, cleanup } = tempDir());
  data = writeText(join(dir, "data.csv"), syntheticCsv(600, 4));
  model = join(dir, "model.json");
  const r = await ismm(["fit", data, ...FIT, "-o", model, "--quiet"]);
  assert.equal(r.code, 0, r.stderr);
});
after(() => cleanup());

/** Files of `d` whose name looks like one of our temporary files. */
function tempFiles(d: string): string[] {
  return readdirSync(d).filter((f) => f.endsWith(".tmp"));
}

/** Runs the CLI with stdout connected to `path` (e.g. /dev/full). */
function ismmStdoutTo(path: string, args: readonly string[]): Promise<RunResult> {
  const fd = openSync(path, "w");
  try {
    const child = spawn(process.execPath, ["--import", "tsx", MAIN, ...args], { cwd: ROOT, stdio: ["pipe", fd, "pipe"] });
    return collect(child);
  } finally {
    closeSync(fd);
  }
}

/** Mounts a tmpfs of `size` at `at`; a reason string when that is not permitted here. */
function mountTmpfs(at: string, size: string): string | null {
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", at], { stdio: "ignore" });
    return null;
  } catch (err) {
    return `cannot mount a tmpfs here (${(err as Error).message.split("\n")[0]}); needs root or CAP_SYS_ADMIN`;
  }
}

describe("a full disk (64 KiB tmpfs)", { concurrency: 1 }, () => {
  let mnt = "";
  let skip: string | false = false;
  before(() => {
    mnt = join(dir, "small-fs");
    mkdirSync(mnt);
    const why = process.platform === "linux" ? mountTmpfs(mnt, "64k") : "tmpfs mounts need Linux";
    if (why !== null) skip = why;
  });
  after(() => {
    if (skip === false) execFileSync("umount", [mnt]);
  });

  it("simulate --out larger than the disk: exit 1, one line, no file, no temp file", async (t) => {
    if (skip) return t.skip(skip);
    const out = join(mnt, "sim.csv");
    // 3,000 rows of 3 columns are ≈ 170 KB of CSV: more than the 64 KiB file system holds.
    const r = await ismm(["simulate", "-n", "3000", "-o", out]);
    assertOneLineError(r, 1, `cannot write '${out}'`, "ENOSPC");
    assert.equal(existsSync(out), false);
    assert.deepEqual(tempFiles(mnt), []);
  });

  it("a good file is never replaced by a truncated one (--out and --checkpoint)", async (t) => {
    if (skip) return t.skip(skip);
    const keep = writeText(join(mnt, "keep.csv"), "GOOD\n");
    const r = await ismm(["simulate", "-n", "3000", "-o", keep]);
    assertOneLineError(r, 1, "ENOSPC");
    assert.equal(readFileSync(keep, "utf8"), "GOOD\n");
    // Fill the disk but for a few KiB: a model or checkpoint no longer fits.
    const ck = writeText(join(mnt, "ck.json"), "OLD CHECKPOINT\n");
    const m = writeText(join(mnt, "m.json"), "OLD MODEL\n");
    const filler = join(mnt, "filler");
    try {
      execFileSync("dd", ["if=/dev/zero", `of=${filler}`, "bs=1024", "count=60"], { stdio: "ignore" });
    } catch {
      // dd stops at ENOSPC: the disk is full, which is what we want
    }
    const f = await ismm(["fit", data, ...FIT, "-o", m, "--checkpoint", ck, "--checkpoint-every", "300"]);
    assertOneLineError(f, 1, "ENOSPC");
    assert.equal(readFileSync(ck, "utf8"), "OLD CHECKPOINT\n");
    assert.equal(readFileSync(m, "utf8"), "OLD MODEL\n");
    assert.deepEqual(tempFiles(mnt), []);
  });
});

describe("a read-only file system", { concurrency: 1 }, () => {
  let mnt = "";
  let skip: string | false = false;
  before(() => {
    mnt = join(dir, "ro-fs");
    mkdirSync(mnt);
    const why = process.platform === "linux" ? mountTmpfs(mnt, "64k,ro") : "tmpfs mounts need Linux";
    if (why !== null) skip = why;
  });
  after(() => {
    if (skip === false) execFileSync("umount", [mnt]);
  });

  it("an output there is exit 1 with EROFS before any work, for every output option", async (t) => {
    if (skip) return t.skip(skip);
    const bad = writeText(join(dir, "bad-late-ro.csv"), readFileSync(data, "utf8") + "1,2,oops\n");
    const target = join(mnt, "out.json");
    for (const args of [
      ["fit", bad, ...FIT, "-o", target],
      ["fit", bad, ...FIT, "-o", join(dir, "m-ro.json"), "--checkpoint", target],
      ["predict", "-m", model, bad, "-o", target],
      ["simulate", "-n", "10", "-o", target],
    ]) {
      assertOneLineError(await ismm(args), 1, `cannot write '${target}'`, "EROFS");
    }
  });
});

describe("stdout on a full device (/dev/full)", { concurrency: 2, skip: existsSync("/dev/full") ? false : "no /dev/full" }, () => {
  it("predict: exit 1, one line naming stdout and ENOSPC, no stack trace", async () => {
    assertOneLineError(await ismmStdoutTo("/dev/full", ["predict", "-m", model, data]), 1, "cannot write to stdout", "ENOSPC");
  });
  it("simulate: the same", async () => {
    assertOneLineError(await ismmStdoutTo("/dev/full", ["simulate", "-n", "100"]), 1, "cannot write to stdout", "ENOSPC");
  });
});

describe("targets that are not regular files are refused, never replaced", { concurrency: 4 }, () => {
  let fifo = "";
  let device: string | null = null;
  before(() => {
    fifo = join(dir, "a-fifo");
    execFileSync("mkfifo", [fifo]);
    const dev = join(dir, "a-null-device");
    try {
      // A character device of our own (like /dev/null, 1:3): the test never risks a system device.
      execFileSync("mknod", [dev, "c", "1", "3"], { stdio: "ignore" });
      device = dev;
    } catch {
      device = null;
    }
  });

  const outputs = (target: string): [string, string[]][] => [
    ["fit --out", ["fit", data, ...FIT, "-o", target]],
    ["fit --checkpoint", ["fit", data, ...FIT, "-o", join(dir, "never.json"), "--checkpoint", target]],
    ["predict --out", ["predict", "-m", model, data, "-o", target]],
    ["simulate --out", ["simulate", "-n", "10", "-o", target]],
    ["simulate --params-out", ["simulate", "-n", "10", "--params-out", target]],
  ];

  it("a FIFO (without a reader: no hang) stays a FIFO", async () => {
    for (const [what, args] of outputs(fifo)) {
      const r = await ismm(args);
      assertOneLineError(r, 2, `'${fifo}'`, "is a FIFO, not a regular file");
      assert.ok(statSync(fifo).isFIFO(), `${what}: the FIFO was replaced`);
    }
    assert.equal(existsSync(join(dir, "never.json")), false);
  });

  it("a character device stays a device", async (t) => {
    if (device === null) return t.skip("mknod not permitted here");
    for (const [what, args] of outputs(device)) {
      const r = await ismm(args);
      assertOneLineError(r, 2, `'${device}'`, "is a character device, not a regular file");
      assert.ok(statSync(device).isCharacterDevice(), `${what}: the device was replaced`);
    }
  });

  it("a new output in a missing directory is reported before any work (the data are not even read)", async () => {
    const bad = writeText(join(dir, "bad-late.csv"), readFileSync(data, "utf8") + "1,2,oops\n");
    const missing = join(dir, "no-such-dir", "m.json");
    assertOneLineError(await ismm(["fit", bad, ...FIT, "-o", missing]), 1, `cannot write '${missing}'`, "ENOENT");
    assertOneLineError(await ismm(["predict", "-m", model, bad, "-o", missing]), 1, `cannot write '${missing}'`, "ENOENT");
    assertOneLineError(await ismm(["fit", bad, ...FIT, "-o", join(dir, "m.json"), "--checkpoint", join(data, "ck.json")]), 1, "ENOTDIR");
  });

  it("a directory is refused before any work", async () => {
    const d = join(dir, "a-dir");
    mkdirSync(d, { recursive: true });
    for (const [, args] of outputs(d)) assertOneLineError(await ismm(args), 2, `'${d}'`, "is a directory");
  });

  it("a symbolic link is followed: the file it points to is replaced, the link stays", async () => {
    const real = writeText(join(dir, "real-model.json"), "OLD");
    const link = join(dir, "link-model.json");
    symlinkSync("real-model.json", link);
    const r = await ismm(["fit", data, ...FIT, "-o", link, "--quiet"]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(lstatSync(link).isSymbolicLink(), "the link is still a link");
    assert.equal(readlinkSync(link), "real-model.json");
    assert.equal(JSON.parse(readFileSync(real, "utf8")).format, "ismm-model");
    // A dangling link: the file it names is created, as `> link` would.
    const dangling = join(dir, "dangling.csv");
    symlinkSync("created-through-link.csv", dangling);
    const s = await ismm(["simulate", "-n", "5", "-o", dangling]);
    assert.equal(s.code, 0, s.stderr);
    assert.ok(lstatSync(dangling).isSymbolicLink());
    assert.match(readFileSync(join(dir, "created-through-link.csv"), "utf8"), /^x1,x2,y\n/);
  });
});

describe("an output that is an input is refused before any work (exit 2)", { concurrency: 4 }, () => {
  it("fit same.csv -o same.csv keeps the data", async () => {
    const same = writeText(join(dir, "same.csv"), readFileSync(data, "utf8"));
    const before = readFileSync(same, "utf8");
    assertOneLineError(await ismm(["fit", same, ...FIT, "-o", same]), 2, "--out", "is the data file");
    assertOneLineError(await ismm(["fit", same, ...FIT, "-o", join(dir, "m-same.json"), "--checkpoint", same]), 2, "--checkpoint", "is the data file");
    assert.equal(readFileSync(same, "utf8"), before);
    assert.equal(existsSync(join(dir, "m-same.json")), false);
  });

  it("the same file under another name (a hard link, a symlink) is recognised", async () => {
    const orig = writeText(join(dir, "orig.csv"), readFileSync(data, "utf8"));
    const alias = join(dir, "alias.csv");
    symlinkSync(orig, alias);
    const hard = join(dir, "hard.csv");
    execFileSync("ln", [orig, hard]);
    assertOneLineError(await ismm(["fit", orig, ...FIT, "-o", alias]), 2, "is the data file");
    assertOneLineError(await ismm(["fit", orig, ...FIT, "-o", hard]), 2, "is the data file");
    assert.equal(readFileSync(orig, "utf8"), readFileSync(data, "utf8"));
  });

  it("predict -o onto its data or its model", async () => {
    const d2 = writeText(join(dir, "pdata.csv"), readFileSync(data, "utf8"));
    assertOneLineError(await ismm(["predict", "-m", model, d2, "-o", d2]), 2, "is the data file");
    assertOneLineError(await ismm(["predict", "-m", model, d2, "-o", model]), 2, "is the model file");
    assert.equal(readFileSync(d2, "utf8"), readFileSync(data, "utf8"));
    assert.equal(JSON.parse(readFileSync(model, "utf8")).format, "ismm-model");
  });

  it("two outputs naming one file, and --out onto the --resume checkpoint", async () => {
    const o = join(dir, "both.json");
    assertOneLineError(await ismm(["fit", data, ...FIT, "-o", o, "--checkpoint", o]), 2, "--checkpoint", "--out");
    assertOneLineError(await ismm(["simulate", "-n", "5", "-o", o, "--params-out", o]), 2, "--params-out", "--out");
    const ck = join(dir, "ck-resume.json");
    const a = await ismm(["fit", data, ...FIT, "-o", join(dir, "m-ck.json"), "--checkpoint", ck, "--checkpoint-every", "300", "--quiet"]);
    assert.equal(a.code, 0, a.stderr);
    const ckText = readFileSync(ck, "utf8");
    assertOneLineError(await ismm(["fit", data, ...FIT, "-o", ck, "--resume", ck]), 2, "--out", "is the --resume checkpoint");
    assert.equal(readFileSync(ck, "utf8"), ckText);
    // --checkpoint = --resume is the documented way to continue checkpointing: allowed.
    const r = await ismm(["fit", data, ...FIT, "-o", join(dir, "m-ck2.json"), "--checkpoint", ck, "--checkpoint-every", "300", "--resume", ck, "--quiet"]);
    assert.equal(r.code, 0, r.stderr);
  });
});

describe("a reader that goes away (| head)", () => {
  it("simulate into a pipe closed after the first chunk ends quietly with exit 0", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", MAIN, "simulate", "-n", "2000000"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
    child.stdout?.once("data", () => child.stdout?.destroy());
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on("close", (c, s) => resolve([c, s])));
    assert.deepEqual({ code, signal, stderr }, { code: 0, signal: null, stderr: "" });
  });
});

describe("writing to stdout with '-o -'", () => {
  it("predict -o - and simulate -o - write to stdout", async () => {
    const s = await ismm(["simulate", "-n", "3", "-o", "-"]);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(s.stdout.trim().split("\n").length, 4);
    const p = await ismm(["predict", "-m", model, data, "-o", "-"]);
    assert.equal(p.code, 0, p.stderr);
    assert.match(p.stdout, /^row,y_mean,y_var,gate_1,gate_2,expert,log_density\n1,/);
    assert.equal(existsSync(join(process.cwd(), "-")), false);
    // fit writes its model atomically to a file: '-' is refused, not created as a file named '-'.
    assertOneLineError(await ismm(["fit", data, ...FIT, "-o", "-"]), 2, "--out needs a file name here");
    assertOneLineError(await ismm(["fit", data, ...FIT, "-o", join(dir, "m-dash.json"), "--checkpoint", "-"]), 2, "--checkpoint needs a file name");
    assert.equal(existsSync(join(process.cwd(), "-")), false);
  });
});
