// Fully built, minimized DFA in flat tables for the hot loop: explored from a LazyDfa under a state budget,
// minimized (Moore partition refinement), identical columns merged, and a direct code-unit -> column map.

import { LazyDfa } from "./lazy-dfa.js";
import type { Alphabet } from "./nfa.js";

export interface StaticDfa {
  /** Columns per row (no end-of-text column: see `eoiLabel`). */
  nCols: number;
  nStates: number;
  /** Code unit -> column. */
  map: Uint8Array | Uint16Array;
  /** trans[off + col]: target offset (state * nCols); negative (~offset) when the source has a label for the column's kind. */
  trans: Int32Array;
  /** Context kind of the units of each column (word, newline, other). */
  colKind: Uint8Array;
  /** Label id (or -1) at state s when the next unit has kind k, at s * 4 + k (k = 0: end of text). */
  labelByKind: Int32Array;
  /** Label id -> sorted pattern indices. */
  labels: Int32Array[];
  /** Start offset for each preceding-context kind (edge, word, newline, other). */
  init: Int32Array;
}

/** Explores every state; null when more than `budget` states are needed. */
export function buildStaticDfa(lazy: LazyDfa, alphabet: Alphabet, budget: number): StaticDfa | null {
  const C = lazy.nClasses;
  const stride = lazy.stride;
  const order: number[] = []; // lazy state ids in BFS order
  const index = new Map<number, number>();
  const visit = (lazyId: number): number => {
    let k = index.get(lazyId);
    if (k === undefined) {
      k = order.length;
      index.set(lazyId, k);
      order.push(lazyId);
    }
    return k;
  };
  const init = new Int32Array(4);
  for (let ctx = 0; ctx < 4; ctx++) init[ctx] = visit(lazy.initial(ctx) / stride);
  const rows: Int32Array[] = [];
  const labelKeys = new Map<string, number>();
  const labels: Int32Array[] = [];
  const internLabel = (l: Int32Array | null): number => {
    if (!l) return -1;
    const k = l.join(",");
    let id = labelKeys.get(k);
    if (id === undefined) {
      id = labels.length;
      labelKeys.set(k, id);
      labels.push(l);
    }
    return id;
  };
  const labelByKind: number[] = [];
  for (let k = 0; k < order.length; k++) {
    if (order.length > budget) return null;
    const sid = order[k] as number;
    const off = sid * stride;
    const row = new Int32Array(C);
    labelByKind.push(-1, -1, -1, -1);
    for (let c = 0; c < C; c++) {
      const t = lazy.step(off, c);
      if (t < -1 && lazy.hitLabel) labelByKind[k * 4 + (lazy.localKind[c] as number)] = internLabel(lazy.hitLabel);
      const toff = t < -1 ? -t - 2 : t;
      row[c] = visit(toff / stride);
    }
    const e = lazy.step(off, C);
    if (e < -1 && lazy.hitLabel) labelByKind[k * 4] = internLabel(lazy.hitLabel);
    rows.push(row);
  }
  if (order.length > budget || lazy.flushes > 0) return null;
  return finish(minimize(rows, labelByKind, init), labels, lazy, alphabet);
}

interface Minimized {
  rows: Int32Array[];
  labelByKind: number[];
  init: Int32Array;
}

/**
 * Moore's algorithm: split blocks by (labels, successor blocks) until stable. Each round sorts the states
 * by their signature rows (no strings), so a round costs O(n log n · columns).
 */
function minimize(rows: Int32Array[], labelByKind: number[], init: Int32Array): Minimized {
  const n = rows.length;
  const C = n > 0 ? (rows[0] as Int32Array).length : 0;
  let block = new Int32Array(n);
  let count = 0;
  {
    const ids = new Map<string, number>();
    for (let s = 0; s < n; s++) {
      const k = `${labelByKind[s * 4]}|${labelByKind[s * 4 + 1]}|${labelByKind[s * 4 + 2]}|${labelByKind[s * 4 + 3]}`;
      let b = ids.get(k);
      if (b === undefined) ids.set(k, (b = ids.size));
      block[s] = b;
    }
    count = ids.size;
  }
  const W = C + 1;
  const sig = new Int32Array(n * W);
  const order: number[] = Array.from({ length: n }, (_, i) => i);
  for (;;) {
    for (let s = 0; s < n; s++) {
      const row = rows[s] as Int32Array;
      sig[s * W] = block[s] as number;
      for (let c = 0; c < C; c++) sig[s * W + 1 + c] = block[row[c] as number] as number;
    }
    const cmp = (a: number, b: number): number => {
      const x = a * W;
      const y = b * W;
      for (let k = 0; k < W; k++) {
        const d = (sig[x + k] as number) - (sig[y + k] as number);
        if (d !== 0) return d;
      }
      return 0;
    };
    order.sort((a, b) => cmp(a, b) || a - b);
    const next = new Int32Array(n);
    let ids = 0;
    for (let k = 0; k < n; k++) {
      const s = order[k] as number;
      if (k > 0 && cmp(order[k - 1] as number, s) !== 0) ids++;
      next[s] = ids;
    }
    const size = n > 0 ? ids + 1 : 0;
    block = next;
    if (size === count) break;
    count = size;
  }
  // renumber blocks in order of first appearance (deterministic)
  const renum = new Int32Array(count).fill(-1);
  let m = 0;
  for (let s = 0; s < n; s++) if (renum[block[s] as number] === -1) renum[block[s] as number] = m++;
  const outRows: Int32Array[] = new Array(m);
  const lk: number[] = new Array(m * 4);
  for (let s = 0; s < n; s++) {
    const b = renum[block[s] as number] as number;
    if (outRows[b]) continue;
    const row = rows[s] as Int32Array;
    outRows[b] = row.map((t) => renum[block[t] as number] as number);
    for (let k = 0; k < 4; k++) lk[b * 4 + k] = labelByKind[s * 4 + k] as number;
  }
  return { rows: outRows, labelByKind: lk, init: init.map((s) => renum[block[s] as number] as number) };
}

function finish(min: Minimized, labels: Int32Array[], lazy: LazyDfa, alphabet: Alphabet): StaticDfa {
  const { rows, labelByKind } = min;
  const n = rows.length;
  const C = lazy.nClasses;
  // merge classes whose columns are identical in every row
  const colKey = new Map<string, number>();
  const colOf = new Int32Array(C);
  const keepCols: number[] = [];
  for (let c = 0; c < C; c++) {
    // columns of different kinds stay apart: a label depends on the next unit's kind
    let k = `${lazy.localKind[c]}:`;
    for (let s = 0; s < n; s++) k += `${(rows[s] as Int32Array)[c]},`;
    let col = colKey.get(k);
    if (col === undefined) {
      col = keepCols.length;
      colKey.set(k, col);
      keepCols.push(c);
    }
    colOf[c] = col;
  }
  const nCols = keepCols.length;
  const trans = new Int32Array(n * nCols);
  const colKind = Uint8Array.from(keepCols.map((c) => lazy.localKind[c] as number));
  for (let s = 0; s < n; s++) {
    const row = rows[s] as Int32Array;
    for (let j = 0; j < nCols; j++) {
      const t = row[keepCols[j] as number] as number;
      trans[s * nCols + j] = (labelByKind[s * 4 + (colKind[j] as number)] as number) >= 0 ? ~(t * nCols) : t * nCols;
    }
  }
  const map = nCols <= 256 ? new Uint8Array(alphabet.map.length) : new Uint16Array(alphabet.map.length);
  for (let u = 0; u < alphabet.map.length; u++) map[u] = colOf[lazy.local[alphabet.map[u] as number] as number] as number;
  return {
    nCols,
    nStates: n,
    map,
    trans,
    colKind,
    labelByKind: Int32Array.from(labelByKind),
    labels,
    init: min.init.map((s) => s * nCols),
  };
}
