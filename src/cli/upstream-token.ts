// The bearer token `warden mcp --upstream-url` and `warden drill --upstream-url` send to a streamable-HTTP MCP
// server that requires one: from --upstream-token-file, else $WARDEN_UPSTREAM_TOKEN. The token is the server's,
// so no length is imposed; it is never logged or echoed.
import { resolve } from "node:path";
import { ExitError, type CliIO } from "./io.js";
import { INPUT_LIMITS, readInputFile } from "./input-file.js";

export const UPSTREAM_TOKEN_ENV = "WARDEN_UPSTREAM_TOKEN";

/** `{authorization: "Bearer …"}` for the upstream server, or null when no token is given. */
export function upstreamHeaders(io: CliIO, file: string | undefined, command: string): Record<string, string> | null {
  let token: string | undefined;
  if (file !== undefined) {
    token = readInputFile(resolve(io.cwd, file), file, "upstream token file", INPUT_LIMITS.token).split("\n")[0]?.trim();
    if (!token) throw new ExitError(`warden ${command}: the upstream token file \`${file}\` is empty (its first line is the token the MCP server expects)`);
  } else token = io.env[UPSTREAM_TOKEN_ENV]?.trim() || undefined;
  if (token === undefined) return null;
  // A header value cannot hold control characters; fetch would refuse it later with a less helpful message.
  if (/[\x00-\x1f\x7f]/.test(token)) throw new ExitError(`warden ${command}: the upstream token (${file !== undefined ? `\`${file}\`` : `$${UPSTREAM_TOKEN_ENV}`}) contains a control character; give the token alone on the first line`);
  return { authorization: `Bearer ${token}` };
}
