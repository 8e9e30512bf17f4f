/**
 * Tiny reader for the benchmark's long-format results CSV:
 *
 *   scenario,method,config,rep,samples,seconds,test_nll,excess_nll,param_error,test_mse
 *
 * RFC 4180 quoting is supported (a config label may contain commas). Empty
 * metric cells mean "not applicable" and become `null`; `NaN`, `Infinity`,
 * `-Infinity` (and `inf`/`nan` in any case) are accepted for diverged runs.
 * Extra columns are ignored; column order is taken from the header.
 */
import { readFile } from "node:fs/promises";

export const METRIC_COLUMNS = ["test_nll", "excess_nll", "param_error", "test_mse"] as const;
export type MetricColumn = (typeof METRIC_COLUMNS)[number];

export const REQUIRED_COLUMNS = [
  "scenario",
  "method",
  "config",
  "rep",
  "samples",
  "seconds",
  ...METRIC_COLUMNS,
] as const;

export interface BenchRow {
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

/** Split CSV text into records of raw string fields (RFC 4180; CRLF or LF). */
export function parseCsvRecords(text: string): string[][] {
  const records: string[][] = [];
  let field = "";
  let record: string[] = [];
  let inQuotes = false;
  let i = 0;
  if (text.charCodeAt(0) === 0xfeff) i = 1; // BOM
  const endRecord = (): void => {
    record.push(field);
    field = "";
    // skip blank lines
    if (!(record.length === 1 && record[0] === "")) records.push(record);
    record = [];
  };
  for (; i < text.length; i++) {
    const c = text[i];
    if (inQuotes) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else inQuotes = false;
      } else field += c;
    } else if (c === '"' && field === "") inQuotes = true;
    else if (c === ",") {
      record.push(field);
      field = "";
    } else if (c === "\n") endRecord();
    else if (c === "\r") {
      if (text[i + 1] === "\n") i++;
      endRecord();
    } else field += c;
  }
  if (inQuotes) throw new Error("CSV ends inside a quoted field");
  if (field !== "" || record.length > 0) endRecord();
  return records;
}

function parseNumber(raw: string, where: string, allowEmpty: boolean): number | null {
  const s = raw.trim();
  if (s === "") {
    if (allowEmpty) return null;
    throw new Error(`${where}: empty value where a number is required`);
  }
  const lower = s.toLowerCase();
  if (lower === "nan") return NaN;
  if (lower === "inf" || lower === "infinity" || lower === "+inf" || lower === "+infinity") return Infinity;
  if (lower === "-inf" || lower === "-infinity") return -Infinity;
  const v = Number(s);
  if (Number.isNaN(v)) throw new Error(`${where}: not a number: ${JSON.stringify(raw)}`);
  return v;
}

/** Parse the benchmark CSV text into typed rows (throws with line numbers on bad input). */
export function parseBenchCsv(text: string): BenchRow[] {
  const records = parseCsvRecords(text);
  if (records.length === 0) throw new Error("CSV is empty (no header)");
  const header = records[0].map((h) => h.trim());
  const col = new Map<string, number>();
  header.forEach((h, j) => col.set(h, j));
  const missing = REQUIRED_COLUMNS.filter((c) => !col.has(c));
  if (missing.length > 0) throw new Error(`CSV header is missing column(s): ${missing.join(", ")}`);
  const idx = (name: string): number => col.get(name) as number;

  const rows: BenchRow[] = [];
  for (let r = 1; r < records.length; r++) {
    const rec = records[r];
    const where = `CSV line ${r + 1}`; // 1-based, header is line 1 (assumes no embedded newlines)
    if (rec.length < header.length) throw new Error(`${where}: expected ${header.length} fields, got ${rec.length}`);
    const get = (name: string): string => rec[idx(name)];
    const num = (name: string): number => parseNumber(get(name), `${where}, column ${name}`, false) as number;
    const opt = (name: string): number | null => parseNumber(get(name), `${where}, column ${name}`, true);
    const scenario = get("scenario").trim();
    const method = get("method").trim();
    if (scenario === "" || method === "") throw new Error(`${where}: scenario and method must be non-empty`);
    rows.push({
      scenario,
      method,
      config: get("config").trim(),
      rep: num("rep"),
      samples: num("samples"),
      seconds: num("seconds"),
      test_nll: opt("test_nll"),
      excess_nll: opt("excess_nll"),
      param_error: opt("param_error"),
      test_mse: opt("test_mse"),
    });
  }
  return rows;
}

/** Read and parse a benchmark CSV file. */
export async function readBenchCsv(file: string): Promise<BenchRow[]> {
  return parseBenchCsv(await readFile(file, "utf8"));
}

/** Serialise rows back to CSV (used by tests and to write filtered copies). */
export function formatBenchCsv(rows: readonly BenchRow[]): string {
  const cell = (v: string | number | null): string => {
    if (v === null) return "";
    const s = String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const lines = [REQUIRED_COLUMNS.join(",")];
  for (const r of rows) lines.push(REQUIRED_COLUMNS.map((c) => cell(r[c])).join(","));
  return lines.join("\n") + "\n";
}
