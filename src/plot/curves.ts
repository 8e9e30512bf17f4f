/**
 * Learning-curve data (the benchmark's long format) and its aggregation over repetitions: one row
 * per (scenario, method, config, rep, checkpoint), reduced to mean and min–max per checkpoint, and
 * the best config per method.
 */

export const METRIC_COLUMNS = ["test_nll", "excess_nll", "param_error", "test_mse"] as const;
export type MetricColumn = (typeof METRIC_COLUMNS)[number];

/** Columns of a learning-curve row, in file order. */
export const CURVE_COLUMNS = ["scenario", "method", "config", "rep", "samples", "seconds", ...METRIC_COLUMNS] as const;

/** One checkpoint of one run; a null metric is "not applicable", NaN/±Infinity a diverged run. */
export interface CurveRow {
  scenario: string;
  method: string;
  config: string;
  rep: number;
  samples: number;
  seconds: number;
  test_nll: number | null;
  excess_nll: number | null;
  param_error: number | null;
  test_mse: number | null;
}

export const METRIC_INFO: Readonly<Record<MetricColumn, { title: string; unit: string; short: string }>> = {
  excess_nll: { title: "excess test NLL", unit: "nats/obs", short: "excess NLL" },
  test_nll: { title: "test NLL", unit: "nats/obs", short: "test NLL" },
  param_error: { title: "parameter error", unit: "distance to truth", short: "parameter error" },
  test_mse: { title: "test MSE", unit: "squared response units", short: "test MSE" },
};

export function hasMetric(rows: readonly CurveRow[], metric: MetricColumn): boolean {
  return rows.some((r) => r[metric] !== null);
}

/** The metric used to pick a config per method: excess NLL, else test NLL, test MSE, parameter error. */
export function primaryMetric(rows: readonly CurveRow[]): MetricColumn | null {
  for (const m of ["excess_nll", "test_nll", "test_mse", "param_error"] as const) if (hasMetric(rows, m)) return m;
  return null;
}

export function groupBy<T, K>(xs: readonly T[], key: (x: T) => K): Map<K, T[]> {
  const out = new Map<K, T[]>();
  for (const x of xs) {
    const k = key(x);
    const g = out.get(k);
    if (g) g.push(x);
    else out.set(k, [x]);
  }
  return out;
}

/** One rep's final value of `metric`: the non-null value at the largest `samples`; NaN → +Infinity. */
function finalValue(repRows: readonly CurveRow[], metric: MetricColumn): number | null {
  let best: CurveRow | null = null;
  for (const r of repRows) {
    if (r[metric] === null) continue;
    if (best === null || r.samples > best.samples || (r.samples === best.samples && r.seconds > best.seconds)) best = r;
  }
  if (best === null) return null;
  const v = best[metric] as number;
  return Number.isFinite(v) ? v : Infinity;
}

/** Mean over reps of each rep's final value (Infinity if any rep diverged; null if no data). */
export function finalMean(rows: readonly CurveRow[], metric: MetricColumn): number | null {
  const finals: number[] = [];
  for (const repRows of groupBy(rows, (r) => r.rep).values()) {
    const v = finalValue(repRows, metric);
    if (v !== null) finals.push(v);
  }
  return finals.length === 0 ? null : finals.reduce((a, b) => a + b, 0) / finals.length;
}

/** For each method, the config with the lowest final mean `metric` (ties by config name). */
export function selectBestConfigs(rows: readonly CurveRow[], metric: MetricColumn): Map<string, string> {
  const out = new Map<string, string>();
  for (const [method, mRows] of groupBy(rows, (r) => r.method)) {
    const byConfig = [...groupBy(mRows, (r) => r.config)].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    let bestConfig = byConfig[0][0];
    let bestVal = Infinity;
    for (const [config, cRows] of byConfig) {
      const v = finalMean(cRows, metric);
      if (v !== null && v < bestVal) {
        bestVal = v;
        bestConfig = config;
      }
    }
    out.set(method, bestConfig);
  }
  return out;
}

/** One aggregated checkpoint of a series. */
export interface CurvePoint {
  method: string;
  label: string;
  /** Rows processed at this checkpoint. */
  samples: number;
  /** Mean wall time over reps at this checkpoint, s. */
  seconds: number;
  mean: number;
  lo: number;
  hi: number;
  /** Reps with a finite value here. */
  n: number;
}

export interface AggregateResult {
  points: CurvePoint[];
  /** Non-finite metric values left out. */
  nonFinite: number;
  reps: number;
}

/** Mean/min/max across reps at each `samples` checkpoint (rows of one method and config). */
export function aggregateCurve(rows: readonly CurveRow[], metric: MetricColumn, label: string): AggregateResult {
  let nonFinite = 0;
  const points: CurvePoint[] = [];
  const reps = new Set(rows.map((r) => r.rep)).size;
  for (const [samples, group] of [...groupBy(rows, (r) => r.samples)].sort((a, b) => a[0] - b[0])) {
    const vals: number[] = [];
    const secs: number[] = [];
    for (const r of group) {
      const v = r[metric];
      if (v === null) continue;
      if (!Number.isFinite(v)) {
        nonFinite++;
        continue;
      }
      vals.push(v);
      if (Number.isFinite(r.seconds)) secs.push(r.seconds);
    }
    if (vals.length === 0) continue;
    points.push({
      method: group[0].method, label, samples,
      seconds: secs.length > 0 ? secs.reduce((a, b) => a + b, 0) / secs.length : NaN,
      mean: vals.reduce((a, b) => a + b, 0) / vals.length,
      lo: Math.min(...vals), hi: Math.max(...vals), n: vals.length,
    });
  }
  return { points, nonFinite, reps };
}

/** Rows as CSV with a header (RFC 4180 quoting; null → empty cell; NaN/±Infinity as JavaScript prints them). */
export function formatCurveCsv(rows: readonly CurveRow[]): string {
  const cell = (v: string | number | null): string => {
    if (v === null) return "";
    const s = String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [CURVE_COLUMNS.join(","), ...rows.map((r) => CURVE_COLUMNS.map((c) => cell(r[c])).join(","))].join("\n") + "\n";
}

/** Rows as NDJSON, one object per line; non-finite numbers as the strings "NaN", "Infinity", "-Infinity". */
export function formatCurveNdjson(rows: readonly CurveRow[]): string {
  const enc = (v: string | number | null): string | number | null => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v);
  return rows.map((r) => JSON.stringify(Object.fromEntries(CURVE_COLUMNS.map((c) => [c, enc(r[c])])))).join("\n") + (rows.length > 0 ? "\n" : "");
}

/** Parses `formatCurveNdjson` output; throws naming the line and field on a bad value. */
export function parseCurveNdjson(text: string): CurveRow[] {
  const out: CurveRow[] = [];
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    const where = `line ${i + 1}`;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line) as Record<string, unknown>;
    } catch (err) {
      throw new Error(`${where}: not JSON (${(err as Error).message})`);
    }
    const num = (k: string, nullable: boolean): number | null => {
      const v = o[k];
      if (v === null && nullable) return null;
      if (typeof v === "number") return v;
      if (v === "NaN" || v === "Infinity" || v === "-Infinity") return Number(v);
      throw new Error(`${where}: '${k}' must be a number${nullable ? " or null" : ""}, got ${JSON.stringify(v)}`);
    };
    const str = (k: string): string => {
      const v = o[k];
      if (typeof v !== "string" || (k !== "config" && v.trim() === "")) throw new Error(`${where}: '${k}' must be a${k === "config" ? "" : " non-empty"} string`);
      return v;
    };
    out.push({
      scenario: str("scenario"), method: str("method"), config: str("config"),
      rep: num("rep", false) as number, samples: num("samples", false) as number, seconds: num("seconds", false) as number,
      test_nll: num("test_nll", true), excess_nll: num("excess_nll", true), param_error: num("param_error", true), test_mse: num("test_mse", true),
    });
  });
  return out;
}
