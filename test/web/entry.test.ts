/**
 * The browser entry (src/web.ts) and its bundle (dist-web/ismm.js as built by web/build.ts):
 * same public API as src/index.ts less the Node-only file reader, no Node built-in in the bundle,
 * and the bundle computes exactly what the source does.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import * as node from "../../src/index.js";
import * as web from "../../src/web.js";
import { assertNoNodeImports, buildWeb, type BuiltFile } from "../../web/build.js";
import { NODE_ONLY_MODULES, webEntryFor } from "../../web/sync-entry.js";

/** What only the Node entry has: the names exported from the Node-only modules (the file reader, the chart renderer). */
const NODE_ONLY = nodeOnlyNames();

function nodeOnlyNames(): Set<string> {
  const src = readFileSync(new URL("../../src/index.ts", import.meta.url), "utf8");
  const names = new Set<string>();
  for (const line of src.split("\n")) {
    if (!NODE_ONLY_MODULES.some((m) => line.includes(`"${m}"`))) continue;
    const m = /\{([^}]*)\}/.exec(line);
    if (m) for (const part of m[1].split(",")) names.add(part.trim().split(/\s+as\s+/).pop() as string);
  }
  names.delete("");
  return names;
}
/** What only the browser entry has: the web-stream CSV reader and its types. */
const WEB_ONLY = new Set(["openCsvStream", "CsvStream", "CsvStreamOptions", "CsvBatch", "ByteStream"]);

/** Names in the `export { … }` and `export type { … }` lists of an entry file. */
function exportedNames(file: string): Set<string> {
  const src = readFileSync(new URL(`../../src/${file}`, import.meta.url), "utf8");
  const names = new Set<string>();
  for (const m of src.matchAll(/export\s+(?:type\s+)?\{([^}]*)\}/g)) {
    for (const part of m[1].split(",")) {
      const name = part.trim().split(/\s+as\s+/).pop()?.trim();
      if (name) names.add(name);
    }
  }
  return names;
}

let dir = "";
let files: BuiltFile[] = [];
before(async () => {
  dir = mkdtempSync(join(tmpdir(), "ismm-web-build-"));
  files = await buildWeb(join(dir, "dist-web"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test("src/web.ts is src/index.ts less the Node-only modules, plus the web reader (npm run sync:web-entry)", () => {
  const index = readFileSync(new URL("../../src/index.ts", import.meta.url), "utf8");
  const entry = readFileSync(new URL("../../src/web.ts", import.meta.url), "utf8");
  assert.ok(entry === webEntryFor(index), "src/web.ts is out of date with src/index.ts: run npm run sync:web-entry");
  const exportLines = entry.split("\n").filter((l) => l.startsWith("export"));
  assert.ok(exportLines.length > 40, "the entry re-exports the library");
  for (const l of exportLines) assert.doesNotMatch(l, /table-reader|"node:/);
  assert.throws(() => webEntryFor('export {\n  a,\n} from "./x.js";\n'), /must fit on one line/);
});

test("src/web.ts exports everything src/index.ts does, except the Node-only reader (values and types)", () => {
  for (const k of ["openTable", "readAll", "inferFormat", "renderVegaLite"]) assert.ok(NODE_ONLY.has(k), `${k} is Node-only`);
  const fromNode = Object.keys(node).filter((k) => !NODE_ONLY.has(k)).sort();
  const fromWeb = Object.keys(web).filter((k) => !WEB_ONLY.has(k)).sort();
  const hint = "run npm run sync:web-entry after adding an export to src/index.ts (a Node-only module goes in NODE_ONLY_MODULES of web/sync-entry.ts and NODE_ONLY here)";
  assert.deepEqual(fromWeb, fromNode, hint);
  for (const k of fromWeb) assert.equal((web as Record<string, unknown>)[k], (node as Record<string, unknown>)[k], `${k} is the same object`);
  const typesNode = [...exportedNames("index.ts")].filter((k) => !NODE_ONLY.has(k)).sort();
  const typesWeb = [...exportedNames("web.ts")].filter((k) => !WEB_ONLY.has(k)).sort();
  assert.deepEqual(typesWeb, typesNode, `the export lists (types included) of the two entries: ${hint}`);
  for (const k of WEB_ONLY) assert.ok(exportedNames("web.ts").has(k), `web.ts exports ${k}`);
});

test("the build writes ismm.js, the demo page and its scripts, with no Node built-in imported", () => {
  const names = files.map((f) => f.name);
  for (const f of ["ismm.js", "index.html", "main.js", "worker.js", "style.css"]) assert.ok(names.includes(f), `dist-web/${f}`);
  for (const f of files.filter((x) => x.name.endsWith(".js"))) {
    const code = readFileSync(join(dir, "dist-web", f.name), "utf8");
    assert.doesNotMatch(code, /["']node:/, `${f.name} mentions no node: module`);
    assert.doesNotMatch(code, /\bprocess\.|\bBuffer\.|\brequire\(/, `${f.name} uses no Node global`);
    assertNoNodeImports(f.name, code);
  }
  assert.throws(() => assertNoNodeImports("x.js", 'import{open as o}from"node:fs/promises";'), /node:fs\/promises/);
  const lib = files.find((f) => f.name === "ismm.js") as BuiltFile;
  assert.ok(lib.gzipBytes < lib.bytes, "gzip size is measured");
  const worker = readFileSync(join(dir, "dist-web", "worker.js"), "utf8");
  assert.match(worker, /from\s*"\.\/ismm\.js"/, "the worker loads the shipped library bundle");
  assert.ok(worker.length < lib.bytes / 2, "… instead of a second copy of the library");
});

test("the bundle is the library: its exports match src/web.ts and a seeded fit is bit-identical", async () => {
  const bundle = (await import(pathToFileURL(join(dir, "dist-web", "ismm.js")).href)) as typeof web;
  assert.deepEqual(Object.keys(bundle).sort(), Object.keys(web).sort());
  const run = (lib: typeof web) => {
    const spec = lib.randomMoeSpec(2, 2, 1, lib.createRng(3));
    const data = lib.sampleSynthetic(spec, 3000, lib.createRng(4));
    const m = new lib.MoeRegressor({ nExperts: 2, seed: 5 });
    for (let i = 0; i < data.n; i++) m.learnOne(data.X.subarray(2 * i, 2 * i + 2), data.Y[i]);
    return JSON.stringify(m.toJSON());
  };
  assert.equal(run(bundle), run(web));
  assert.ok(new bundle.OptionError("x") instanceof bundle.IsmmError, "typed errors survive bundling");
});
