/**
 * The demo's Web Worker: runs the race (engine.ts) off the page's thread and posts its state at
 * most every PROGRESS_MS, then the result. Messages in: `start` (a scenario), `csv` (a File),
 * `stop`. Messages out: `progress` (RaceState), `done` (RaceResult), `error` ({ message }).
 */
import { raceCsv, raceSynthetic, type Race, type RaceResult } from "./engine.js";
import type { ScenarioName } from "./scenarios.js";

export type WorkerRequest =
  | { readonly type: "start"; readonly scenario: ScenarioName; readonly rows: number; readonly seed: number }
  | { readonly type: "csv"; readonly file: File; readonly K: number; readonly seed: number; readonly target?: string }
  | { readonly type: "stop" };

const PROGRESS_MS = 100;

interface WorkerScope {
  postMessage(message: unknown): void;
  onmessage: ((e: MessageEvent<WorkerRequest>) => void) | null;
}
const scope = self as unknown as WorkerScope;

let stopRequested = false;
let lastPost = 0;

/** Posts progress now and then; yields to the event loop then too, so that `stop` can arrive. */
async function tick(race: Race): Promise<boolean> {
  const now = performance.now();
  if (now - lastPost >= PROGRESS_MS) {
    lastPost = now;
    scope.postMessage({ type: "progress", state: race.state() });
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  return stopRequested;
}

async function run(req: Exclude<WorkerRequest, { type: "stop" }>): Promise<void> {
  stopRequested = false;
  lastPost = performance.now();
  try {
    const result: RaceResult =
      req.type === "start"
        ? await raceSynthetic(req.scenario, req.rows, req.seed, tick)
        : await raceCsv({ input: req.file.stream(), label: req.file.name, K: req.K, seed: req.seed, target: req.target }, tick);
    scope.postMessage({ type: "done", result, stopped: stopRequested });
  } catch (err) {
    scope.postMessage({ type: "error", message: err instanceof Error ? err.message : String(err) });
  }
}

scope.onmessage = (e) => {
  const req = e.data;
  if (req.type === "stop") stopRequested = true;
  else void run(req);
};
