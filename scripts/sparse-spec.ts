/**
 * The data of issue 14's sparse check, shared by scripts/sparse-study.ts (library) and
 * scripts/sparse-cli.ts (the built CLI): d inputs x ~ N(0, I), K = 3 experts each using 4 inputs
 * (slopes ±U(0.5, 1.5), the other slopes exactly 0), randomMoeSpec's gate on every input, noise sd 0.5.
 */
import { createRng, parameterError, randomMoeSpec, type MoeParameters, type SyntheticSpec } from "../src/index.js";

export const K = 3;
export const ACTIVE = 4;

/** randomMoeSpec's gate and noise; expert slopes: 4 random inputs per expert at ±U(0.5, 1.5), the rest 0. */
export function sparseSpec(seed: number, d: number): SyntheticSpec {
  const rng = createRng(seed).fork(7);
  const spec = randomMoeSpec(K, d, 1, createRng(seed).fork(1), { noise: 0.5 });
  const beta = spec.params.beta.map((bk) =>
    bk.map((row) => {
      const out = row.map(() => 0);
      out[0] = row[0];
      const picked = new Set<number>();
      while (picked.size < ACTIVE) picked.add(rng.int(d));
      for (const a of picked) out[1 + a] = (rng.next() < 0.5 ? -1 : 1) * (0.5 + rng.next());
      return out;
    }),
  );
  return { ...spec, params: { ...spec.params, beta } };
}

/** Share of the truly-zero slopes that are exactly 0 in `est` (experts matched to the truth), and the true slopes kept. */
export function zeroShare(est: MoeParameters, truth: MoeParameters, d: number): { share: number; truePositives: number } {
  const { aligned } = parameterError(est, truth);
  let zeros = 0;
  let total = 0;
  let kept = 0;
  for (let k = 0; k < K; k++) {
    for (let a = 1; a <= d; a++) {
      if (truth.beta[k][0][a] === 0) {
        total++;
        if (aligned.beta[k][0][a] === 0) zeros++;
      } else if (aligned.beta[k][0][a] !== 0) kept++;
    }
  }
  return { share: zeros / total, truePositives: kept };
}
