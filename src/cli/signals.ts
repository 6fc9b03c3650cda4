// Long-running commands (serve, mcp) wait here until SIGINT or SIGTERM; SIGHUP can trigger a reload.
export function waitForStop(onHangup?: () => void): Promise<void> {
  return new Promise<void>((done) => {
    const hangup = (): void => onHangup?.();
    const stop = (): void => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      if (onHangup) process.off("SIGHUP", hangup);
      done();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
    if (onHangup) process.on("SIGHUP", hangup);
  });
}
