/**
 * Worker thread of `ismm select`: receives one `SelectJob` at a time, answers with its
 * `SelectOutcome`, or with the error as its exit-code kind and one-line message.
 */
import { parentPort } from "node:worker_threads";
import { IsmmError, OptionError } from "../index.js";
import { CliFileError } from "./errors.js";
import { fitAndScore, type SelectJob } from "./select-fit.js";

/** An error as plain data: `file` errors exit 1 with their message, `internal` ones exit 3. */
export interface WorkerError {
  readonly kind: "file" | "option" | "internal";
  readonly message: string;
}

export function errorData(err: unknown): WorkerError {
  if (err instanceof OptionError) return { kind: "option", message: err.message };
  if (err instanceof IsmmError || err instanceof CliFileError) return { kind: "file", message: err.message };
  return { kind: "internal", message: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
}

parentPort?.on("message", (job: SelectJob) => {
  fitAndScore(job).then(
    (outcome) => parentPort?.postMessage({ outcome }),
    (err: unknown) => parentPort?.postMessage({ error: errorData(err) }),
  );
});
