// Which notifications the proxy passes on: only genuine ones (`notifications/*`). A request method sent without an
// id (a `tools/call` or `sampling/createMessage` as a "notification") would reach the other side undecided and
// unrecorded, and a receiver may still act on it, so it is dropped.

/** True for a method that is a notification in MCP (every one is `notifications/…`); anything else is a request's. */
export const isNotificationMethod = (method: string): boolean => method.startsWith("notifications/");

/** The log event for a dropped message: what it was, from whom, and why it went no further. */
export function droppedNotice(method: string, from: "agent" | "server"): Record<string, unknown> {
  return {
    level: "warn",
    msg: "notification dropped",
    method,
    from,
    why: `\`${method}\` is a request method sent without an id, so it cannot be decided or answered; it was not forwarded (send it as a request, with an id)`,
  };
}
