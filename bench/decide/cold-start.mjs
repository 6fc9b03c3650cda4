// Cold start of ONE engine in a fresh process (plain node, no tsx): import + load/compile + first decision,
// then RSS after a warm-up. Spawned by bench/decide.bench.ts; prints one JSON line. Answers are checked.
// Usage: node --expose-gc bench/decide/cold-start.mjs <engine> <job.json>
// The adapters repeat bench/decide/{handwritten,casbin,cedar}.ts in plain JS on purpose: a loader such as tsx
// would add its own cost to every import and blur the comparison.
import { readFileSync } from "node:fs";

const [engine, jobPath] = process.argv.slice(2);
const job = JSON.parse(readFileSync(jobPath, "utf8")); // { actions, expected: verdict[], wardenPolicy? }
const here = (p) => new URL(p, import.meta.url);
const text = (p) => readFileSync(here(p), "utf8");
const hr = process.hrtime.bigint;
const ms = (a, b) => Number(b - a) / 1e6;

globalThis.gc?.();
const rssBase = process.memoryUsage().rss;
const t0 = hr();
let decide; // (action) => verdict string
let t1, t2;

if (engine === "handwritten") {
  t1 = hr();
  const allowed = new Set(JSON.parse(text("./counterparties.json")));
  const write = new Set(["payments.send", "ledger.update"]);
  const declared = new Set(["payments.send", "ledger.update", "ledger.read"]);
  decide = (a) => {
    if (!declared.has(a.tool)) return "BLOCK";
    if (a.agent.role === "viewer" && write.has(a.tool)) return "BLOCK";
    if (a.tool === "payments.send") {
      const cp = a.args.counterparty;
      if (typeof cp !== "string" || !allowed.has(cp)) return "BLOCK";
      const amount = a.args.amount;
      if (!(typeof amount === "number" && amount <= 10000)) return "ESCALATE";
    }
    return "ALLOW";
  };
  t2 = hr();
} else if (engine === "casbin") {
  const { newEnforcer, newModelFromString, StringAdapter } = await import("casbin");
  t1 = hr();
  const e = await newEnforcer(newModelFromString(text("./casbin-model.conf")), new StringAdapter(text("./casbin-policy.csv")));
  decide = (a) => {
    const [ok, row] = e.enforceExSync(a.agent.role, a.tool, a.args.counterparty, a.args.amount);
    return ok ? "ALLOW" : (row[4] ?? "BLOCK");
  };
  t2 = hr();
} else if (engine === "cedar") {
  const cedar = await import("@cedar-policy/cedar-wasm/nodejs");
  t1 = hr();
  const parts = cedar.policySetTextToParts(text("./scenario.cedar"));
  if (parts.type !== "success") throw new Error("cedar parse failed");
  const policies = {};
  const verdicts = new Map();
  for (const p of parts.policies) {
    const id = /@id\("([^"]+)"\)/.exec(p)[1];
    policies[id] = p;
    verdicts.set(id, /@verdict\("([^"]+)"\)/.exec(p)[1]);
  }
  if (cedar.preparsePolicySet("cold", { staticPolicies: policies }).type !== "success") throw new Error("cedar preparse failed");
  decide = (a) => {
    const context = { role: a.agent.role };
    if (typeof a.args.counterparty === "string") context.counterparty = a.args.counterparty;
    if (typeof a.args.amount === "number") context.amountCents = Math.round(a.args.amount * 100);
    const r = cedar.statefulIsAuthorized({
      principal: { type: "Agent", id: a.agent.id }, action: { type: "Action", id: a.tool },
      resource: { type: "Tool", id: a.tool }, context, preparsedPolicySetId: "cold", entities: [],
    });
    if (r.type !== "success" || r.response.diagnostics.errors.length > 0) return "ERROR";
    if (r.response.decision === "allow") return "ALLOW";
    const reasons = r.response.diagnostics.reason;
    return reasons.length > 0 && reasons.every((id) => verdicts.get(id) === "ESCALATE") ? "ESCALATE" : "BLOCK";
  };
  t2 = hr();
} else if (engine === "warden") {
  // The built package (npm run bench builds dist/ first), as a user would import it.
  const warden = await import(new URL("../../dist/index.js", import.meta.url).href);
  t1 = hr();
  const src = readFileSync(job.wardenPolicy, "utf8");
  const compiled = warden.compilePolicy(src, { file: job.wardenPolicy });
  if (!compiled.ok) throw new Error(`warden: policy does not compile: ${JSON.stringify(compiled.diagnostics)}`);
  const policy = compiled.policy;
  decide = (a) => warden.decide(policy, a).verdict;
  t2 = hr();
} else {
  throw new Error(`cold-start: unknown engine ${engine}`);
}

const first = decide(job.actions[0]);
const t3 = hr();
const rssFirst = process.memoryUsage().rss;
if (first !== job.expected[0]) throw new Error(`cold-start ${engine}: first decision ${first}, oracle ${job.expected[0]}`);
for (let i = 1; i < job.actions.length; i++) {
  const v = decide(job.actions[i]);
  if (v !== job.expected[i]) throw new Error(`cold-start ${engine}: request #${i} got ${v}, oracle ${job.expected[i]}: ${JSON.stringify(job.actions[i])}`);
}
globalThis.gc?.();
const rssWarm = process.memoryUsage().rss;
console.log(JSON.stringify({
  engine, importMs: ms(t0, t1), compileMs: ms(t1, t2), firstMs: ms(t2, t3), totalMs: ms(t0, t3),
  rssBase, rssFirst, rssWarm, checked: job.actions.length,
}));
