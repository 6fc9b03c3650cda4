// `warden/sidecar`: the HTTP decision sidecar (what `warden serve` runs) for programs that embed it. A separate
// entry so that importing `warden` for decide() does not load Fastify.
export { buildGateway, type GatewayOptions, type Gateway } from "./server.js";
