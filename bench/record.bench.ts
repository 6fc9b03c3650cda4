// Record path benchmark: decide + canonicalize + hash + sign (HMAC; Ed25519 separately) + audit append,
// p50/p99/p99.9 per stage and end to end; records/s in batched and strict mode; verify and replay
// throughput. Peers: canonicalize@4 (JCS), JSON.stringify (floor). Anchors from issue 4.
// Reproduce: npm run bench -- record
import { createHmac, generateKeyPairSync, hash as oneShotHash, sign as edSign } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import canonicalizePeer from "canonicalize";
import { summarize, us, ratio, type LatencySummary } from "./lib/stats.js";
import { machineLine, table, writeSection } from "./lib/report.js";
// The engine under test comes from the built dist/ (what users run; `npm run bench` builds it): under tsx
// every function carries a keepNames wrapper that costs measurable time on a µs path.
import type { Decision } from "../src/index.js";
import type { Durability } from "../src/audit/log.js";
import type { SignatureMode } from "../src/record/record.js";
import type { Keyring } from "../src/keys/keyring.js";
import type { CompiledPolicy } from "../src/compile/build.js";
import { POLICY_YAML, randomActions } from "../test/record-fixtures.js";
import { hitChance, longestCleanCall, measureClockGaps, type ClockGaps } from "./lib/clock-gaps.js";

const dist = new URL("../dist/", import.meta.url).href;
const { canonicalize } = (await import(`${dist}canonical/jcs.js`)) as typeof import("../src/canonical/jcs.js");
const { decide, MemoryThrottleStore, compilePolicy } = (await import(`${dist}index.js`)) as typeof import("../src/index.js");
const { AuditLog } = (await import(`${dist}audit/log.js`)) as typeof import("../src/audit/log.js");
const { FileStorage } = (await import(`${dist}audit/file-storage.js`)) as typeof import("../src/audit/file-storage.js");
const { verifyLog, PARALLEL_MIN_BYTES } = (await import(`${dist}audit/verify.js`)) as typeof import("../src/audit/verify.js");
const { replayLog } = (await import(`${dist}record/replay.js`)) as typeof import("../src/record/replay.js");
const { generateKeyFiles } = (await import(`${dist}keys/keyfile.js`)) as typeof import("../src/keys/keyfile.js");

const N = 50_000; // records per end-to-end run
const STAGE_N = 50_000;
const started = Date.now();
const say = (m: string): void => console.log(`[record ${((Date.now() - started) / 1000).toFixed(1)}s] ${m}`);
const gc = (): void => (globalThis as { gc?: () => void }).gc?.();
const now = (): bigint => process.hrtime.bigint();

const root = mkdtempSync(join(tmpdir(), "warden-bench-record-"));
const keys: Keyring = generateKeyFiles(join(root, "keys"), new Date("2026-03-01T00:00:00Z")).ring;
const compiled = compilePolicy(POLICY_YAML, { file: "fixture.yaml" });
if (!compiled.ok) throw new Error("fixture policy does not compile");
const policy: CompiledPolicy = compiled.policy;
const actions = randomActions(N, 77);
const actionBytes = actions.reduce((s, a) => s + Buffer.byteLength(JSON.stringify(a)), 0) / actions.length;

/** Times `fn` on every input, one sample each (ns). */
function stage<T>(inputs: T[], fn: (x: T) => unknown, warm = 5_000): LatencySummary {
  for (let i = 0; i < warm; i++) fn(inputs[i % inputs.length] as T);
  gc();
  const samples = new Float64Array(inputs.length);
  let sink = 0;
  for (let i = 0; i < inputs.length; i++) {
    const t0 = now();
    const r = fn(inputs[i] as T);
    samples[i] = Number(now() - t0);
    if (r) sink++;
  }
  if (sink < 0) console.log(sink);
  return summarize(samples);
}

/** Calibration: SHA-256 of 1 KiB, the same work whatever the load; TOOLING.md measured ≈ 1.7–2 µs on an idle core. */
function calibrate(): number {
  const ref = Buffer.alloc(1024, 1);
  const s = stage(Array.from({ length: 20_000 }, () => ref), (b) => oneShotHash("sha256", b, "hex"), 2_000);
  return s.p50;
}
const load0 = loadavg()[0] ?? NaN;
const cpuStart = process.cpuUsage();
const cal0 = calibrate();
const gaps0 = measureClockGaps();

// 1. Stages.
say("stages");
const timer = stage(actions.slice(0, STAGE_N), () => 1);
const store = new MemoryThrottleStore();
const decisions: Decision[] = [];
const decideS = stage(actions.slice(0, STAGE_N), (a) => {
  const d = decide(policy, a, { throttle: store });
  store.commit(d);
  decisions.push(d);
  return d;
}, 0);
const jcs = stage(actions.slice(0, STAGE_N), (a) => canonicalize(a));
const jcsPeer = stage(actions.slice(0, STAGE_N), (a) => canonicalizePeer(a));
const stringify = stage(actions.slice(0, STAGE_N), (a) => JSON.stringify(a));
for (const a of actions.slice(0, 1000)) if (canonicalize(a) !== canonicalizePeer(a)) throw new Error("JCS disagrees with canonicalize@4");
const texts = actions.slice(0, STAGE_N).map((a) => canonicalize(a));
const sha = stage(texts, (t) => oneShotHash("sha256", t, "hex"));
const hmacKey = Buffer.alloc(32, 7);
const hmac = stage(texts, (t) => createHmac("sha256", hmacKey).update(t).digest());
const { privateKey } = generateKeyPairSync("ed25519");
const ed = stage(texts.slice(0, 5_000), (t) => edSign(null, Buffer.from(t), privateKey), 500);

// 2. End to end: decide + record (JCS, hashes, signature, leaf, queue) + append, per call.
interface Run {
  label: string;
  latency: LatencySummary;
  recordsPerSec: number;
  /** Records per CPU-second of this process (all its threads): throughput on one core, whatever the load. */
  perCpuSec: number;
}

/** CPU seconds this process used (user + system, all threads) since `from`. */
const cpuSince = (from: NodeJS.CpuUsage): number => {
  const c = process.cpuUsage(from);
  return (c.user + c.system) / 1e6;
};

async function endToEnd(label: string, durability: Durability, signatures: SignatureMode, count: number, concurrency = 1, sensitive = true): Promise<Run> {
  const dir = join(root, `log-${label.replace(/\W+/g, "-")}`);
  const log = await AuditLog.open(new FileStorage(dir), { keys, durability, signatures, sensitive: sensitive ? policy.ir.sensitive : [] });
  const st = new MemoryThrottleStore();
  const samples = new Float64Array(count);
  gc();
  const c0 = process.cpuUsage();
  const t0 = now();
  if (durability === "batched") {
    // The hot path is synchronous; yield to the writer every 256 calls (the yield is not in the samples).
    for (let i = 0; i < count; i++) {
      const a = actions[i % actions.length] as Record<string, unknown>;
      const s = now();
      const d = decide(policy, a, { throttle: st });
      st.commit(d);
      log.append(a, d);
      samples[i] = Number(now() - s);
      if ((i & 255) === 255) await new Promise((r) => setImmediate(r));
    }
  } else {
    // strict: each caller waits for its fsync; `concurrency` callers share group commits.
    let next = 0;
    const worker = async (): Promise<void> => {
      for (;;) {
        const i = next++;
        if (i >= count) return;
        const a = actions[i % actions.length] as Record<string, unknown>;
        const s = now();
        const d = decide(policy, a, { throttle: st });
        st.commit(d);
        await log.record(a, d);
        samples[i] = Number(now() - s);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  }
  await log.close();
  const seconds = Number(now() - t0) / 1e9;
  return { label, latency: summarize(samples), recordsPerSec: count / seconds, perCpuSec: count / cpuSince(c0) };
}

say("end to end, batched");
await endToEnd("warm-up", "batched", "hmac", 10_000);
await endToEnd("warm-up, no sensitive fields", "batched", "hmac", 10_000, 1, false);
// The first long run in the process pays for heap growth (measured ~8 µs at p50 on whichever row ran first),
// so a full-length unmeasured run goes first.
await endToEnd("heap warm-up", "batched", "hmac", N, 1, false);
const batchedHmac = await endToEnd("batched, HMAC per record", "batched", "hmac", N, 1, false);
const batchedHmacEnc = await endToEnd("batched, HMAC per record, args.ssn encrypted (AES-256-GCM)", "batched", "hmac", N);
const batchedEd = await endToEnd("batched, Ed25519 per record", "batched", "ed25519", 10_000);
const batchedBoth = await endToEnd("batched, HMAC + Ed25519 per record", "batched", "both", 10_000);
say("end to end, strict");
const strict1 = await endToEnd("strict, 1 caller", "strict", "hmac", 2_000, 1);
const strict64 = await endToEnd("strict, 64 concurrent callers", "strict", "hmac", 20_000, 64);

// 3. Verify and replay throughput over the 50,000-record batched log.
say("verify + replay");
const logDir = join(root, "log-batched-HMAC-per-record-args-ssn-encrypted-AES-256-GCM-");
const threads = availableParallelism();
/** Verifies the encrypted-field log inline (threads 1) or on every core; wall and CPU seconds. */
async function verifyRun(t: number, deep = false, dir = logDir, records = N): Promise<{ sec: number; cpu: number; bytes: number }> {
  gc();
  const c0 = process.cpuUsage();
  const t0 = now();
  const storage = new FileStorage(dir, { repair: false });
  const v = await verifyLog(storage, { keys, threads: t, deep });
  // the segment bytes are what the default thread choice looks at
  const out = { sec: Number(now() - t0) / 1e9, cpu: cpuSince(c0), bytes: storage.segmentBytes() };
  if (!v.ok || v.records !== records) throw new Error(`verify failed: ${JSON.stringify(v.errors.slice(0, 3))}`);
  return out;
}
const v1 = await verifyRun(1);
const vN = await verifyRun(threads);
const vDeep = await verifyRun(1, true);
// A longer log (the same actions, four times over) shows the rate once each worker's start-up and JIT warm-up
// (a fixed cost per run) is spread over more records.
const LONG_N = 4 * N;
await endToEnd("long log", "batched", "hmac", LONG_N);
const longDir = join(root, "log-long-log");
const vLong1 = await verifyRun(1, false, longDir, LONG_N);
const vLongN = await verifyRun(threads, false, longDir, LONG_N);
const logBytes = v1.bytes;
const longBytes = vLong1.bytes;
gc();
let c = process.cpuUsage();
let t = now();
gc();
c = process.cpuUsage();
t = now();
const r = await replayLog(new FileStorage(logDir, { repair: false }), { policy, keys });
const replaySec = Number(now() - t) / 1e9;
const replayCpu = cpuSince(c);
if (r.matched !== N) throw new Error(`replay mismatched: ${r.drifted} drifted, ${r.skipped.length} skipped`);
rmSync(root, { recursive: true, force: true });
const cal1 = calibrate();
const gaps1 = measureClockGaps();
const load1 = loadavg()[0] ?? NaN;

/** The run the default thread choice makes for a log of `records` records (file bytes against PARALLEL_MIN_BYTES). */
function defaultRun(records: number, inline: { sec: number }, parallel: { sec: number }): { sec: number } {
  return (records === N ? logBytes : longBytes) >= PARALLEL_MIN_BYTES ? parallel : inline;
}

/** What the machine's interruptions alone do to the p99 of a call lasting `p50us` (bench/lib/clock-gaps.c). */
function gapsLine(before: ClockGaps | null, after: ClockGaps | null, p50us: number): string {
  if (before === null || after === null) return "- The machine's interruption floor was not measured (no C compiler).";
  const rate = (before.gapsPerSec + after.gapsPerSec) / 2;
  const mean = (before.meanGapUs + after.meanGapUs) / 2;
  const chance = hitChance(rate, p50us);
  return `- The machine's interruption floor (bench/lib/clock-gaps.c: one C thread reading the clock in a loop, no JavaScript): it lost the CPU
  ${before.gapsPerSec.toFixed(0)} times a second before the runs and ${after.gapsPerSec.toFixed(0)} after, for ${before.meanGapUs.toFixed(1)} / ${after.meanGapUs.toFixed(1)} µs on average (${(100 * before.lostShare).toFixed(1)}% / ${(100 * after.lostShare).toFixed(1)}% of its time).
  A call as long as the end-to-end p50 (${p50us.toFixed(1)} µs) is hit by such a gap with probability ${(100 * chance).toFixed(1)}%${chance > 0.01 ? `: more than 1%, so on this machine that call's p99 includes a gap whatever the code does (p99 ≳ p50 + ${mean.toFixed(0)} µs); the 25 µs target needs a p50 below ~${longestCleanCall(rate, 0.01).toFixed(1)} µs here` : ""}.`;
}

// 4. Report.
const row = (name: string, s: LatencySummary, extra = ""): string[] => [name, us(s.p50), us(s.p99), us(s.p999), extra];
const fmt = (n: number): string => Math.round(n).toLocaleString("en-US");
const e2e = (x: Run): string[] => [x.label, us(x.latency.p50), us(x.latency.p99), us(x.latency.p999), fmt(x.recordsPerSec), fmt(x.perCpuSec)];
const md = `
## Decision records and the audit log

${machineLine()}. Command: \`npm run bench -- record\` (bench/record.bench.ts). Actions: ${N.toLocaleString("en-US")} random tool calls
(${Math.round(actionBytes)} bytes of JSON on average) under the 5-rule test policy (allow-list, approval, two throttles,
\`sensitive: [args.ssn]\` encrypted with AES-256-GCM), one sample per call, timer overhead p50 ${us(timer.p50)} µs included.

**Machine load during this run:** 1-minute load average ${load0.toFixed(1)} → ${load1.toFixed(1)} on ${cpus().length} cores; this process got
${(100 * cpuSince(cpuStart) / ((Date.now() - started) / 1000)).toFixed(0)}% of one core over the run. Calibration — SHA-256 of 1 KiB, p50 ${us(cal0)} µs before and ${us(cal1)} µs after.
Latencies are per call as measured (a call preempted by other processes shows up in p99/p99.9); throughput is given
both per wall-clock second and per CPU-second.

### Stages (µs per call)

${table(["stage", "p50", "p99", "p99.9", "vs"], [
  row("decide() + throttle commit", decideS),
  row("JCS: Warden canonicalize()", jcs, `${ratio(jcsPeer.p50, jcs.p50)} faster than canonicalize@4 at p50`),
  row("JCS: canonicalize@4 (peer)", jcsPeer),
  row("JSON.stringify (floor, not canonical)", stringify),
  row("SHA-256 of the canonical action", sha),
  row("HMAC-SHA256 sign", hmac),
  row("Ed25519 sign", ed, `${ratio(ed.p50, hmac.p50)} HMAC`),
])}

### End to end: decide + canonicalize + hash + sign + append (µs per call)

${table(["path", "p50", "p99", "p99.9", "records/s (wall, incl. fsync)", "records per CPU-second"], [e2e(batchedHmac), e2e(batchedHmacEnc), e2e(batchedEd), e2e(batchedBoth), e2e(strict1), e2e(strict64)])}

The first row is the path the target names (decide + canonicalize + hash + HMAC + append). The second adds what this
fixture policy also asks for: \`sensitive: [args.ssn]\`, so each payment (~20% of the actions) gets its SSN encrypted with
AES-256-GCM before the input is stored (node:crypto's Cipheriv costs ~7 µs per field). The Ed25519, both and strict rows
use the encrypting policy too.

- Target (issue 4): full path with HMAC and batched append p99 ≤ 25 µs — measured **${us(batchedHmac.latency.p99)} µs** (p50 ${us(batchedHmac.latency.p50)} µs; with field encryption ${us(batchedHmacEnc.latency.p99)} µs);
  ≥ 50,000 records/s on one core — measured **${fmt(batchedHmac.perCpuSec)} records per CPU-second** (${fmt(batchedHmac.recordsPerSec)}/s wall clock while sharing the cores).
  "Records per CPU-second" divides by the CPU time of all of this process's threads (GC, fs writes included), so it is the
  one-core throughput independent of how much of the machine other work took; the wall rate is what this run got.
${gapsLine(gaps0, gaps1, batchedHmac.latency.p50 / 1000)}
- Anchors: Microsoft Agent Governance Toolkit publishes 0.416 ms p99 for its full stack with Merkle audit (${ratio(416_000, batchedHmac.latency.p99)} our batched HMAC p99); the seed's governance gate adds 0.3–0.8 ms.
- Choice: **HMAC per record + Ed25519 on signed tree heads** (every 1,000 records, every second, and at close) is the default.
  Ed25519 per record costs ${us(ed.p50)} µs at p50 (${ratio(ed.p50, hmac.p50)} an HMAC) and caps one core near ${Math.round(batchedEd.recordsPerSec).toLocaleString("en-US")} records/s; it is available
  (\`signatures: "ed25519" | "both"\`) when each record must be verifiable alone without a secret. Auditors without the HMAC key
  still verify every record through the signed tree heads and inclusion proofs.
- strict mode waits for fdatasync: its latency is the disk's; concurrent callers share one fsync (group commit).

### Verification and replay

${table(["operation", "records", "seconds (wall)", "records/s (wall)", "records per CPU-second"], [
  ["audit verify, inline (HMAC + tree + heads + positions + stored input)", fmt(N), v1.sec.toFixed(2), fmt(N / v1.sec), fmt(N / v1.cpu)],
  [`audit verify, ${threads} threads (this one + ${threads - 1} worker)`, fmt(N), vN.sec.toFixed(2), fmt(N / vN.sec), fmt(N / vN.cpu)],
  ["audit verify --deep, inline (also re-derives every record's bytes from the schema)", fmt(N), vDeep.sec.toFixed(2), fmt(N / vDeep.sec), fmt(N / vDeep.cpu)],
  ["audit verify, inline, longer log", fmt(LONG_N), vLong1.sec.toFixed(2), fmt(LONG_N / vLong1.sec), fmt(LONG_N / vLong1.cpu)],
  [`audit verify, ${threads} threads, longer log`, fmt(LONG_N), vLongN.sec.toFixed(2), fmt(LONG_N / vLongN.sec), fmt(LONG_N / vLongN.cpu)],
  ["replay (decrypt, re-decide, rebuild record hash)", fmt(N), replaySec.toFixed(2), fmt(N / replaySec), fmt(N / replayCpu)],
])}

Target: verification ≥ 100,000 records/s — measured with the default thread choice (inline below ${PARALLEL_MIN_BYTES >> 20} MiB of log,
one thread per core above): **${fmt(N / defaultRun(N, v1, vN).sec)} records/s** for ${fmt(N)} records (${(logBytes / 1e6).toFixed(0)} MB) and **${fmt(LONG_N / defaultRun(LONG_N, vLong1, vLongN).sec)} records/s** for ${fmt(LONG_N)} (${(longBytes / 1e6).toFixed(0)} MB), wall clock; ${fmt(N / v1.cpu)} records per CPU-second on one thread.

Default verification reads only the fields it compares from a record whose checked signature vouches for its bytes;
\`--deep\` (and any record no signature vouches for) also parses the record and re-encodes it with the schema's
encoder (docs/audit.md, "Schema re-derivation"). With more than one thread, the reading thread checks chunks too
whenever the workers have two in hand, so no core waits. Worker threads still lose on a short log: each worker warms
up its own JIT (its first 4 MiB chunk ran ~3× slower than later ones in an instrumented run), and with every core
running JavaScript, V8's background GC and compiler threads no longer have an idle core; hence the default threshold.
`;
writeSection("record", md);
console.log(md);
say("done");
