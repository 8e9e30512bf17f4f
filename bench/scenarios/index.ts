/** Every benchmark scenario of a profile, in report order, and the `--scenarios` filter. */
import { realScenarios } from "./real.js";
import { syntheticScenarios } from "./synthetic.js";
import type { Profile, Scenario } from "./types.js";

export type { Data, Instance, Profile, Role, Scenario } from "./types.js";

/** All scenarios of a profile (synthetic first, then real data). */
export function allScenarios(profile: Profile): Scenario[] {
  return [...syntheticScenarios(profile), ...realScenarios(profile)];
}

/**
 * Keeps the scenarios matching any comma-separated pattern: a pattern matches a name exactly or as
 * a prefix (case-insensitive), so `S1` selects S1-perturbed and S1-default, `crime` both crime sets.
 * @throws Error naming the valid scenarios when a pattern matches nothing
 */
export function filterScenarios(list: readonly Scenario[], patterns: string | undefined): Scenario[] {
  if (patterns === undefined || patterns.trim() === "") return [...list];
  const pats = patterns.split(",").map((p) => p.trim().toLowerCase()).filter((p) => p !== "");
  for (const p of pats) {
    if (!list.some((s) => s.name.toLowerCase().startsWith(p))) {
      throw new Error(`--scenarios: '${p}' matches no scenario; valid: ${list.map((s) => s.name).join(", ")}`);
    }
  }
  return list.filter((s) => pats.some((p) => s.name.toLowerCase().startsWith(p)));
}
