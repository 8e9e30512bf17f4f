/**
 * `npm run build:web`: bundles the browser build with esbuild into dist-web/ (or the directory
 * given as the first argument) and prints the size of each file, minified and gzip-compressed.
 *
 *   ismm.js     the library as one ES module for browsers (src/web.ts: no `node:` imports)
 *   worker.js   the demo's Web Worker (imports ./ismm.js)
 *   main.js     the demo page's script: a classic script with the library inside, so that the page
 *               also runs from file:// (where browsers load no module and no worker; the race then
 *               runs on the page's thread)
 *   index.html, style.css
 *
 * The files are written to a temporary directory that replaces the output directory at the end,
 * so a failed build leaves the previous build as it was.
 */
import { build, type Plugin } from "esbuild";
import { copyFile, mkdir, readdir, readFile, rename, rm } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const STATIC_FILES = ["index.html", "style.css"];
/** Browsers the bundle targets (ES2022: class fields, top-level await; Chromium ≥ 94, Firefox ≥ 93, Safari ≥ 15.4). */
const TARGET = "es2022";

export interface BuiltFile {
  readonly name: string;
  readonly bytes: number;
  readonly gzipBytes: number;
}

/** The demo's scripts import the library as the shipped bundle ./ismm.js instead of bundling it again. */
const libraryAsBundle: Plugin = {
  name: "ismm-as-bundle",
  setup(b) {
    b.onResolve({ filter: /\/src\/web\.js$/ }, () => ({ path: "./ismm.js", external: true }));
  },
};

/** Throws if a bundle still imports a Node built-in. */
export function assertNoNodeImports(name: string, code: string): void {
  const m = /(?:from\s*|import\s*\(\s*|import\s*|require\s*\(\s*)["'](node:[^"']+|fs|path|url|zlib|stream|events|os)["']/.exec(code);
  if (m) throw new Error(`${name} imports the Node built-in '${m[1]}'; the browser build must not`);
}

/** Builds into `outDir` (replaced as a whole at the end) and returns the files with their sizes. */
export async function buildWeb(outDir: string = join(ROOT, "dist-web")): Promise<BuiltFile[]> {
  const tmp = `${outDir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  try {
    const common = { bundle: true, format: "esm", platform: "browser", target: TARGET, minify: true, logLevel: "error", legalComments: "none" } as const;
    await build({ ...common, entryPoints: [join(ROOT, "src/web.ts")], outfile: join(tmp, "ismm.js"), sourcemap: "linked" });
    await build({ ...common, entryPoints: [join(ROOT, "web/src/worker.ts")], outfile: join(tmp, "worker.js"), plugins: [libraryAsBundle] });
    await build({ ...common, format: "iife", entryPoints: [join(ROOT, "web/src/main.ts")], outfile: join(tmp, "main.js") });
    for (const f of STATIC_FILES) await copyFile(join(ROOT, "web/src", f), join(tmp, f));
    const files: BuiltFile[] = [];
    for (const name of (await readdir(tmp)).sort()) {
      if (name.endsWith(".map")) continue;
      const data = await readFile(join(tmp, name));
      if (name.endsWith(".js")) assertNoNodeImports(name, data.toString("utf8"));
      files.push({ name, bytes: data.length, gzipBytes: gzipSync(data, { level: 9 }).length });
    }
    await rm(outDir, { recursive: true, force: true });
    await rename(tmp, outDir);
    return files;
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

function kib(n: number): string {
  return `${(n / 1024).toFixed(1)} KiB`;
}

/** The size table printed by `npm run build:web` (the .js files are minified; gzip at level 9). */
export function sizeTable(files: readonly BuiltFile[]): string {
  const w = Math.max(4, ...files.map((f) => f.name.length));
  const head = `${"file".padEnd(w)}  ${"size".padStart(10)}  ${"gzip".padStart(10)}`;
  const rows = files.map((f) => `${f.name.padEnd(w)}  ${kib(f.bytes).padStart(10)}  ${kib(f.gzipBytes).padStart(10)}`);
  return [head, ...rows].join("\n");
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = resolve(process.argv[2] ?? join(ROOT, "dist-web"));
  buildWeb(out).then(
    (files) => process.stdout.write(`built ${out} (JavaScript minified; gzip -9 sizes)\n${sizeTable(files)}\n`),
    (err: unknown) => {
      process.stderr.write(`build:web failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
