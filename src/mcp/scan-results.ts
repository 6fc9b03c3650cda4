// Scans tool results for injected instructions with the scanner's injection pack (src/scan): every piece of
// text in a result that the agent's client may show its model.
import { loadPack, scanWithPacks, type CompiledPacks } from "../scan/pack.js";
import { compilePacksCached } from "../scan/pack-compile-cached.js";
import { isRecord } from "../policy/context.js";

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

/** One piece of a result's text: where it is (`content.1.resource.text`) and what it says. */
export interface ResultText {
  field: string;
  text: string;
}

/** Media the model gets as pixels or sound, not text: skipped (the scanner reads text). */
const MEDIA = new Set(["image", "audio"]);
const utf8 = new TextDecoder("utf-8", { fatal: true });

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * A blob as text: decoded when it is base64 of valid UTF-8 (a client may show it as text, whatever its mimeType);
 * as it is when it is not base64 at all (a lax client may show it); null for binary data.
 */
function blobText(blob: string): string | null {
  if (!BASE64.test(blob)) return blob;
  try {
    return utf8.decode(Buffer.from(blob, "base64"));
  } catch {
    return null;
  }
}

/** Every string under `v` (not keys), with its path; `blob`s are decoded; `type` and `mimeType` are not text. */
function strings(v: unknown, field: string, out: ResultText[]): void {
  if (typeof v === "string") out.push({ field, text: v });
  else if (Array.isArray(v)) v.forEach((x, i) => strings(x, `${field}.${i}`, out));
  else if (isRecord(v)) {
    for (const [k, x] of Object.entries(v)) {
      if (k === "type" || k === "mimeType") continue;
      if (k === "blob" && typeof x === "string") {
        const text = blobText(x);
        if (text !== null) out.push({ field: `${field}.blob`, text });
        continue;
      }
      strings(x, `${field}.${k}`, out);
    }
  }
}

/**
 * The text of a tools/call result the agent's model may see: every string of every content block (text blocks,
 * an embedded resource's uri and text, its blob when that is UTF-8, a resource_link's uri, name, title and
 * description, annotations and `_meta`, and whatever a block type unknown today carries), except image and audio
 * data; and `structuredContent` as JSON.
 */
export function resultTexts(result: { content?: unknown; structuredContent?: unknown }): ResultText[] {
  const out: ResultText[] = [];
  const content = Array.isArray(result.content) ? result.content : [];
  content.forEach((c: unknown, i) => {
    if (isRecord(c) && typeof c["type"] === "string" && MEDIA.has(c["type"])) {
      const { data: _data, ...rest } = c;
      strings(rest, `content.${i}`, out);
    } else strings(c, `content.${i}`, out);
  });
  if (result.structuredContent !== undefined) out.push({ field: "structuredContent", text: JSON.stringify(result.structuredContent) });
  return out;
}


/**
 * The text of a resources/read or prompts/get result, which reaches the agent's model as surely as a tool result:
 * every string of `contents` (a resource's uri, text, and its blob when UTF-8) or of `messages` (and the prompt's
 * `description`).
 */
export function readResultTexts(result: Record<string, unknown>): ResultText[] {
  const out: ResultText[] = [];
  for (const key of ["contents", "messages", "description"]) if (result[key] !== undefined) strings(result[key], key, out);
  return out;
}

/**
 * Scans a result's text pieces (from resultTexts() or readResultTexts()) as one, joined by newlines, so that an
 * injection split across blocks the model reads together is still seen; each finding names the piece it starts
 * in, with offsets inside that piece.
 */
export function scanPieces(scanner: ResultScanner, pieces: ResultText[]): Array<ResultFinding & { field: string }> {
  if (pieces.length === 0) return [];
  const starts: number[] = [];
  let at = 0;
  for (const p of pieces) {
    starts.push(at);
    at += p.text.length + 1;
  }
  return scanner.scan(pieces.map((p) => p.text).join("\n")).map((f) => {
    let i = pieces.length - 1;
    while (i > 0 && (starts[i] as number) > f.start) i--;
    const base = starts[i] as number;
    return { rule: f.rule, field: (pieces[i] as ResultText).field, start: f.start - base, end: f.end - base };
  });
}
