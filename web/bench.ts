/**
 * `npm run bench:web [-- --rows N]`: learning speed of the demo's race in headless Chromium (the
 * bundle, in the page's Web Worker) against the same code in Node, per scenario, plus the bundle
 * size. rows/s counts only the time inside `learnMany` after the buffered initialization, for each
 * learner separately (web/src/engine.ts). Each cell is the median of `--repeat` runs (default 3),
 * browser and Node runs interleaved so that load from other processes hits both alike.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildWeb, sizeTable } from "./build.js";
import { raceSynthetic } from "./src/engine.js";
import { SCENARIOS, type ScenarioName } from "./src/scenarios.js";
import { Browser, findChromium } from "./tools/chromium.js";
import { serveStatic } from "./tools/static-server.js";

const args = process.argv.slice(2);
const rowsArg = args.indexOf("--rows");
const rows = rowsArg >= 0 ? Number(args[rowsArg + 1]) : 200_000;
const repeatArg = args.indexOf("--repeat");
const repeat = repeatArg >= 0 ? Number(args[repeatArg + 1]) : 3;
if (!Number.isInteger(repeat) || repeat < 1) {
  process.stderr.write(`bench:web: --repeat must be a positive integer, got ${args[repeatArg + 1]}\n`);
  process.exit(2);
}
if (!Number.isInteger(rows) || rows < 2000) {
  process.stderr.write(`bench:web: --rows must be an integer ≥ 2000, got ${args[rowsArg + 1]}\n`);
  process.exit(2);
}
const chromium = findChromium();
if (!chromium) {
  process.stderr.write("bench:web: no chromium on PATH (apt-get install chromium, or set CHROMIUM)\n");
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), "ismm-bench-web-"));
const files = await buildWeb(join(dir, "dist-web"));
const server = await serveStatic({ "/": join(dir, "dist-web") });
const browser = await Browser.launch(chromium);
const version = (await browser.send<{ product: string }>("Browser.getVersion")).product;
const fmt = (v: number) => `${(v / 1000).toFixed(0)}k`;
const lines = [
  `rows per run: ${rows.toLocaleString("en-US")}, seed 1; rows/s after initialization, median of ${repeat} runs; ${version} vs Node ${process.version}`,
  "",
  "| scenario | K | d | ISMM Chromium | ISMM Node | Chromium ÷ Node | Adam Chromium | Adam Node | Chromium ÷ Node |",
  "|---|---|---|---|---|---|---|---|---|",
];
try {
  for (const name of Object.keys(SCENARIOS) as ScenarioName[]) {
    const { spec } = SCENARIOS[name];
    const runs: { web: { ismm: number; adam: number }; node: { ismm: number; adam: number } }[] = [];
    for (let r = 0; r < repeat; r++) {
      const page = await browser.open(`${server.url}/index.html?scenario=${name}&rows=${rows}&seed=1`);
      await page.waitFor(`document.body.dataset.status === "done" && window.demoResult`, 600_000);
      const web = await page.evaluate<{ rate: { ismm: number; adam: number }; runner: string }>("window.demoResult");
      await page.close();
      if (web.runner !== "worker") throw new Error(`bench:web: the race ran on the ${web.runner} thread, not in the worker`);
      const node = await raceSynthetic(name, rows, 1, () => false);
      runs.push({ web: web.rate, node: node.rate });
    }
    const median = (f: (x: (typeof runs)[number]) => number) => runs.map(f).sort((a, b) => a - b)[Math.floor(runs.length / 2)];
    const web = { rate: { ismm: median((x) => x.web.ismm), adam: median((x) => x.web.adam) } };
    const node = { rate: { ismm: median((x) => x.node.ismm), adam: median((x) => x.node.adam) } };
    lines.push(
      `| ${name} | ${spec.K} | ${spec.d} | ${fmt(web.rate.ismm)} | ${fmt(node.rate.ismm)} | ${(web.rate.ismm / node.rate.ismm).toFixed(2)} | ` +
        `${fmt(web.rate.adam)} | ${fmt(node.rate.adam)} | ${(web.rate.adam / node.rate.adam).toFixed(2)} |`,
    );
  }
} finally {
  await browser.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}
process.stdout.write(`${lines.join("\n")}\n\nbundle sizes:\n${sizeTable(files)}\n`);
