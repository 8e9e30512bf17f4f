/**
 * The demo's synthetic problems. Each is a known mixture of experts, so the page can show the
 * truth's held-out NLL (the best any model can do) and the true experts and gate.
 */
import type { SyntheticSpec } from "../../src/web.js";

export type ScenarioName = "s1" | "switch3" | "plane2d";

export interface Scenario {
  readonly name: ScenarioName;
  readonly title: string;
  readonly blurb: string;
  readonly spec: SyntheticSpec;
}

export const SCENARIOS: Readonly<Record<ScenarioName, Scenario>> = {
  s1: {
    name: "s1",
    title: "S1: steep gate (paper)",
    blurb:
      "The paper's S1 (ALGORITHM.md §5.2): x ~ U(−1, 1), two experts y = ±2.5x + N(0, 1) and a steep gate " +
      "π₁(x) = σ(8x). Same truth as bench/scenarios/synthetic.ts.",
    spec: {
      K: 2, d: 1, q: 1,
      inputs: { kind: "uniform", low: -1, high: 1 },
      params: { gate: [[0, 8]], beta: [[[0, -2.5]], [[0, 2.5]]], sigma2: [[1], [1]] },
    },
  },
  switch3: {
    name: "switch3",
    title: "K = 3 regime switch",
    blurb:
      "Three regimes along x ~ U(−3, 3), switching near x = −1 and x = 1: each regime has its own line and " +
      "noise level, and the gate hands over from one to the next within about ±0.3.",
    spec: {
      K: 3, d: 1, q: 1,
      inputs: { kind: "uniform", low: -3, high: 3 },
      // Logits relative to expert 3: s1 = −4 − 12x, s2 = 4 − 4x, s3 = 0, so expert 1 wins for
      // x < −1, expert 2 on (−1, 1) and expert 3 for x > 1; neighbouring logits differ by 8|x ∓ 1|.
      params: {
        gate: [[-4, -12], [4, -4]],
        beta: [[[-1, -1.5]], [[0, 2]], [[4, -1.5]]],
        sigma2: [[0.09], [0.04], [0.16]],
      },
    },
  },
  plane2d: {
    name: "plane2d",
    title: "2-D: three experts on a plane",
    blurb:
      "S2 of ALGORITHM.md §5.2: x ~ U(−1, 1)², three planes and a gate that splits the square into three " +
      "regions. The maps show which expert is most likely at each point.",
    spec: {
      K: 3, d: 2, q: 1,
      inputs: { kind: "uniform", low: -1, high: 1 },
      params: {
        gate: [[1, 3, -2], [-0.5, -2, 3]],
        beta: [[[0, 2, -1]], [[1, -1, 0.5]], [[-1, 0.5, 2]]],
        sigma2: [[0.3], [0.5], [0.4]],
      },
    },
  },
};

export function isScenarioName(s: string): s is ScenarioName {
  return Object.prototype.hasOwnProperty.call(SCENARIOS, s);
}
