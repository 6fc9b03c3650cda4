// The bearer token `warden mcp --upstream-url` and `warden drill --upstream-url` send to a streamable-HTTP MCP
// server that requires one: from --upstream-token-file, else $WARDEN_UPSTREAM_TOKEN. The token is the server's,
// so no length is imposed; it is never logged or echoed.
import { ExitError, type CliIO } from "./io.js";
import { secretFrom } from "./secrets.js";

export const UPSTREAM_TOKEN_ENV = "WARDEN_UPSTREAM_TOKEN";

/** `{authorization: "Bearer …"}` for the upstream server, or null when no token is given. */
export function upstreamHeaders(io: CliIO, file: string | undefined, command: string): Record<string, string> | null {
  const token = secretFrom(io, file, UPSTREAM_TOKEN_ENV, "upstream token");
  if (token === null) return null;
  if (token === "") throw new ExitError(`warden ${command}: the upstream token file \`${file}\` is empty (its first line is the token the MCP server expects)`);
  // A header value cannot hold control characters; fetch would refuse it later with a less helpful message.
  if (/[\x00-\x1f\x7f]/.test(token)) throw new ExitError(`warden ${command}: the upstream token (${file !== undefined ? `\`${file}\`` : `$${UPSTREAM_TOKEN_ENV}`}) contains a control character; give the token alone on the first line`);
  return { authorization: `Bearer ${token}` };
}
