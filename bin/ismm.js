#!/usr/bin/env node
// ismm command-line shim: runs the compiled CLI (dist/ is built by `npm run build` / `npm ci`).
import { runCli } from "../dist/cli/main.js";

await runCli(process.argv.slice(2));
