/**
 * Method name → learner factory. Every entry point (estimator, CLI, benchmarks) builds learners
 * through this table, so all methods share one code path.
 */
import { OptionError } from "../core/errors.js";
import { emLearner } from "./em.js";
import { ismmLearner } from "./ismm.js";
import { gradientLearners } from "./gradient.js";
import type { LearnerFactory, MethodName } from "./types.js";

const REGISTRY: ReadonlyMap<MethodName, LearnerFactory> = new Map<MethodName, LearnerFactory>([
  ["ismm", ismmLearner],
  ["em", emLearner],
  ...gradientLearners.map((f) => [f.method, f] as [MethodName, LearnerFactory]),
]);

/** The factory for `method`; throws OptionError for an unknown name. */
export function learnerFactory(method: MethodName): LearnerFactory {
  const f = REGISTRY.get(method);
  if (!f) throw new OptionError(`Unknown method '${method}'. Use one of: ${[...REGISTRY.keys()].join(", ")}`);
  return f;
}
