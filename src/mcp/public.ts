// `warden/mcp`: the governed MCP proxies (stdio and streamable HTTP) for programs that embed them. A separate
// entry so that importing `warden` for decide() does not load the MCP SDK (~200 ms of cold start).
export { runStdioProxy, type UpstreamCommand, type RunningProxy } from "./stdio.js";
export { runHttpProxy, type HttpProxyOptions, type RunningHttpProxy } from "./http.js";
export type { McpProxyOptions } from "./proxy.js";
