/**
 * PLACEHOLDER until the baselines land: gradient learners (SGD, RMSProp, Adam, Sophia).
 * The registry imports `gradientLearners`; an empty list means those methods are unavailable.
 */
import type { LearnerFactory } from "./types.js";

export const gradientLearners: readonly LearnerFactory[] = [];
