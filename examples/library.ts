/**
 * The README's library example, executed by test/examples.test.ts so it cannot rot.
 * Streams a seeded synthetic 3-expert MoE with two inputs into a MoeRegressor, then predicts.
 */
import { MoeRegressor, createRng, randomMoeSpec, syntheticStream } from "../src/index.js";

export function runLibraryExample(): { nll: number; prediction: { mean: number; variance: number; gate: number[]; expert: number } } {
  const spec = randomMoeSpec(3, 2, 1, createRng(7)); // a hidden truth: K = 3, d = 2, q = 1
  const stream = syntheticStream(spec, createRng(8));
  const x = new Float64Array(2);
  const y = new Float64Array(1);

  const model = new MoeRegressor({ nExperts: 3, seed: 1 });
  for (let i = 0; i < 20000; i++) {
    stream.next(x, y); // a row arrives
    model.learnOne(x, y[0]); // learn it: O(K p²) work, constant memory
  }

  const p = model.predictOne([0.5, -1]);
  // Held-out mean negative log-likelihood on fresh rows from the same stream:
  const X: number[] = [];
  const Y: number[] = [];
  for (let i = 0; i < 5000; i++) {
    stream.next(x, y);
    X.push(x[0], x[1]);
    Y.push(y[0]);
  }
  const nll = model.score(X, Y, 5000);
  return { nll, prediction: { mean: p.mean[0], variance: p.variance[0], gate: Array.from(p.gate), expert: p.expert } };
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(runLibraryExample());
