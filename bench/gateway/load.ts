// Open-loop HTTP load at a fixed rate, corrected for coordinated omission: each request's latency is measured
// from the time it was SCHEDULED to be sent, so a stalled server is charged for every request it delayed.
import { Agent, request } from "node:http";

export interface LoadResult {
  /** Latency from intended send time to the end of the response, ns. */
  latNs: Float64Array;
  errors: number;
  sent: number;
  /** Requests completed per second over the measured window. */
  achieved: number;
  /** Largest scheduling lag (how far the generator itself fell behind), ns. */
  maxLagNs: number;
}

export interface Target {
  url: string;
  headers?: Record<string, string>;
  bodies: Buffer[];
  /** Checks a response body once (the first), so a misconfigured target fails loudly. */
  check?: (status: number, body: string) => void;
}

export async function openLoop(target: Target, rate: number, durationMs: number, warmupMs: number, connections = 32): Promise<LoadResult> {
  const u = new URL(target.url);
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const total = Math.round((rate * (durationMs + warmupMs)) / 1000);
  const warm = Math.round((rate * warmupMs) / 1000);
  const lat = new Float64Array(total - warm);
  let errors = 0;
  let done = 0;
  let checked = false;
  let maxLag = 0;
  const intervalNs = 1e9 / rate;
  const t0 = process.hrtime.bigint();
  let measuredStart = 0n;
  let measuredEnd = 0n;
  await new Promise<void>((finish) => {
    let next = 0;
    const fire = (i: number, intended: bigint): void => {
      const body = target.bodies[i % target.bodies.length] as Buffer;
      const req = request(
        { host: u.hostname, port: u.port, path: u.pathname, method: "POST", agent, headers: { "content-type": "application/json", "content-length": body.length, ...(target.headers ?? {}) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const end = process.hrtime.bigint();
            if (res.statusCode !== 200) errors++;
            if (!checked) {
              checked = true;
              target.check?.(res.statusCode ?? 0, Buffer.concat(chunks).toString("utf8"));
            }
            if (i >= warm) {
              lat[i - warm] = Number(end - intended);
              if (i === total - 1 || end > measuredEnd) measuredEnd = end;
            }
            if (++done === total) finish();
          });
        },
      );
      req.on("error", () => {
        errors++;
        if (++done === total) finish();
      });
      req.end(body);
    };
    const tick = (): void => {
      const now = process.hrtime.bigint();
      const due = Math.min(total, Math.floor(Number(now - t0) / intervalNs) + 1);
      while (next < due) {
        const intended = t0 + BigInt(Math.round(next * intervalNs));
        const lag = Number(now - intended);
        if (lag > maxLag) maxLag = lag;
        if (next === warm) measuredStart = intended;
        fire(next, intended);
        next++;
      }
      if (next < total) setTimeout(tick, 0);
    };
    tick();
  });
  agent.destroy();
  return { latNs: lat, errors, sent: total, achieved: (lat.length * 1e9) / Number(measuredEnd - measuredStart), maxLagNs: maxLag };
}
