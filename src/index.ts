/**
 * ismm — incremental stochastic Majorization-Minimization for softmax-gated mixture-of-experts
 * regression on data streams (arXiv 2601.19811). Public API: re-exports only.
 */
export { IsmmError, OptionError, DataError, InputError, RowError, ModelFormatError, NotFittedError, NumericalError, WorkerError, formatLocation, osErrorReason } from "./core/errors.js";
export { MAX_ABS_VALUE, isComputable } from "./core/limits.js";
export type { DataLocation } from "./core/errors.js";
export { createRng, rngFromState } from "./core/rng.js";
export type { Rng } from "./core/rng.js";
export { logSumExp, softmaxInPlace } from "./core/logsumexp.js";

export { moeLayout, betaOffset, cholOffset } from "./model/dims.js";
export type { Covariance, MoeDims, MoeLayout } from "./model/dims.js";
export { logGate, expertMeans, rowPosterior, rowNll, meanNll, predictMoments, createRowWorkspace } from "./model/moe.js";
export { expertCovariance, predictiveCovariance } from "./model/full-covariance.js";
export type { RowWorkspace } from "./model/moe.js";
export { parametersFromTheta, thetaFromParameters } from "./model/parameters.js";
export type { MoeParameters } from "./model/parameters.js";
export { fitScaler, identityScaler, thetaToOriginal, thetaToScaled, nllShift } from "./model/scaling.js";
export type { Scaler } from "./model/scaling.js";

export { blendStats, mergeStats } from "./surrogate/types.js";
export type { Surrogate } from "./surrogate/types.js";
export { moeSurrogate } from "./surrogate/moe.js";
export type { MoeSurrogate, MoeSurrogateOptions } from "./surrogate/moe.js";
export { moeStatLayout } from "./surrogate/moe-stats.js";
export { logisticSurrogate } from "./surrogate/logistic.js";

export { stepSize } from "./mm/schedule.js";
export type { StepSchedule } from "./mm/schedule.js";
export { ismmInit, ismmStep, ismmParams } from "./mm/ismm.js";
export { batchStepSize, ismmBatchStep, batchSum } from "./mm/minibatch.js";
export { CHUNK_ROWS } from "./parallel/chunks.js";
export { SerialBatchStats, createBatchStats, availableThreads, threadsFor, MIN_PARALLEL_WORK, type BatchStats } from "./parallel/batch-stats.js";
export { StatPool, type StatPoolOptions } from "./parallel/pool.js";
export { runInitPhase, type InitPhaseTestOptions } from "./parallel/init-threads.js";
export { EmPool, type EmPoolOptions } from "./parallel/em-pool.js";
export type { IsmmConfig, IsmmState } from "./mm/ismm.js";
export { batchMM, batchStats } from "./mm/batch-mm.js";
export type { BatchOptions, BatchResult } from "./mm/batch-mm.js";
export { batchEM } from "./mm/batch-em.js";
export type { EmOptions } from "./mm/batch-em.js";
export { initializeMoe } from "./mm/init.js";
export type { InitOptions, InitResult } from "./mm/init.js";

export { METHODS } from "./learners/types.js";
export type { MethodName, Learner, LearnerFactory, LearnerHealth } from "./learners/types.js";
export { learnerFactory } from "./learners/registry.js";

export { MoeRegressor, minInitRows } from "./estimators/moe-regressor.js";
export { diagnosticWarnings, SEPARABLE_SLOPE, MIN_ROWS_PER_PARAMETER } from "./estimators/diagnostics.js";
export type { FitDiagnostics, InitSummary } from "./estimators/diagnostics.js";
export { WHOLE_DATA_RESTARTS } from "./estimators/initialize.js";
export { MODEL_FORMAT, MODEL_VERSION, parseModelFile } from "./estimators/model-file.js";
export type { ModelSnapshot } from "./estimators/model-file.js";
export type { Prediction, Predictions, FitOptions } from "./estimators/moe-regressor.js";
export { OPTION_TABLE, resolveOptions } from "./estimators/options.js";
export type { MoeRegressorOptions, ResolvedOptions } from "./estimators/options.js";

export { syntheticStream, sampleSynthetic, randomMoeSpec, drawInputs } from "./stream/synthetic.js";
export type { SyntheticSpec, SyntheticData, InputSpec } from "./stream/synthetic.js";

export { parseNumberStrict, describeInvalidNumber } from "./stream/parse-number.js";
export { openTable, inferFormat, readAll } from "./stream/table-reader.js";
export { peekTableHeader } from "./stream/peek.js";
export type { PeekedHeader } from "./stream/peek.js";
export type { TableReader, TableReaderOptions, TableFormat, RowBatch, TableData } from "./stream/table-reader.js";
export { RegressionMetrics } from "./evaluate/metrics.js";
export type { MetricsSummary } from "./evaluate/metrics.js";

export { rowNllGrad, sampleFromModel } from "./model/gradient.js";
export { tuneLearningRate, DEFAULT_LR_GRID } from "./estimators/lr-grid.js";
export type { GradientMethod, GridRow, GridResult, TuneLearningRateOptions } from "./estimators/lr-grid.js";
export { makeOptimizer, OPTIMIZER_DEFAULTS } from "./optim/index.js";
export { parameterError, alignParameters, minCostAssignment } from "./evaluate/param-error.js";
export type { ParameterErrorResult } from "./evaluate/param-error.js";
export { moeFastSurrogate, DEFAULT_REFACTOR_EVERY } from "./surrogate/moe-fast.js";
export { setSimdEnabled, simdEnabled, simdAvailable, SIMD_MIN_P } from "./core/wasm/simd.js";
export { createKernelHeap } from "./core/heap-kernels.js";
export type { HeapKernels, KernelHeap } from "./core/heap-kernels.js";
export { createGramEngine, gramReference } from "./core/wasm/gram.js";
export type { GramEngine } from "./core/wasm/gram.js";
export { lassoPath, lassoPredict, lambdaGrid } from "./screening/lasso.js";
export type { LassoOptions } from "./screening/lasso.js";
export { lassoCv, selectFeatures, assignFolds } from "./screening/lasso-cv.js";
export { standardize, columnScaling, applyScaling } from "./screening/standardize.js";
export { parametersNll } from "./evaluate/parameters-nll.js";

// Charts (Vega-Lite → SVG → PNG; vega, vega-lite and resvg are imported on first render).
export { loadRenderer, vegaLiteToSvg, svgToPng, svgSize, renderVegaLite, BASE_CONFIG } from "./plot/render.js";
export type { ChartSpec, RenderResult } from "./plot/render.js";
export { FONT_FAMILY, fontFiles, measureText, missingGlyphs } from "./plot/fonts.js";
export { logAxis, symlogTicks, symlogConstant } from "./plot/axes.js";
export { METHOD_ORDER, METHOD_COLORS, EXPERT_COLORS, EM_LABEL, sortMethods, methodColor, methodLabel } from "./plot/style.js";
export { METRIC_COLUMNS, CURVE_COLUMNS, primaryMetric, finalMean, selectBestConfigs, aggregateCurve, formatCurveCsv, formatCurveNdjson, parseCurveNdjson } from "./plot/curves.js";
export type { CurveRow, MetricColumn, CurvePoint, AggregateResult } from "./plot/curves.js";
export { buildCurveChart, CHART_WIDTH, CHART_HEIGHT } from "./plot/curve-chart.js";
export type { CurveChartOptions } from "./plot/curve-chart.js";
export { buildBenchmarkCharts, plotBenchmark, safeFileName, CHART_KINDS } from "./plot/bench-charts.js";
export type { ChartKind, NamedChart, PlotOutput } from "./plot/bench-charts.js";
export { buildFitted1dSpec, validateFitted1d, plotFitted1d } from "./plot/fitted-1d.js";
export type { Fitted1dData } from "./plot/fitted-1d.js";
export { buildMultiFeatureSpec, buildPrequentialSpec } from "./plot/model-charts.js";
export type { MultiFeatureData, PrequentialData } from "./plot/model-charts.js";
