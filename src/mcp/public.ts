// `warden/mcp`: the governed MCP proxies (stdio and streamable HTTP) for programs that embed them, and the governed
// server itself for running the proxy inside the agent's own process. A separate entry so that importing `warden`
// for decide() does not load the MCP SDK (~200 ms of cold start).
export { runStdioProxy, connectUpstream, type UpstreamCommand, type RunningProxy } from "./stdio.js";
export { runHttpProxy, type HttpProxyOptions, type RunningHttpProxy } from "./http.js";
export { createGovernedServer, type McpProxyOptions, type GovernedServer, type ProxyStats } from "./proxy.js";
export { packScanner, type ResultScanner, type ResultFinding } from "./scan-results.js";
