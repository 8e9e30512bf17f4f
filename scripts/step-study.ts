/**
 * Step-size study for the "trustworthy fits" issue: one pass of ISMM on K = 4, d = 10, 30k-row
 * synthetic streams (5 seeds), held-out excess NLL over the truth and the smallest expert variance
 * (relative to the truth's smallest), for the given option sets.
 *
 *   npx tsx scripts/step-study.ts '{"stepScale":1}' '{"stepScale":1,"variancePrior":0}'
 *   STUDY_SPEC='{"noise":0.7}' npx tsx scripts/step-study.ts '{}'     # randomMoeSpec options of the generator
 */
import { MoeRegressor, createRng, parametersNll, randomMoeSpec, sampleSynthetic, type MoeRegressorOptions } from "../src/index.js";

const sets: MoeRegressorOptions[] = process.argv.slice(2).map((a) => JSON.parse(a) as MoeRegressorOptions);
if (sets.length === 0) sets.push({});
const seeds = [1, 2, 3, 4, 5];
/** Generator options of randomMoeSpec, e.g. STUDY_SPEC='{"noise":0.7}'. */
const specOpts = JSON.parse(process.env.STUDY_SPEC ?? "{}") as Parameters<typeof randomMoeSpec>[4];
for (const opts of sets) {
  const ex: number[] = [];
  const minVar: number[] = [];
  for (const seed of seeds) {
    const spec = randomMoeSpec(4, 10, 1, createRng(seed), specOpts);
    const train = sampleSynthetic(spec, 30000, createRng(seed).fork(1));
    const test = sampleSynthetic(spec, 10000, createRng(seed).fork(3));
    const m = new MoeRegressor({ nExperts: 4, seed, ...opts });
    m.learnMany(train.X, train.Y, train.n);
    m.finish();
    ex.push(m.score(test.X, test.Y, test.n) - parametersNll(spec.params, test.X, test.Y, test.n));
    const fitted = Math.min(...m.parameters().sigma2.flat());
    const truth = Math.min(...spec.params.sigma2.flat());
    minVar.push(fitted / truth);
  }
  const f = (v: number[]) => v.map((x) => x.toFixed(4)).join(" ");
  console.log(`${JSON.stringify(opts)}\n  excess: ${f(ex)}  worst ${Math.max(...ex).toFixed(4)}\n  min σ² / truth's min: ${f(minVar)}`);
}
