/**
 * `npm run sync:web-entry [-- --check]`: writes src/web.ts, the browser entry, from src/index.ts:
 * every export line except those of the Node-only modules (NODE_ONLY_MODULES), then the exports
 * that only the browser entry has. With --check, writes nothing and exits 1 if src/web.ts differs
 * (test/web/entry.test.ts runs the same comparison). Run it after adding an export to src/index.ts.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
/** Modules of src/index.ts that need Node (they import node:*). */
export const NODE_ONLY_MODULES = ["./stream/table-reader.js", "./stream/peek.js", "./plot/render.js", "./plot/fonts.js", "./plot/bench-charts.js", "./plot/fitted-1d.js", "./parallel/pool.js", "./parallel/init-threads.js", "./parallel/em-pool.js"];

const HEADER = `/**
 * ismm for browsers (and any JavaScript runtime without Node's APIs): the public API of
 * src/index.ts except the file/stdin table reader (\`openTable\`, \`readAll\`, \`inferFormat\`), which
 * needs \`node:fs\`, and the chart renderer and file writers of src/plot (resvg, fonts on disk). In its place, \`openCsvStream\` reads CSV from a web \`ReadableStream\` (e.g.
 * \`File.stream()\`) with the same parsing rules. Built by \`npm run build:web\` into \`dist-web/ismm.js\`.
 *
 * Generated from src/index.ts by \`npm run sync:web-entry\` (web/sync-entry.ts); test/web/entry.test.ts
 * fails when the two drift apart.
 */`;

const WEB_ONLY = `
export { openCsvStream } from "./browser/csv-stream.js";
export type { CsvStream, CsvStreamOptions, CsvBatch, ByteStream } from "./browser/csv-stream.js";
`;

/** The text src/web.ts must have for the given src/index.ts. */
export function webEntryFor(index: string): string {
  const body = index.replace(/^\/\*\*[\s\S]*?\*\/\n/, "");
  const lines = body.split("\n").filter((line) => !NODE_ONLY_MODULES.some((m) => line.includes(`"${m}"`)));
  for (const line of lines) {
    if (/^export\s/.test(line) && !/from\s+"[^"]+";\s*$/.test(line)) {
      throw new Error(`src/index.ts: export statements must fit on one line for web/sync-entry.ts: ${line}`);
    }
  }
  return `${HEADER}\n${lines.join("\n").replace(/\n+$/, "")}\n${WEB_ONLY}`;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const want = webEntryFor(readFileSync(join(ROOT, "src/index.ts"), "utf8"));
  const path = join(ROOT, "src/web.ts");
  const have = readFileSync(path, "utf8");
  if (process.argv.includes("--check")) {
    if (have !== want) {
      process.stderr.write("src/web.ts is out of date with src/index.ts: run npm run sync:web-entry\n");
      process.exitCode = 1;
    }
  } else if (have !== want) {
    writeFileSync(path, want);
    process.stdout.write("wrote src/web.ts\n");
  } else {
    process.stdout.write("src/web.ts is up to date\n");
  }
}
