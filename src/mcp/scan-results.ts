// Scans tool results for injected instructions with the scanner's injection pack (src/scan).
import { loadPack, scanWithPacks, type CompiledPacks } from "../scan/pack.js";
import { compilePacksCached } from "../scan/pack-compile-cached.js";

export interface ResultFinding {
  rule: string;
  start: number;
  end: number;
}

export interface ResultScanner {
  scan(text: string): ResultFinding[];
}

/** Compiles the named packs once (at proxy start, through the pack cache); throws when they do not compile. */
export function packScanner(names: string[]): ResultScanner {
  const compiled: CompiledPacks[] = names.map((name) => {
    const r = compilePacksCached(loadPack(name as Parameters<typeof loadPack>[0]));
    if (!r.ok) throw new Error(`scan pack \`${name}\` does not compile: ${r.diagnostics.map((d) => d.message).join("; ")}`);
    return r.compiled;
  });
  return {
    scan(text: string): ResultFinding[] {
      const out: ResultFinding[] = [];
      for (const c of compiled) for (const f of scanWithPacks(c, text)) out.push({ rule: `${f.pack}/${f.patternId}`, start: f.start, end: f.end });
      return out;
    },
  };
}
