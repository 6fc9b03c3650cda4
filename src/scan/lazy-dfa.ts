// DFA built on demand from the NFA (subset construction one transition at a time) with a bounded state cache.
// Zero-width assertions are decided with one unit of lookahead: a DFA state remembers the context kind of the
// unit before it, and which patterns match ending at a state depends on the kind of the next unit, so a match
// is reported on the transition that reads the unit after it (or on the end-of-text column). Labels are a
// function of (state, next kind), not part of the state: a union of keywords stays as small as Aho-Corasick.

import { type Alphabet, type Nfa, K_EDGE, K_NEWLINE, K_WORD, N_ASSERT, N_CHAR, N_EPS, N_MATCH, N_SPLIT, unitKind } from "./nfa.js";

/** True if the assertion `code` holds between context kinds `prev` and `next`. */
export function assertionHolds(code: number, prev: number, next: number): boolean {
  switch (code) {
    case 0:
      return prev === K_EDGE;
    case 1:
      return prev === K_EDGE || prev === K_NEWLINE;
    case 2:
      return next === K_EDGE;
    case 3:
      return next === K_EDGE || next === K_NEWLINE;
    case 4:
      return (prev === K_WORD) !== (next === K_WORD);
    default:
      return (prev === K_WORD) === (next === K_WORD);
  }
}

const scratch = new WeakMap<Nfa, Uint32Array>();
let stampCounter = 0;

/** A node-visited table shared by every DFA over one NFA (the module is single-threaded and re-entrant-free). */
function marks(nfa: Nfa): Uint32Array {
  let m = scratch.get(nfa);
  if (!m) scratch.set(nfa, (m = new Uint32Array(nfa.type.length)));
  return m;
}

function nextStamp(m: Uint32Array): number {
  stampCounter++;
  if (stampCounter >= 0xffffffff) {
    m.fill(0);
    stampCounter = 1;
  }
  return stampCounter;
}

export const UNKNOWN = -1;

/**
 * Int32 entries (NFA nodes of states plus their table rows) one DFA may hold past its `cacheLimit` states: 4 Mi
 * entries, 16 MiB. `[a-z]{2000}`, the largest counted repeat, needs about 2 Mi in its forward DFA.
 */
const MEMORY_BUDGET = 4 * 1024 * 1024;

/** A state's moves for one kind of next unit: character sets read, the nodes each leads to, and the label. */
interface Resolved {
  member: Uint8Array[];
  outs: number[][];
  label: Int32Array | null;
}

export class LazyDfa {
  readonly nClasses: number;
  /** Row width: one column per class plus the end-of-text column. */
  readonly stride: number;
  /** Global class -> local class. */
  readonly local: Uint16Array;
  readonly localKind: Uint8Array;
  /** Set index -> membership per local class (only for sets this fragment reads). */
  private readonly member: (Uint8Array | undefined)[] = [];
  trans: Int32Array;
  nodes: Int32Array[] = [];
  ctx: number[] = [];
  fresh: boolean[] = [];
  /** Patterns matching at a state given the next unit's kind: index state * 4 + kind; undefined = not yet known. */
  labels: (Int32Array | null | undefined)[] = [];
  dead: boolean[] = [];
  private keys = new Map<number, number[]>();
  private freshCache: (Int32Array | null)[] = [null, null, null, null];
  private readonly freshSeedCache = new Map<number, Int32Array>();
  /** False when no assertion is reachable: the context kind then never matters and is not part of a state. */
  private usesContext = false;
  /** How many times the cache was flushed (for reports). */
  flushes = 0;
  /** States kept before a flush: at least `cacheLimit`, more when the fragment's NFA is larger (see below). */
  readonly stateLimit: number;
  /** NFA nodes plus table entries held by the cached states (bounded by MEMORY_BUDGET past `cacheLimit`). */
  private held = 0;

  constructor(
    readonly nfa: Nfa,
    readonly alphabet: Alphabet,
    readonly starts: readonly number[],
    readonly anchored: boolean,
    readonly cacheLimit: number,
  ) {
    // classes that this fragment cannot tell apart share a local class
    const used = new Set<number>();
    const seen = new Set<number>();
    const stack = [...starts];
    while (stack.length > 0) {
      const n = stack.pop() as number;
      if (n < 0 || seen.has(n)) continue;
      seen.add(n);
      if (nfa.type[n] === N_CHAR) used.add(nfa.arg[n] as number);
      if (nfa.type[n] === N_ASSERT) this.usesContext = true;
      stack.push(nfa.out1[n] as number, nfa.out2[n] as number);
    }
    const usedList = [...used].sort((a, b) => a - b);
    const sigToLocal = new Map<string, number>();
    this.local = new Uint16Array(alphabet.count);
    const kinds: number[] = [];
    for (let g = 0; g < alphabet.count; g++) {
      let sig = String(alphabet.kind[g]);
      for (const s of usedList) sig += (alphabet.member[s] as Uint8Array)[g] ? "1" : "0";
      let l = sigToLocal.get(sig);
      if (l === undefined) {
        l = sigToLocal.size;
        sigToLocal.set(sig, l);
        kinds.push(alphabet.kind[g] as number);
      }
      this.local[g] = l;
    }
    this.nClasses = sigToLocal.size;
    this.stride = this.nClasses + 1;
    this.localKind = Uint8Array.from(kinds);
    for (const s of usedList) {
      const m = new Uint8Array(this.nClasses);
      const gm = alphabet.member[s] as Uint8Array;
      for (let g = 0; g < alphabet.count; g++) if (gm[g]) m[this.local[g] as number] = 1;
      this.member[s] = m;
    }
    this.trans = new Int32Array(this.stride * 16).fill(UNKNOWN);
    // A counted repeat `x{n}` walks a chain of about n states, once per match: a cache smaller than the chain
    // is flushed on every walk and each step then rebuilds a state of up to n nodes (`[a-z]{1030}` on 100 KB took
    // 18 s). So the cache holds twice as many states as the fragment has nodes (the anchored DFA also adopts the
    // unanchored one's chain), within MEMORY_BUDGET. A limit under 64 is a test's way to flush constantly: kept.
    this.stateLimit = cacheLimit < 64 ? cacheLimit : Math.max(cacheLimit, 2 * seen.size + 64);
  }

  get stateCount(): number {
    return this.nodes.length;
  }

  /** Offset of the start state for a scan whose preceding unit has context kind `ctx`. */
  initial(ctx: number): number {
    let off = this.initCache[ctx] as number;
    if (off < 0) this.initCache[ctx] = off = this.intern(ctx, new Int32Array(0), true) * this.stride;
    return off;
  }

  private readonly initCache = [-1, -1, -1, -1];
  /** Bumped on every flush, so other DFAs' caches of our state ids can tell they are stale. */
  generation = 0;
  private readonly adoptCache = new Map<LazyDfa, { gen: number; map: Map<number, number> }>();

  /** The state of `other` at `off` (same NFA and alphabet) as a state of this DFA, with or without a fresh start. */
  adopt(other: LazyDfa, off: number, fresh: boolean): number {
    const sid = (off / other.stride) | 0;
    let c = this.adoptCache.get(other);
    if (!c || c.gen !== other.generation) this.adoptCache.set(other, (c = { gen: other.generation, map: new Map() }));
    const key = sid * 2 + (fresh ? 1 : 0);
    let mine = c.map.get(key);
    if (mine === undefined) {
      mine = this.intern(other.ctx[sid] as number, other.nodes[sid] as Int32Array, fresh) * this.stride;
      c.map.set(key, mine);
    }
    return mine;
  }

  /** Context kind of the unit before position `i` of the text's code units. */
  static ctxBefore(text: Uint16Array, i: number): number {
    return i === 0 ? K_EDGE : unitKind(text[i - 1] as number);
  }

  private intern(ctx: number, nodes: Int32Array, fresh: boolean): number {
    if (!this.usesContext) ctx = K_EDGE;
    // states are looked up by a numeric hash of (context, fresh, nodes) with exact comparison in the bucket
    let h = (ctx * 2 + (fresh ? 1 : 0)) ^ 0x811c9dc5;
    for (let i = 0; i < nodes.length; i++) h = Math.imul(h ^ (nodes[i] as number), 0x01000193);
    const bucket = this.keys.get(h);
    if (bucket)
      for (const id of bucket) {
        if (this.ctx[id] !== ctx || this.fresh[id] !== fresh) continue;
        const other = this.nodes[id] as Int32Array;
        if (other.length !== nodes.length) continue;
        let same = true;
        for (let i = 0; i < nodes.length && same; i++) same = other[i] === nodes[i];
        if (same) return id;
      }
    const id = this.nodes.length;
    if (bucket) bucket.push(id);
    else this.keys.set(h, [id]);
    this.nodes.push(nodes);
    this.held += nodes.length + this.stride;
    this.ctx.push(ctx);
    this.fresh.push(fresh);
    this.labels.push(undefined, undefined, undefined, undefined);
    this.dead.push(this.anchored && !fresh && nodes.length === 0);
    const need = (id + 1) * this.stride;
    if (need > this.trans.length) {
      const grown = new Int32Array(Math.max(need, this.trans.length * 2)).fill(UNKNOWN);
      grown.set(this.trans);
      this.trans = grown;
    }
    return id;
  }

  /** Drops every state (the bounded cache is full); the scan continues from a re-interned state. */
  private flush(): void {
    this.flushes++;
    this.generation++;
    this.initCache.fill(-1);
    this.adoptCache.clear();
    this.keys = new Map();
    this.nodes = [];
    this.ctx = [];
    this.fresh = [];
    this.labels = [];
    this.dead = [];
    this.trans = new Int32Array(this.stride * 16).fill(UNKNOWN);
    this.targets = new Map();
    this.held = 0;
  }

  /** The cache is full: `cacheLimit` states once they hold MEMORY_BUDGET, `stateLimit` in any case. */
  private full(): boolean {
    const n = this.nodes.length;
    return n >= this.stateLimit || (n >= this.cacheLimit && this.held > MEMORY_BUDGET);
  }

  /** Follows epsilons and assertions decidable from `prev` alone; next-dependent assertions stay as members. */
  private closePrev(seeds: number[], prev: number): Int32Array {
    const { type, out1, out2, arg } = this.nfa;
    const m = marks(this.nfa);
    const stamp = nextStamp(m);
    const out: number[] = [];
    const stack = seeds.slice();
    while (stack.length > 0) {
      const n = stack.pop() as number;
      if (m[n] === stamp) continue;
      m[n] = stamp;
      const t = type[n];
      if (t === N_EPS) stack.push(out1[n] as number);
      else if (t === N_SPLIT) stack.push(out2[n] as number, out1[n] as number);
      else if (t === N_ASSERT) {
        const code = arg[n] as number;
        if (code <= 1) {
          if (assertionHolds(code, prev, K_EDGE)) stack.push(out1[n] as number);
        } else out.push(n);
      } else out.push(n);
    }
    return Int32Array.from(out).sort();
  }

  private freshMembers(ctx: number): Int32Array {
    let f = this.freshCache[ctx];
    if (!f) this.freshCache[ctx] = f = this.closePrev([...this.starts], ctx);
    return f;
  }

  /**
   * Resolves next-dependent assertions among `members` (prev and next kinds known), appending the
   * reachable character nodes to `chars` and, if `labels` is given, the patterns whose MATCH is reached.
   */
  private resolve(members: ArrayLike<number>, prev: number, next: number, chars: number[], labels: number[] | null): void {
    const { type, out1, out2, arg } = this.nfa;
    const m = marks(this.nfa);
    const stamp = nextStamp(m);
    const stack = Array.from(members);
    while (stack.length > 0) {
      const n = stack.pop() as number;
      if (m[n] === stamp) continue;
      m[n] = stamp;
      const t = type[n];
      if (t === N_CHAR) chars.push(n);
      else if (t === N_MATCH) {
        if (labels) labels.push(arg[n] as number);
      } else if (t === N_EPS) stack.push(out1[n] as number);
      else if (t === N_SPLIT) stack.push(out2[n] as number, out1[n] as number);
      else if (assertionHolds(arg[n] as number, prev, next)) stack.push(out1[n] as number);
    }
  }

  /** Nodes entered on class `c` from a match starting here (a fresh start): cached per (context, class). */
  private freshSeeds(prev: number, c: number): Int32Array {
    const key = prev * this.stride + c;
    let f = this.freshSeedCache.get(key);
    if (!f) {
      const chars: number[] = [];
      this.resolve(this.freshMembers(prev), prev, this.localKind[c] as number, chars, null);
      const seeds: number[] = [];
      for (const n of chars) if ((this.member[this.nfa.arg[n] as number] as Uint8Array)[c]) seeds.push(this.nfa.out1[n] as number);
      f = Int32Array.from(seeds);
      this.freshSeedCache.set(key, f);
    }
    return f;
  }

  // Building a table steps every class of one state in a row: the state's members are resolved once per
  // kind of the next unit (at most four), not once per class, grouped by character set (a counted run puts
  // dozens of nodes on one set), and the target of a seed list is shared by every class (of any state) that
  // enters the same nodes. Compiling all packs went from 17.1 s to under 5 s.
  private rsSid = -1;
  private rsGen = -1;
  private readonly rsMoves: (Resolved | undefined)[] = [undefined, undefined, undefined, undefined];

  private resolved(sid: number, prev: number, next: number): Resolved {
    if (this.rsSid !== sid || this.rsGen !== this.generation) {
      this.rsSid = sid;
      this.rsGen = this.generation;
      this.rsMoves.fill(undefined);
    }
    let r = this.rsMoves[next];
    if (r === undefined) {
      const chars: number[] = [];
      const labels: number[] = [];
      this.resolve(this.nodes[sid] as Int32Array, prev, next, chars, labels);
      const { arg, out1 } = this.nfa;
      const bySet = new Map<number, number[]>();
      for (const n of chars) {
        const k = arg[n] as number;
        const list = bySet.get(k);
        if (list) list.push(out1[n] as number);
        else bySet.set(k, [out1[n] as number]);
      }
      const member: Uint8Array[] = [];
      const outs: number[][] = [];
      for (const [k, list] of bySet) {
        member.push(this.member[k] as Uint8Array);
        outs.push(list);
      }
      r = { member, outs, label: labels.length > 0 ? Int32Array.from(new Set(labels)).sort() : null };
      this.rsMoves[next] = r;
    }
    return r;
  }

  /** Targets by (next kind, seed list) in this generation (a flush drops them with the states they name). */
  private targets = new Map<number, { next: number; seeds: number[]; id: number }[]>();

  private targetOf(seeds: number[], next: number): { id: number; flushed: boolean } {
    let h = next ^ 0x811c9dc5;
    for (let i = 0; i < seeds.length; i++) h = Math.imul(h ^ (seeds[i] as number), 0x01000193);
    const bucket = this.targets.get(h);
    if (bucket)
      for (const e of bucket) {
        if (e.next !== next || e.seeds.length !== seeds.length) continue;
        let same = true;
        for (let i = 0; i < seeds.length && same; i++) same = e.seeds[i] === seeds[i];
        if (same) return { id: e.id, flushed: false };
      }
    const nodes = this.closePrev(seeds, next);
    let flushed = false;
    if (this.full()) {
      this.flush();
      flushed = true;
    }
    const id = this.intern(next, nodes, !this.anchored);
    const entry = { next, seeds, id };
    if (!flushed && bucket) bucket.push(entry);
    else this.targets.set(h, [entry]);
    return { id, flushed };
  }

  /** Computes (and caches) the transition from the state at `off` on local class `c` (stride-1 = end of text). */
  compute(off: number, c: number): number {
    const sid = (off / this.stride) | 0;
    const prev = this.ctx[sid] as number;
    const eoi = c === this.nClasses;
    const next = eoi ? K_EDGE : (this.localKind[c] as number);
    const { member, outs, label } = this.resolved(sid, prev, next);
    this.labels[sid * 4 + next] = label;
    this.hitLabel = label;
    if (eoi) {
      // only the label matters at the end of the text: the "target" is the source itself
      const e = label !== null ? -off - 2 : off;
      this.trans[off + c] = e;
      return e;
    }
    const seeds: number[] = [];
    for (let k = 0; k < member.length; k++) if ((member[k] as Uint8Array)[c]) for (const n of outs[k] as number[]) seeds.push(n);
    // a match starting here: its empty matches are never reported, so only its moves count
    if (this.fresh[sid]) for (const n of this.freshSeeds(prev, c)) seeds.push(n);
    const { id: target, flushed } = this.targetOf(seeds, next);
    const toff = target * this.stride;
    const enc = label !== null || this.dead[target] ? -toff - 2 : toff;
    if (!flushed) this.trans[off + c] = enc;
    return enc;
  }

  /**
   * One transition: the encoded target (>= 0 plain; <= -2 the target is at -v-2 and either the source has a
   * label for this unit's kind or the target is dead). For the end-of-text column the target is the source.
   */
  step(off: number, c: number): number {
    const t = this.trans[off + c] as number;
    if (t === UNKNOWN) return this.compute(off, c);
    if (t < -1) this.hitLabel = this.labels[((off / this.stride) | 0) * 4 + (c === this.nClasses ? K_EDGE : (this.localKind[c] as number))] ?? null;
    return t;
  }

  /**
   * After `step` or `compute` returned a special value: the patterns matching at the source for that unit's
   * kind (valid even if the cache was flushed during the step).
   */
  hitLabel: Int32Array | null = null;

  /** Patterns whose match ends at the state `off` when the next unit has class `c` (nClasses: end of text). */
  labelOf(off: number, c: number): Int32Array | null {
    const kind = c === this.nClasses ? K_EDGE : (this.localKind[c] as number);
    return this.labels[((off / this.stride) | 0) * 4 + kind] ?? null;
  }

  isDead(off: number): boolean {
    return this.dead[(off / this.stride) | 0] === true;
  }
}
