/**
 * Drives a headless Chromium through the DevTools protocol over `--remote-debugging-pipe` (file
 * descriptors 3 and 4, NUL-terminated JSON messages): no WebSocket, no dependency, no download.
 * Enough for the browser test and web/bench.ts: open a page, evaluate expressions, wait for a
 * condition, take a full-page screenshot.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable, Writable } from "node:stream";

const COMMAND_TIMEOUT_MS = 30_000;

/** The Chromium executable: $CHROMIUM, else the first of chromium, chromium-browser, google-chrome on PATH; null if none. */
export function findChromium(): string | null {
  const env = process.env.CHROMIUM;
  const names = env ? [env] : ["chromium", "chromium-browser", "google-chrome"];
  for (const name of names) {
    const r = spawnSync("sh", ["-c", `command -v "$1"`, "sh", name], { encoding: "utf8" });
    if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  }
  return null;
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

/** Messages the page logged and exceptions it threw (for failure messages). */
export type PageLog = string[];

export class Browser {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<(m: { method: string; params: Record<string, unknown>; sessionId?: string }) => void>();
  private buffer = "";
  private exited = false;
  private readonly stderr: string[] = [];

  private constructor(
    private readonly child: ChildProcess,
    private readonly out: Writable,
    input: Readable,
    private readonly profile: string,
  ) {
    input.setEncoding("utf8");
    input.on("data", (chunk: string) => this.receive(chunk));
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (s: string) => {
      this.stderr.push(s);
      if (this.stderr.length > 50) this.stderr.shift();
    });
    child.on("exit", () => {
      this.exited = true;
      for (const p of this.pending.values()) {
        clearTimeout(p.timer);
        p.reject(new Error(`chromium exited; its last messages: ${this.stderr.join("").slice(-800)}`));
      }
      this.pending.clear();
    });
  }

  /** Starts headless Chromium with a fresh temporary profile. */
  static async launch(executable: string): Promise<Browser> {
    const profile = mkdtempSync(join(tmpdir(), "ismm-chromium-"));
    const args = [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
      "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
      "--disable-component-update", "--hide-scrollbars", "--mute-audio", "--remote-debugging-pipe",
      `--user-data-dir=${profile}`, "about:blank",
    ];
    const child = spawn(executable, args, { stdio: ["ignore", "ignore", "pipe", "pipe", "pipe"] });
    const b = new Browser(child, child.stdio[3] as Writable, child.stdio[4] as Readable, profile);
    await b.send("Browser.getVersion");
    return b;
  }

  private receive(chunk: string): void {
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf("\0")) >= 0) {
      const text = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 1);
      const msg = JSON.parse(text) as { id?: number; result?: unknown; error?: { message: string }; method?: string; params?: Record<string, unknown>; sessionId?: string };
      if (msg.id !== undefined) {
        const p = this.pending.get(msg.id);
        if (!p) continue;
        this.pending.delete(msg.id);
        clearTimeout(p.timer);
        if (msg.error) p.reject(new Error(`CDP: ${msg.error.message}`));
        else p.resolve(msg.result);
      } else if (msg.method) {
        for (const l of this.listeners) l({ method: msg.method, params: msg.params ?? {}, sessionId: msg.sessionId });
      }
    }
  }

  /** Sends one DevTools command (to a page when `sessionId` is given). */
  send<T = Record<string, unknown>>(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<T> {
    if (this.exited) return Promise.reject(new Error("chromium is not running"));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`CDP: ${method} timed out after ${COMMAND_TIMEOUT_MS} ms`));
      }, COMMAND_TIMEOUT_MS);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.out.write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + "\0");
    });
  }

  /** Opens `url` in a new tab of the given viewport size. */
  async open(url: string, viewport = { width: 1240, height: 900 }): Promise<Page> {
    const { targetId } = await this.send<{ targetId: string }>("Target.createTarget", { url: "about:blank" });
    const { sessionId } = await this.send<{ sessionId: string }>("Target.attachToTarget", { targetId, flatten: true });
    const log: PageLog = [];
    this.listeners.add((m) => {
      if (m.sessionId !== sessionId) return;
      if (m.method === "Runtime.consoleAPICalled") {
        const args = (m.params.args as { value?: unknown; description?: string }[]) ?? [];
        log.push(`console.${String(m.params.type)}: ${args.map((a) => a.description ?? String(a.value)).join(" ")}`);
      } else if (m.method === "Runtime.exceptionThrown") {
        const d = m.params.exceptionDetails as { text?: string; exception?: { description?: string } };
        log.push(`exception: ${d.exception?.description ?? d.text ?? "?"}`);
      }
    });
    await this.send("Runtime.enable", {}, sessionId);
    await this.send("Page.enable", {}, sessionId);
    await this.send("Emulation.setDeviceMetricsOverride", { width: viewport.width, height: viewport.height, deviceScaleFactor: 1, mobile: false }, sessionId);
    await this.send("Page.navigate", { url }, sessionId);
    return new Page(this, sessionId, targetId, log);
  }

  /** Closes the browser (and kills it if it does not exit within 5 s) and removes its profile. */
  async close(): Promise<void> {
    if (!this.exited) {
      const gone = new Promise<void>((ok) => this.child.once("exit", () => ok()));
      this.send("Browser.close").catch(() => undefined);
      const timer = setTimeout(() => this.child.kill("SIGKILL"), 5000);
      await gone;
      clearTimeout(timer);
    }
    rmSync(this.profile, { recursive: true, force: true });
  }
}

export class Page {
  constructor(
    private readonly browser: Browser,
    private readonly sessionId: string,
    readonly targetId: string,
    /** Console messages and uncaught exceptions of the page. */
    readonly log: PageLog,
  ) {}

  /** Sends a DevTools command to this page. */
  send<T = Record<string, unknown>>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    return this.browser.send<T>(method, params, this.sessionId);
  }

  /** Sets the files of the `<input type="file">` matching `selector` (fires its change event). */
  async setInputFiles(selector: string, files: readonly string[]): Promise<void> {
    const { root } = await this.send<{ root: { nodeId: number } }>("DOM.getDocument");
    const { nodeId } = await this.send<{ nodeId: number }>("DOM.querySelector", { nodeId: root.nodeId, selector });
    if (!nodeId) throw new Error(`no element matches ${selector}`);
    await this.send("DOM.setFileInputFiles", { nodeId, files: [...files] });
  }

  /** Evaluates `expression` in the page (awaiting a promise) and returns its JSON value. */
  async evaluate<T>(expression: string): Promise<T> {
    const r = await this.browser.send<{ result: { value?: T }; exceptionDetails?: { text: string; exception?: { description?: string } } }>(
      "Runtime.evaluate", { expression, awaitPromise: true, returnByValue: true }, this.sessionId,
    );
    if (r.exceptionDetails) throw new Error(`page: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
    return r.result.value as T;
  }

  /** Polls `expression` every 100 ms until it is truthy; returns its value. Throws after `timeoutMs`. */
  async waitFor<T>(expression: string, timeoutMs: number): Promise<T> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const v = await this.evaluate<T>(expression).catch(() => undefined);
      if (v) return v;
      if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${expression}; page log:\n${this.log.join("\n")}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Writes a PNG screenshot of the whole page (not only the viewport) to `path`. */
  async screenshot(path: string): Promise<void> {
    const m = await this.browser.send<{ cssContentSize: { width: number; height: number } }>("Page.getLayoutMetrics", {}, this.sessionId);
    const { width, height } = m.cssContentSize;
    const r = await this.browser.send<{ data: string }>(
      "Page.captureScreenshot",
      { format: "png", captureBeyondViewport: true, clip: { x: 0, y: 0, width: Math.ceil(width), height: Math.ceil(height), scale: 1 } },
      this.sessionId,
    );
    writeFileSync(path, Buffer.from(r.data, "base64"));
  }

  async close(): Promise<void> {
    await this.browser.send("Target.closeTarget", { targetId: this.targetId }).catch(() => undefined);
  }
}
