// Durable local approval store: an append-only JSON-lines file shared by the proxy (which waits) and
// `warden approvals` (which approves or denies). The first resolution in file order wins, across processes.
import { randomBytes } from "node:crypto";
import { closeSync, fstatSync, fsyncSync, ftruncateSync, openSync, readFileSync, readSync, writeSync } from "node:fs";
import { join, resolve } from "node:path";
import { makeFolderSync } from "../node/mkdirs.js";

export type ApprovalStatus = "pending" | "approved" | "denied" | "expired";
export type Resolution = Exclude<ApprovalStatus, "pending">;

export interface ApprovalRequestV1 {
  type: "request";
  id: string;
  createdAt: string;
  expiresAt: string;
  group: string;
  rule: string;
  code: string;
  message: string;
  /** What is held: the tool, its arguments and the agent, as the approver needs to see them. */
  action: { tool?: string; args?: Record<string, unknown>; agent?: unknown };
  /** JSON pointers inside `action` of the policy's sensitive fields, stored as `[sensitive]` (never in clear). */
  masked?: string[];
  policy: string;
}

export interface ApprovalResolutionV1 {
  type: "resolution";
  id: string;
  status: Resolution;
  by: string;
  at: string;
  note?: string;
}

export interface ApprovalRecord {
  request: ApprovalRequestV1;
  status: ApprovalStatus;
  resolution: ApprovalResolutionV1 | null;
}

export class ApprovalError extends Error {
  constructor(
    readonly code: "UNKNOWN_APPROVAL" | "ALREADY_RESOLVED" | "STORE_CORRUPT",
    message: string,
  ) {
    super(message);
  }
}

export const APPROVALS_FILE = "approvals.jsonl";

/**
 * A writer that crashed mid-line leaves a fragment without its newline; appending after it would glue the
 * next event onto it. Cut the fragment first (it was never acknowledged to anyone). A last line that is a
 * complete event and only lacks its newline (an editor or another tool wrote it) is kept: read() honours it,
 * so cutting it would silently drop a resolution, and a denied request would become approvable again.
 */
function cutTornTail(fd: number): void {
  const size = fstatSync(fd).size;
  if (size === 0) return;
  const last = Buffer.alloc(1);
  readSync(fd, last, 0, 1, size - 1);
  if (last[0] === 0x0a) return;
  const span = Math.min(size, 1 << 20);
  const tail = Buffer.alloc(span);
  readSync(fd, tail, 0, span, size - span);
  const nl = tail.lastIndexOf(0x0a);
  if (isEvent(tail.toString("utf8", nl + 1))) {
    writeSync(fd, "\n");
    return;
  }
  ftruncateSync(fd, nl < 0 ? size - span : size - span + nl + 1);
}

/** Whether `line` is a whole JSON event object (what read() takes as an event). */
function isEvent(line: string): boolean {
  try {
    const v = JSON.parse(line) as unknown;
    return v !== null && typeof v === "object" && !Array.isArray(v);
  } catch {
    return false;
  }
}

/** The form request() writes expiresAt in (toISOString); an offset instead of Z is accepted too. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/**
 * A request's deadline (ms since the epoch); -Infinity when its expiresAt is not an ISO 8601 time. Fail closed:
 * a deadline nobody can read has passed, so the request is expired (a timeout, which denies) and can never be
 * approved. Date.parse alone would not do: it gives NaN (never `<= now`, so pending forever) for most garbage, and a
 * far-future year for some (`"99999"`). Reporting it as store damage instead would make the whole file unreadable
 * and refuse every other held call with it.
 */
function deadline(req: ApprovalRequestV1): number {
  const t = typeof req.expiresAt === "string" && ISO_TIME.test(req.expiresAt) ? Date.parse(req.expiresAt) : NaN;
  return Number.isNaN(t) ? -Infinity : t;
}

export class ApprovalStore {
  readonly file: string;

  constructor(
    dir: string,
    private readonly clock: () => Date = () => new Date(),
  ) {
    const d = resolve(dir);
    // One level at a time: a recursive mkdir spins forever on some paths (under /proc).
    const why = makeFolderSync(d);
    if (why !== null) throw new Error(`cannot create the approvals folder \`${d}\`: ${why}`);
    this.file = join(d, APPROVALS_FILE);
  }

  /** Appends one event and fsyncs it: a request the proxy holds is never lost on restart. */
  private append(event: ApprovalRequestV1 | ApprovalResolutionV1): void {
    const fd = openSync(this.file, "a+", 0o600);
    try {
      cutTornTail(fd);
      writeSync(fd, `${JSON.stringify(event)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** Folds the log: requests by id, each with the first resolution that follows it. */
  private read(): Map<string, ApprovalRecord> {
    let text = "";
    try {
      text = readFileSync(this.file, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return new Map();
      throw e;
    }
    const out = new Map<string, ApprovalRecord>();
    const lines = text.split("\n");
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i] as string;
      if (line.trim() === "") continue;
      let ev: ApprovalRequestV1 | ApprovalResolutionV1;
      try {
        ev = JSON.parse(line) as ApprovalRequestV1 | ApprovalResolutionV1;
        if (ev === null || typeof ev !== "object" || Array.isArray(ev)) throw new ApprovalError("STORE_CORRUPT", `${this.file}:${i + 1}: not an event object`);
      } catch (e) {
        if (e instanceof ApprovalError) throw e;
        // A torn final line (crash mid-write) is ignored; damage anywhere else is reported.
        if (i === lines.length - 1 || (i === lines.length - 2 && lines[lines.length - 1] === "")) continue;
        throw new ApprovalError("STORE_CORRUPT", `${this.file}:${i + 1}: not a JSON event`);
      }
      if (ev.type === "request") out.set(ev.id, { request: ev, status: "pending", resolution: null });
      else if (ev.type === "resolution") {
        const r = out.get(ev.id);
        if (r && r.resolution === null) {
          r.resolution = ev;
          r.status = ev.status;
        }
      }
    }
    const now = this.clock().getTime();
    for (const r of out.values()) if (r.status === "pending" && deadline(r.request) <= now) r.status = "expired";
    return out;
  }

  request(input: Omit<ApprovalRequestV1, "type" | "id" | "createdAt" | "expiresAt">, timeoutMs: number): ApprovalRequestV1 {
    const now = this.clock();
    const req: ApprovalRequestV1 = {
      type: "request",
      id: `apr_${randomBytes(9).toString("base64url")}`,
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + timeoutMs).toISOString(),
      ...input,
    };
    this.append(req);
    return req;
  }

  get(id: string): ApprovalRecord | undefined {
    return this.read().get(id);
  }

  list(status?: ApprovalStatus): ApprovalRecord[] {
    const all = [...this.read().values()];
    return status === undefined ? all : all.filter((r) => r.status === status);
  }

  /** Approves, denies or expires a pending request; the first resolution written wins. */
  resolve(id: string, status: Resolution, by: string, note?: string): ApprovalRecord {
    const cur = this.read().get(id);
    if (!cur) throw new ApprovalError("UNKNOWN_APPROVAL", `no approval request \`${id}\` in ${this.file}`);
    if (cur.status !== "pending" && !(status === "expired" && cur.resolution === null)) {
      throw new ApprovalError("ALREADY_RESOLVED", `approval \`${id}\` is already ${cur.status}${cur.resolution ? ` (by ${cur.resolution.by} at ${cur.resolution.at})` : ""}`);
    }
    const ev: ApprovalResolutionV1 = { type: "resolution", id, status, by, at: this.clock().toISOString() };
    if (note !== undefined) ev.note = note;
    this.append(ev);
    return this.read().get(id) as ApprovalRecord;
  }

  /**
   * Waits until `id` is resolved or its deadline passes; at the deadline it writes `expired` (default
   * deny) unless a resolution got there first. Polls the file (cross-process, no watcher races).
   */
  async waitFor(id: string, options: { pollMs?: number; signal?: AbortSignal } = {}): Promise<ApprovalRecord> {
    const pollMs = options.pollMs ?? 100;
    for (;;) {
      const r = this.read().get(id);
      if (!r) throw new ApprovalError("UNKNOWN_APPROVAL", `no approval request \`${id}\` in ${this.file}`);
      if (r.resolution !== null) return r;
      if (r.status === "expired" || options.signal?.aborted) {
        try {
          return this.resolve(id, "expired", options.signal?.aborted ? "warden:cancelled" : "warden:timeout");
        } catch (e) {
          if (e instanceof ApprovalError && e.code === "ALREADY_RESOLVED") continue;
          throw e;
        }
      }
      const left = deadline(r.request) - this.clock().getTime();
      await new Promise((done) => setTimeout(done, Math.max(1, Math.min(pollMs, left))));
    }
  }
}
