/**
 * Mean NLL per row of a CSV under the true parameters written by `ismm simulate --params-out`:
 * the reference for "excess NLL over the truth" of a fitted model (`ismm evaluate ... --json`).
 *
 *   npx tsx scripts/truth-nll.ts params.json test.csv
 */
import { readFileSync } from "node:fs";
import { parametersNll, readAll, type MoeParameters } from "../src/index.js";

const [paramsPath, dataPath] = process.argv.slice(2);
if (!paramsPath || !dataPath) {
  console.error("usage: npx tsx scripts/truth-nll.ts params.json data.csv");
  process.exit(2);
}
const spec = JSON.parse(readFileSync(paramsPath, "utf8")) as { params: { gate: number[][]; beta: number[][][]; sigma2: number[][] }; features: string[]; targets: string[] };
const data = await readAll({ source: dataPath, targets: spec.targets, features: spec.features });
const params: MoeParameters = spec.params;
console.log(parametersNll(params, data.X, data.Y, data.n).toFixed(6));
