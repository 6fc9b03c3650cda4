// Host and Origin checks against DNS rebinding and cross-site requests, for the sidecar and the MCP proxy's HTTP
// mode. A web page at http://attacker.example:8787 whose name is made to resolve to 127.0.0.1 gets the browser to
// send its requests to a loopback server, same-origin; the one thing that gives it away is the Host header (and
// the Origin), which carry the attacker's name. A server without a token has no other defence, so it answers only
// to the names it is really reached by. Browsers always send Host; non-browser clients rarely send Origin.

/** Loopback names, always accepted (as URL hostnames: an IPv6 address in brackets). */
const LOOPBACK = ["localhost", "127.0.0.1", "[::1]"];
/** Addresses that mean "every interface": not names a client uses. */
const WILDCARD = new Set(["", "0.0.0.0", "[::]", "::"]);

export interface HostCheckOptions {
  /**
   * Check the Host header (else only Origin is checked). Warden turns it on when the server has no token, and
   * whenever `allowedHosts` is given.
   */
  checkHost: boolean;
  /** The address the server listens on: requests addressed to it are accepted too (unless it is a wildcard). */
  listenHost?: string | null;
  /** More names requests may address the server by: `name` (any port) or `name:port`; `*` turns the Host check off. */
  allowedHosts?: readonly string[] | null;
  /** Web origins (`https://app.example`) allowed besides pages on an allowed host name; `*`: any. */
  allowedOrigins?: readonly string[] | null;
}

export interface HostRefusal {
  code: "FORBIDDEN_HOST" | "FORBIDDEN_ORIGIN";
  message: string;
}

/** `name[:port]` as a URL would read it: lowercased hostname (IPv6 in brackets, no trailing dot) and port ("" when none). */
function hostParts(value: string): { hostname: string; port: string } | null {
  if (value === "" || /[/?#@\\\s]/.test(value)) return null;
  try {
    const u = new URL(`http://${value}`);
    return { hostname: u.hostname.replace(/\.$/, ""), port: u.port };
  } catch {
    return null;
  }
}

/** A web origin as browsers send it (`scheme://host[:port]`, default port left out), or null when it is not one. */
function originOf(value: string): { origin: string; hostname: string } | null {
  if (value === "null") return null;
  try {
    const u = new URL(value);
    if (u.protocol !== "http:" && u.protocol !== "https:") return null;
    return { origin: u.origin, hostname: u.hostname.replace(/\.$/, "") };
  } catch {
    return null;
  }
}

const shown = (v: string): string => `\`${v.length > 200 ? `${v.slice(0, 200)}…` : v}\``;

/** What is wrong with an `--allowed-hosts` entry (null: nothing). */
export function allowedHostProblem(entry: string): string | null {
  if (entry === "*") return null;
  return hostParts(entry) === null ? `${shown(entry)} is not a host name, an address or NAME:PORT (no scheme, path or user)` : null;
}

/** What is wrong with an `--allowed-origins` entry (null: nothing). */
export function allowedOriginProblem(entry: string): string | null {
  if (entry === "*") return null;
  const o = originOf(entry);
  if (o === null) return `${shown(entry)} is not a web origin (scheme://host[:port], http or https)`;
  return o.origin === entry.replace(/\/$/, "").toLowerCase() ? null : `${shown(entry)} is not a web origin: give only scheme://host[:port], as browsers send it (${o.origin})`;
}

/**
 * Builds the check: it returns a refusal for a request whose Host names the server by a name it does not answer to
 * (when the Host check is on), or whose Origin is a web page not allowed to call it; null when the request may go on.
 * Throws for an allowed-hosts or allowed-origins entry that is not one (check them first with the *Problem functions).
 */
export function hostChecker(options: HostCheckOptions): (host: string | undefined, origin: string | undefined) => HostRefusal | null {
  const names = new Set(LOOPBACK);
  const namePorts = new Set<string>();
  const listen = options.listenHost ? hostParts(options.listenHost.includes(":") && !options.listenHost.startsWith("[") ? `[${options.listenHost}]` : options.listenHost) : null;
  if (listen !== null && !WILDCARD.has(listen.hostname)) names.add(listen.hostname);
  const hostsGiven = (options.allowedHosts ?? []).length > 0;
  let anyHost = false;
  for (const entry of options.allowedHosts ?? []) {
    if (entry === "*") {
      anyHost = true;
      continue;
    }
    const p = hostParts(entry);
    if (p === null) throw new Error(allowedHostProblem(entry) ?? `bad allowed host ${shown(entry)}`);
    if (p.port === "") names.add(p.hostname);
    else namePorts.add(`${p.hostname}:${p.port}`);
  }
  let anyOrigin = false;
  const origins = new Set<string>();
  for (const entry of options.allowedOrigins ?? []) {
    if (entry === "*") {
      anyOrigin = true;
      continue;
    }
    const o = originOf(entry);
    if (o === null) throw new Error(allowedOriginProblem(entry) ?? `bad allowed origin ${shown(entry)}`);
    origins.add(o.origin);
  }
  // pages served from a name the server answers to may call it (same site)
  const pageHosts = new Set([...names, ...[...namePorts].map((np) => np.slice(0, np.lastIndexOf(":")))]);
  const checkHost = (options.checkHost || hostsGiven) && !anyHost;
  const answersTo = [...names, ...namePorts].join(", ");

  // the few Host values a server really sees, accepted without parsing again (on the sidecar's hot path)
  const accepted = new Set<string>();
  return (host, origin) => {
    if (checkHost && host !== undefined && !accepted.has(host)) {
      const p = hostParts(host);
      const ok = p !== null && (names.has(p.hostname) || namePorts.has(`${p.hostname}:${p.port || "80"}`));
      if (!ok) {
        const name = p?.hostname ?? host;
        return {
          code: "FORBIDDEN_HOST",
          message: `refused a request addressed to host ${shown(host)}: this server answers only to ${answersTo} (a guard against DNS rebinding, by which a web page reaches a local server under its own name). If clients really reach it by that name (behind a reverse proxy, say), allow it with \`--allowed-hosts ${name}\` (option \`allowedHosts\`)`,
        };
      }
      if (accepted.size < 64) accepted.add(host);
    }
    if (origin !== undefined && !anyOrigin) {
      const o = originOf(origin);
      if (o === null || (!origins.has(o.origin) && !pageHosts.has(o.hostname))) {
        return {
          code: "FORBIDDEN_ORIGIN",
          message: `refused a request from web origin ${shown(origin)}: this server takes browser requests only from pages on ${[...pageHosts].join(", ")}${origins.size > 0 ? ` and from ${[...origins].join(", ")}` : ""} (a guard against cross-site requests and DNS rebinding). To allow that page, use \`--allowed-origins ${o?.origin ?? "<scheme://host:port>"}\` (option \`allowedOrigins\`); clients other than browsers should not send Origin`,
        };
      }
    }
    return null;
  };
}
