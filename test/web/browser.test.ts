/**
 * The browser build in a real browser: builds dist-web into a temporary directory (never a stale
 * bundle), serves it on 127.0.0.1, and drives headless Chromium (Debian's `chromium`, installed by
 * .ci/run) through the demo page end to end and through a page of library checks that imports the
 * bundle. Screenshots go to $ISMM_SCREENSHOTS or a fresh temporary directory (printed), never into
 * the repository. Skipped, with the reason, only when no Chromium is installed.
 */
import { after, before, test } from "node:test";
import { spawn } from "node:child_process";
import { once } from "node:events";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { MoeRegressor, createRng, randomMoeSpec, sampleSynthetic, type ModelSnapshot } from "../../src/index.js";
import { assertAllClose, assertClose } from "../helpers.js";
import { buildWeb } from "../../web/build.js";
import { Browser, findChromium, type Page } from "../../web/tools/chromium.js";
import { serveStatic, type StaticServer } from "../../web/tools/static-server.js";
import { ismm } from "../cli/helpers.js";

const CHROMIUM = findChromium();
const skip = CHROMIUM === null ? "no chromium on PATH (bash .ci/run installs Debian's chromium; or set CHROMIUM=/path/to/chrome)" : false;
const PAGES = fileURLToPath(new URL("./pages/", import.meta.url));
/** Each run below streams ≤ 20k rows (about 2 s in the browser on the 2-core CI machine); generous bound for a loaded machine. */
const RUN_TIMEOUT_MS = 60_000;

let work = "";
let shots = "";
let server: StaticServer | null = null;
let browser: Browser | null = null;

before(async () => {
  if (skip) return;
  work = mkdtempSync(join(tmpdir(), "ismm-browser-test-"));
  shots = process.env.ISMM_SCREENSHOTS ?? mkdtempSync(join(tmpdir(), "ismm-screenshots-"));
  mkdirSync(shots, { recursive: true });
  await buildWeb(join(work, "dist-web"));
  server = await serveStatic({ "/": join(work, "dist-web"), "/check/": PAGES });
  browser = await Browser.launch(CHROMIUM as string);
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function runDemo(query: string, shot: string, drive?: (page: Page) => Promise<void>) {
  const page = await (browser as Browser).open(`${(server as StaticServer).url}/index.html${query}`);
  try {
    if (drive) {
      await page.waitFor(`document.body.dataset.status === "running" || document.body.dataset.status === "done"`, RUN_TIMEOUT_MS);
      await drive(page);
    }
    const status = await page.waitFor<string>(
      `(document.body.dataset.status === "done" && window.demoResult !== undefined) || document.body.dataset.status === "error" ? document.body.dataset.status : ""`,
      RUN_TIMEOUT_MS,
    );
    const text = await page.evaluate<string>(`document.getElementById("nll").textContent`);
    const message = await page.evaluate<string>(`document.getElementById("status").textContent`);
    const result = await page.evaluate<{ rows: number; heldOut: { ismm: number; adam: number }; heldOutRows: number; truthNll: number | null; rate: { ismm: number; adam: number }; curvePoints: number; runner: string }>("window.demoResult");
    await page.screenshot(join(shots, shot));
    assert.equal(status, "done", `${message}\n${page.log.join("\n")}`);
    assert.deepEqual(page.log.filter((l) => l.startsWith("exception")), [], "no uncaught exception");
    return { text, message, result, page };
  } catch (err) {
    await page.close();
    throw err;
  }
}

test("demo: index.html?rows=20000&seed=1 ends with data-status=done and ISMM's held-out NLL in #nll", { skip, timeout: 2 * RUN_TIMEOUT_MS }, async (t) => {
  const { text, message, result, page } = await runDemo("?rows=20000&seed=1", "demo-s1.png");
  await page.close();
  assert.match(text, /^-?\d+\.\d{4}$/, "#nll is a number");
  assert.equal(Number(text), Number(result.heldOut.ismm.toFixed(4)));
  assert.equal(result.rows, 20000);
  assert.equal(result.heldOutRows, 5000);
  // S1 (the default scenario): 20k rows bring ISMM within 0.05 nats of the truth (it is about
  // 0.001 above; the initialization alone, at 1000 rows, is within 0.1).
  assert.ok(result.truthNll !== null && Math.abs(result.heldOut.ismm - result.truthNll) < 0.05, message);
  assert.ok(result.curvePoints >= 50, "the prequential curve has a point per window");
  assert.ok(result.rate.ismm > 0 && result.rate.adam > 0);
  assert.equal(result.runner, "worker", "the race ran in the Web Worker");
  t.diagnostic(`in-browser rows/s after initialization (S1, K=2, d=1): ISMM ${result.rate.ismm.toFixed(0)}, Adam ${result.rate.adam.toFixed(0)}`);
  t.diagnostic(`screenshots: ${shots}`);
});

test("demo: the K = 3 regime switch and the 2-D problem run to the end too", { skip, timeout: 3 * RUN_TIMEOUT_MS }, async () => {
  for (const scenario of ["switch3", "plane2d"] as const) {
    const { text, result, page, message } = await runDemo(`?scenario=${scenario}&rows=15000&seed=2`, `demo-${scenario}.png`);
    await page.close();
    assert.match(text, /^-?\d+\.\d{4}$/, `${scenario}: #nll is a number`);
    assert.equal(result.rows, 15000);
    // Within 0.05 nats of the truth after 15k rows (measured: about 0.001 above for both).
    assert.ok(result.truthNll !== null && Math.abs(result.heldOut.ismm - result.truthNll) < 0.05, `${scenario}: ${message}`);
  }
});

test("demo under `chromium --headless --dump-dom --virtual-time-budget`, served or from file://: the page still ends done, on its own thread", { skip, timeout: 2 * RUN_TIMEOUT_MS }, async () => {
  // Virtual time fast-forwards the page's timers while the page waits for the worker; the page's
  // watchdog sees its clock run ahead of real time and finishes the race on the page's thread.
  // From file:// no worker can start at all, and the same fallback applies.
  const urls = [`${(server as StaticServer).url}/index.html?rows=20000&seed=1`, `${pathToFileURL(join(work, "dist-web", "index.html")).href}?rows=20000&seed=1`];
  for (const url of urls) {
    const profile = mkdtempSync(join(tmpdir(), "ismm-dump-dom-"));
    try {
      const child = spawn(CHROMIUM as string, ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", `--user-data-dir=${profile}`, "--virtual-time-budget=30000", "--dump-dom", url], {
        stdio: ["ignore", "pipe", "ignore"],
      });
      let dom = "";
      child.stdout.setEncoding("utf8");
      child.stdout.on("data", (c: string) => (dom += c));
      const timer = setTimeout(() => child.kill("SIGKILL"), RUN_TIMEOUT_MS);
      await once(child, "close");
      clearTimeout(timer);
      assert.match(dom, /<body[^>]*data-status="done"/, url);
      assert.match(dom, /<body[^>]*data-runner="page"/, `${url}: the watchdog moved the race to the page's thread`);
      assert.match(dom, /<span id="nll">\d+\.\d{4}<\/span>/, url);
    } finally {
      rmSync(profile, { recursive: true, force: true });
    }
  }
});

test("demo: bad URL parameters end in data-status=error with one clear message", { skip, timeout: RUN_TIMEOUT_MS }, async () => {
  const page = await (browser as Browser).open(`${(server as StaticServer).url}/index.html?rows=ten`);
  try {
    await page.waitFor(`document.body.dataset.status === "error"`, RUN_TIMEOUT_MS);
    const message = await page.evaluate<string>(`document.getElementById("status").textContent`);
    assert.equal(message, "Error: rows must be an integer from 100 to 10,000,000; the URL has rows=ten");
  } finally {
    await page.close();
  }
});

test("demo: a CSV chosen in the page is streamed in the worker, and the downloaded model is one the CLI reads", { skip, timeout: 2 * RUN_TIMEOUT_MS }, async () => {
  const spec = randomMoeSpec(2, 2, 1, createRng(31));
  const data = sampleSynthetic(spec, 12000, createRng(32));
  const lines = ["u,v,target"];
  for (let i = 0; i < data.n; i++) lines.push(`${data.X[2 * i]},${data.X[2 * i + 1]},${data.Y[i]}`);
  const csvPath = join(work, "mine.csv");
  writeFileSync(csvPath, lines.join("\n") + "\n");
  const downloads = join(work, "downloads");
  mkdirSync(downloads);
  const b = browser as Browser;
  await b.send("Browser.setDownloadBehavior", { behavior: "allow", downloadPath: downloads });
  const { text, result, page } = await runDemo("?rows=20000&seed=1", "demo-csv.png", async (p) => {
    await p.evaluate("window.demoResult = undefined");
    await p.setInputFiles("#file", [csvPath]);
    await p.waitFor(`document.body.dataset.status === "running"`, RUN_TIMEOUT_MS);
  });
  try {
    assert.match(text, /^-?\d+\.\d{4}$/);
    assert.equal(result.heldOutRows, 12000 / 5, "every 5th row held out");
    assert.equal(result.rows, 12000 - 12000 / 5, "the other rows learned");
    assert.equal(result.truthNll, null, "no truth for real data");
    await page.evaluate(`document.getElementById("dl-ismm").click()`);
    const file = join(downloads, "ismm-mine.json");
    const until = Date.now() + 10_000;
    while (!existsSync(file) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    assert.ok(existsSync(file), `downloaded ${readdirSync(downloads).join(", ") || "nothing"}`);
  } finally {
    await page.close();
  }
  const run = await ismm(["evaluate", "--model", join(downloads, "ismm-mine.json"), csvPath, "--json"]);
  assert.equal(run.code, 0, run.stderr);
  const ev = JSON.parse(run.stdout) as { n: number; nll: number };
  assert.equal(ev.n, 12000);
  // The CLI scores all rows (4/5 of them learned), the page only the held-out fifth: same model, so
  // the two NLLs agree up to sampling noise (sd of a 2400-row mean ≈ 0.02 here).
  assert.ok(Math.abs(ev.nll - result.heldOut.ismm) < 0.1, `CLI nll ${ev.nll} vs page ${result.heldOut.ismm}`);
});

test("library checks inside the bundle (check.html imports /ismm.js); its fit equals Node's to 1e-9", { skip, timeout: RUN_TIMEOUT_MS }, async (t) => {
  const page = await (browser as Browser).open(`${(server as StaticServer).url}/check/check.html`);
  try {
    await page.waitFor(`document.body.dataset.status === "done"`, RUN_TIMEOUT_MS);
    const checks = await page.evaluate<{ name: string; ok: boolean; detail: unknown }[]>("window.checks");
    assert.equal(checks.length, 5, JSON.stringify(checks));
    for (const c of checks) {
      assert.ok(c.ok, `${c.name}: ${String(c.detail)}`);
      t.diagnostic(`${c.name}: ${JSON.stringify(c.detail)}`);
    }
    const browserFit = JSON.parse(await page.evaluate<string>("window.fitJson")) as ModelSnapshot;
    const spec = randomMoeSpec(3, 2, 1, createRng(21));
    const data = sampleSynthetic(spec, 3000, createRng(22));
    const m = new MoeRegressor({ nExperts: 3, seed: 23 });
    m.learnMany(data.X, data.Y, data.n);
    const nodeFit = m.toJSON();
    // Not bit for bit: Chromium's V8 and Node 20's differ in the last bit of some Math functions
    // (the sampled data already differ by ~1 ulp), and 3000 rows of updates carry that along;
    // 1e-9 relative is far below any modelling difference and far above the ~1e-14 observed.
    assert.equal(browserFit.nSeen, nodeFit.nSeen);
    const theta = (f: ModelSnapshot) => (f.learner as unknown as { theta: number[] }).theta;
    assertAllClose(theta(browserFit), theta(nodeFit), 0, 1e-9, "θ, Chromium vs Node");
    assertClose(browserFit.prequential.sum, nodeFit.prequential.sum, 0, 1e-9, "prequential sum");
  } finally {
    await page.close();
  }
});
