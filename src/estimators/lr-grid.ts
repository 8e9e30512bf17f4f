/**
 * Learning-rate grid search for the gradient baselines, so that SGD, RMSProp, Adam and Sophia are
 * compared with ISMM at their best step size rather than at an arbitrary default (ALGORITHM.md §4.1,
 * "grid-search η for each optimiser on one validation seed, and report the best per optimiser").
 *
 * For every η in the grid, a fresh `MoeRegressor({...options, method, learningRate: η})` is fitted on
 * the training rows through the public estimator code path (`fit`: same buffered multi-start EM
 * initialization, same scaling, same seeded epoch order for every η, because the seed is the same),
 * and scored by its mean NLL on the validation rows (original units, `MoeRegressor.score`).
 *
 * A run that diverges (the learner throws `NumericalError`) or whose validation NLL is not finite
 * scores +Infinity and is reported as such in the table, with the error message: it is never dropped
 * from the table. Any other error is a bug or a data problem and is rethrown.
 *
 * Fairness: tune on a validation split (or a separate validation seed), never on the test data
 * used for the final comparison; see docs/BASELINES.md.
 */
import { NumericalError, OptionError } from "../core/errors.js";
import { MoeRegressor, type FitOptions } from "./moe-regressor.js";
import type { MoeRegressorOptions } from "./options.js";
import type { MethodName } from "../learners/types.js";

/** The methods that have a learning rate. */
export type GradientMethod = Extract<MethodName, "sgd" | "rmsprop" | "adam" | "sophia">;

/** The default grid of ALGORITHM.md §4.1 (half-decades from 1e-4 to 1e-1). */
export const DEFAULT_LR_GRID: readonly number[] = Object.freeze([1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1]);

/** A data set: X is n×d row-major (no intercept column), Y is n×q row-major, original units. */
export interface GridData {
  readonly X: ArrayLike<number>;
  readonly Y: ArrayLike<number>;
  readonly n: number;
}

export interface TuneLearningRateOptions {
  readonly method: GradientMethod;
  /** Learning rates to try (each > 0, finite). Default `DEFAULT_LR_GRID`. */
  readonly grid?: readonly number[];
  readonly train: GridData;
  readonly validation: GridData;
  /** Every other estimator option (nExperts, seed, batchSize, …); must not set `method` or `learningRate`. */
  readonly options?: Omit<MoeRegressorOptions, "method" | "learningRate">;
  /** Passes over the training rows (default 1). */
  readonly epochs?: number;
  /** Row order per epoch (default "shuffle", as `MoeRegressor.fit`). */
  readonly order?: FitOptions["order"];
}

/** One row of the result table. */
export interface GridRow {
  readonly learningRate: number;
  /** Validation mean NLL per row (original units); +Infinity when the run diverged. */
  readonly validationNll: number;
  /** True when the run threw NumericalError or its validation NLL was not finite. */
  readonly diverged: boolean;
  /** The NumericalError message (or a note on the non-finite score) when diverged. */
  readonly error?: string;
}

export interface GridResult {
  readonly method: GradientMethod;
  /** One row per grid value, in grid order. */
  readonly table: readonly GridRow[];
  /** The η with the lowest finite validation NLL (the smallest such η on a tie); null if all diverged. */
  readonly bestLearningRate: number | null;
  /** Its validation NLL (+Infinity if all diverged). */
  readonly bestValidationNll: number;
}

const GRADIENT_METHODS: readonly string[] = ["sgd", "rmsprop", "adam", "sophia"];

/**
 * Fits one `MoeRegressor` per learning rate and returns the validation NLL table and the best rate.
 * Cost: |grid| full fits (initialization included).
 *
 * @throws {OptionError} for a method without a learning rate, an empty or invalid grid, or options
 *   that set `method`/`learningRate` (the grid owns them)
 * @example
 * const r = tuneLearningRate({ method: "adam", train, validation, options: { nExperts: 2, seed: 1 }, epochs: 2 });
 * r.bestLearningRate; // => e.g. 0.003
 * r.table;            // => [{ learningRate: 1e-4, validationNll: 1.23, diverged: false }, …]
 */
export function tuneLearningRate(args: TuneLearningRateOptions): GridResult {
  const { method, train, validation } = args;
  if (!GRADIENT_METHODS.includes(method)) {
    throw new OptionError(`The 'method' option of tuneLearningRate must be one of 'sgd', 'rmsprop', 'adam', 'sophia'. Got ${JSON.stringify(method)} instead`);
  }
  const grid = args.grid ?? DEFAULT_LR_GRID;
  if (!Array.isArray(grid) || grid.length === 0 || !grid.every((v) => typeof v === "number" && Number.isFinite(v) && v > 0)) {
    throw new OptionError(`The 'grid' option of tuneLearningRate must be a non-empty array of finite numbers > 0. Got ${JSON.stringify(grid)} instead`);
  }
  const options = (args.options ?? {}) as Record<string, unknown>;
  for (const key of ["method", "learningRate"]) {
    if (key in options) throw new OptionError(`tuneLearningRate sets '${key}' itself; remove it from options`);
  }
  const fitOptions: FitOptions = { epochs: args.epochs ?? 1, order: args.order ?? "shuffle" };
  const table: GridRow[] = [];
  for (const lr of grid) {
    const model = new MoeRegressor({ ...options, method, learningRate: lr } as MoeRegressorOptions);
    let row: GridRow;
    try {
      model.fit(train.X, train.Y, train.n, fitOptions);
      const nll = model.score(validation.X, validation.Y, validation.n);
      row = Number.isFinite(nll)
        ? { learningRate: lr, validationNll: nll, diverged: false }
        : { learningRate: lr, validationNll: Infinity, diverged: true, error: `validation NLL is ${nll}` };
    } catch (e) {
      if (!(e instanceof NumericalError)) throw e;
      row = { learningRate: lr, validationNll: Infinity, diverged: true, error: e.message };
    }
    table.push(row);
  }
  let best: GridRow | null = null;
  for (const row of table) {
    if (row.diverged) continue;
    if (best === null || row.validationNll < best.validationNll || (row.validationNll === best.validationNll && row.learningRate < best.learningRate)) {
      best = row;
    }
  }
  return {
    method,
    table,
    bestLearningRate: best ? best.learningRate : null,
    bestValidationNll: best ? best.validationNll : Infinity,
  };
}
