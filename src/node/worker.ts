// Starts a worker thread on one of our own modules, from the built dist/ (plain .js) or from the sources
// under tsx (tests, benchmarks run from src/): a worker does not inherit the tsx loader, so there it is
// started from a two-line bootstrap that registers tsx and then imports the .ts module.
import { Worker, type WorkerOptions } from "node:worker_threads";

/** `moduleUrl` is the worker module next to the caller, e.g. new URL("./verify-worker.js", import.meta.url). */
export function startWorker(moduleUrl: URL, options: WorkerOptions = {}): Worker {
  const href = moduleUrl.href;
  if (href.endsWith(".js")) {
    const source = new URL(href.slice(0, -3) + ".ts");
    // Running from src/ under tsx: the .js file does not exist beside the caller, its .ts source does.
    if (import.meta.url.endsWith(".ts")) {
      const code = `import("tsx/esm/api").then((m) => { m.register(); return import(${JSON.stringify(source.href)}); });`;
      return new Worker(code, { ...options, eval: true });
    }
  }
  return new Worker(moduleUrl, options);
}
