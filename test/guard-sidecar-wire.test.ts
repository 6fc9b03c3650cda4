// guard() with a sidecar never sends an action JSON would not carry as it is (a BigInt, a cycle, NaN, a Map…):
// it is a BLOCK with code INVALID_ACTION naming the field, whatever the fallback, and the sidecar is not asked.
import { test } from "node:test";
import assert from "node:assert/strict";
import { compilePolicy } from "../src/compile/compile.js";
import { Governor } from "../src/gateway/governor.js";
import { buildGateway } from "../src/gateway/server.js";
import { guard, WardenBlockedError } from "../src/guard/index.js";

const compiled = compilePolicy(`
id: wire
version: "1"
default: ALLOW
rules:
  - { id: big, match: { tool: payments.send }, when: { field: args.amount, gt: 1000 }, verdict: BLOCK, code: TOO_BIG }
  - { id: no-2030, match: { tool: schedule }, when: { field: args.when, starts_with: "2030" }, verdict: BLOCK, code: NO_2030 }
`);
assert.ok(compiled.ok, JSON.stringify(compiled.diagnostics));
const token = "wire-test-token-0123456789";

async function withSidecar(body: (url: string, asked: () => number) => Promise<void>): Promise<void> {
  const { app } = buildGateway({ governor: new Governor(compiled.ok ? compiled.policy : null), apiToken: token });
  let asked = 0;
  app.addHook("onRequest", async () => void asked++);
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  try {
    await body(url, () => asked);
  } finally {
    await app.close();
  }
}

class Money {
  constructor(readonly cents: number) {}
}

test("sidecar, fallback ALLOW: a BigInt amount is blocked as INVALID_ACTION naming args.amount, and the tool never runs", async () => {
  await withSidecar(async (url, asked) => {
    const sent: unknown[] = [];
    const send = guard(async (a: Record<string, unknown>) => void sent.push(a), { name: "payments.send", sidecarUrl: url, token, fallback: "ALLOW" });
    await assert.rejects(send({ payee: "acme", amount: 50000000n }), (e: unknown) => {
      assert.ok(e instanceof WardenBlockedError);
      assert.equal(e.code, "INVALID_ACTION");
      assert.equal(e.decision, null);
      assert.match(e.message, /`args\.amount` is a BigInt, which JSON cannot carry; pass it as a number or a string/);
      return true;
    });
    assert.deepEqual(sent, []);
    assert.equal(asked(), 0, "nothing was sent to the sidecar");
  });
});

test("sidecar: every value JSON would throw on, drop or change is INVALID_ACTION with its field, never the fallback", async () => {
  await withSidecar(async (url, asked) => {
    const ran: unknown[] = [];
    const cyclic: Record<string, unknown> = { n: 1 };
    cyclic["self"] = cyclic;
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ amount: 5, meta: cyclic }, "args.meta.self", /a cycle/],
      [{ amount: Number.POSITIVE_INFINITY }, "args.amount", /Infinity, which JSON sends as null/],
      [{ amount: Number.NaN }, "args.amount", /NaN, which JSON sends as null/],
      [{ amount: 5, onDone: () => 1 }, "args.onDone", /a function, which JSON drops/],
      [{ amount: 5, tag: Symbol("t") }, "args.tag", /a symbol, which JSON drops/],
      [{ amount: 5, [Symbol("k")]: 1 }, "args", /a symbol key/],
      // refused by guard()'s private copy of the arguments before the wire check (a Map kept as it is could change)
      [{ amount: 5, rates: new Map([["eur", 1]]) }, "args.rates", /a Map, not JSON data/],
      [{ amount: new Money(5) }, "args.amount", /a Money/],
      [{ amount: 5, toJSON: () => ({ amount: 1 }) }, "args.toJSON", /a function/],
      [{ amount: 5, when: new Date(Number.NaN) }, "args.when", /an invalid Date/],
      [{ amount: 5, items: [1, undefined] }, "args.items.1", /undefined inside a list/],
    ];
    for (const fallback of ["ALLOW", "BLOCK"] as const) {
      const send = guard(async (a: Record<string, unknown>) => void ran.push(a), { name: "payments.send", sidecarUrl: url, token, fallback });
      for (const [args, field, why] of cases) {
        await assert.rejects(send(args), (e: unknown) => {
          assert.ok(e instanceof WardenBlockedError, String(e));
          assert.equal(e.code, "INVALID_ACTION", `${field}: ${e.message}`);
          assert.ok(e.message.includes(`\`${field}\``), `${field} named in: ${e.message}`);
          assert.match(e.message, why);
          return true;
        });
      }
    }
    assert.deepEqual(ran, []);
    assert.equal(asked(), 0);
  });
});

test("sidecar: undefined properties are dropped and a Date goes as its ISO string, as before", async () => {
  await withSidecar(async (url, asked) => {
    const ran: unknown[] = [];
    const send = guard(async (a: Record<string, unknown>) => (ran.push(a), "sent"), { name: "payments.send", sidecarUrl: url, token });
    assert.equal(await send({ payee: "acme", amount: 5, memo: undefined, when: new Date(0) }), "sent");
    await assert.rejects(send({ payee: "acme", amount: 5000, memo: undefined }), (e: unknown) => e instanceof WardenBlockedError && e.code === "TOO_BIG");
    assert.equal(ran.length, 1);
    assert.equal(asked(), 2);
  });
});

test("sidecar: a Date in the arguments is copied before deciding, so changing it after the call cannot change what runs", async () => {
  await withSidecar(async (url) => {
    const ran: string[] = [];
    const schedule = guard(async (a: { when: Date }) => void ran.push(a.when.toISOString()), { name: "schedule", sidecarUrl: url, token });
    await assert.rejects(schedule({ when: new Date("2030-01-01T00:00:00Z") }), (e: unknown) => e instanceof WardenBlockedError && e.code === "NO_2030");
    const when = new Date("2025-01-01T00:00:00Z");
    const call = schedule({ when });
    when.setUTCFullYear(2030); // after the call, while the sidecar decides
    await call;
    assert.deepEqual(ran, ["2025-01-01T00:00:00.000Z"]);
  });
});
