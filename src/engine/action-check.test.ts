// Action structure checks and RFC 3339 parsing.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { checkAction, parseTime } from "./action-check.js";

test("parseTime agrees with Date.parse on valid RFC 3339 times and rejects impossible dates", () => {
  fc.assert(fc.property(fc.date({ min: new Date("1970-01-01T00:00:00Z"), max: new Date("2999-12-31T23:59:59Z"), noInvalidDate: true }), fc.integer({ min: -14 * 60, max: 14 * 60 }), (d, off) => {
    const iso = d.toISOString();
    assert.equal(parseTime(iso), d.getTime());
    const sign = off < 0 ? "-" : "+";
    const abs = Math.abs(off);
    const withOffset = `${iso.slice(0, 19)}${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
    assert.equal(parseTime(withOffset), Date.parse(withOffset));
  }), { numRuns: 500 });
  for (const bad of ["2026-02-30T00:00:00Z", "2026-13-01T00:00:00Z", "2026-03-02 10:15:00", "2026-03-02T25:00:00Z", "yesterday", "2025-02-29T00:00:00Z"]) {
    assert.equal(parseTime(bad), undefined, bad);
  }
  assert.equal(parseTime("2024-02-29T00:00:00.123456Z"), Date.UTC(2024, 1, 29, 0, 0, 0, 123));
});

test("checkAction names the bad field; inherited values never count", () => {
  assert.equal(checkAction({ kind: "tool_call", tool: "x" }), undefined);
  assert.equal(checkAction({ kind: "tool_call" })?.field, "tool");
  assert.equal(checkAction({ kind: "nope", tool: "x" })?.field, "kind");
  assert.equal(checkAction({ kind: "tool_call", tool: "x", agent: { role: 5 } })?.field, "agent.role");
  assert.equal(checkAction({ kind: "tool_call", tool: "x", args: [1] })?.field, "args");
  assert.equal(checkAction({ kind: "message", at: "soon" })?.field, "at");
  assert.equal(checkAction(JSON.parse('{"kind":"message","__proto__":{"tool":"evil"}}'))?.field, undefined);
  const proto = { kind: "tool_call", tool: "x" };
  assert.equal(checkAction(Object.create(proto))?.field, "", "custom prototypes are refused");
  const nullProto = Object.assign(Object.create(null), { kind: "message" });
  assert.equal(checkAction(nullProto), undefined);
});

test("years 0000-0099 and offsets are exact; impossible offsets are rejected", () => {
  assert.equal(parseTime("0001-01-01T00:00:00Z"), Date.parse("0001-01-01T00:00:00Z"));
  assert.equal(parseTime("0099-12-31T23:59:59Z"), Date.parse("0099-12-31T23:59:59Z"));
  assert.equal(parseTime("2026-03-02T10:15:00+99:99"), undefined);
  assert.equal(parseTime("2026-03-02T10:15:00+23:59"), Date.parse("2026-03-02T10:15:00+23:59"));
});

test("tool names with controls or lone surrogates are malformed", () => {
  assert.equal(checkAction({ kind: "tool_call", tool: "pay\u0000ments" })?.field, "tool");
  assert.equal(checkAction({ kind: "tool_call", tool: "pay\ud800" })?.field, "tool");
  assert.equal(checkAction({ kind: "tool_call", tool: "pay\ud83d\ude00" }), undefined);
});
