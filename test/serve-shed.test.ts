// Load shedding in the sidecar: while the event loop lags past the limit, API requests get 503 OVERLOADED at once
// (nothing decided, nothing recorded); /healthz and /metrics are still answered; without the option nothing sheds.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Governor } from "../src/gateway/governor.js";
import { buildGateway } from "../src/gateway/server.js";
import { MemorySink } from "../src/gateway/sink.js";
import { loadPolicyFile } from "../src/node/load.js";

const loaded = loadPolicyFile("examples/policies/finance.yaml");
assert.ok(loaded.ok, "example policy compiles");
const policy = loaded.policy;
const pay = { kind: "tool_call", tool: "payments.send", agent: { id: "fin-7", role: "operator" }, args: { amount: 100, currency: "USD", counterparty: "globex" } };

/** Keeps the event loop busy (what an overloaded sidecar's loop looks like to its own timers). */
function stall(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end);
}
const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test("under a lagging event loop, decisions are refused with 503 OVERLOADED and nothing is recorded", async () => {
  const sink = new MemorySink();
  const { app } = buildGateway({ governor: new Governor(policy, { sink }), maxEventLoopDelayMs: 50 });
  await app.ready();
  try {
    const calm = await app.inject({ method: "POST", url: "/v1/decide", payload: pay });
    assert.equal(calm.statusCode, 200, calm.body);
    const recordedBefore = sink.entries.length;

    // The shedder samples every 100 ms; a 400 ms stall makes the next sample's mean delay far above 50 ms. A
    // machine may stall on its own between the sample and the request, so try a few times.
    let shed: Awaited<ReturnType<typeof app.inject>> | undefined;
    let health: Awaited<ReturnType<typeof app.inject>> | undefined;
    for (let attempt = 0; attempt < 5 && shed === undefined; attempt++) {
      stall(400);
      await tick(1);
      const [d, h] = await Promise.all([app.inject({ method: "POST", url: "/v1/decide", payload: pay }), app.inject({ method: "GET", url: "/healthz" })]);
      if (d.statusCode === 503) [shed, health] = [d, h];
      else await tick(250);
    }
    assert.ok(shed, "a request during the lag was shed");
    assert.equal(shed.json().error.code, "OVERLOADED");
    assert.match(shed.json().error.message, /overloaded .*nothing was decided/);
    assert.equal(shed.headers["retry-after"], "1");
    assert.equal(health?.statusCode, 200, "health checks are answered under load");
    assert.equal(sink.entries.length, recordedBefore, "a shed request is never decided or recorded");
    const metrics = await app.inject({ method: "GET", url: "/metrics" });
    assert.match(metrics.body, /warden_errors_total\{type="overloaded"\} [1-9]/);

    // Once the loop keeps up again (the next samples), decisions flow again.
    let after = 0;
    for (let attempt = 0; attempt < 20 && after !== 200; attempt++) {
      await tick(150);
      after = (await app.inject({ method: "POST", url: "/v1/decide", payload: pay })).statusCode;
    }
    assert.equal(after, 200);
  } finally {
    await app.close();
  }
});

test("without the option, the same lag only delays decisions", async () => {
  const sink = new MemorySink();
  const { app } = buildGateway({ governor: new Governor(policy, { sink }) });
  await app.ready();
  try {
    stall(400);
    await tick(1);
    const r = await app.inject({ method: "POST", url: "/v1/decide", payload: pay });
    assert.equal(r.statusCode, 200, r.body);
  } finally {
    await app.close();
  }
});
