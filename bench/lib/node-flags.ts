// The V8 heap flags the benchmark process runs with (run-bench.mjs passes the tuning docs/performance.md
// recommends), handed on to the Warden processes the benchmarks start so they run the same way.
export const WARDEN_NODE_FLAGS: string[] = process.execArgv.filter((a) => /^--(min|max)-semi-space-size=/.test(a));
