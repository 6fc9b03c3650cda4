// Public surface of the pattern scanner (regex subset -> multi-pattern DFAs, linear-time scanning).

export { compilePatternSet, DEFAULT_STATE_BUDGET, DEFAULT_MAX_EXTENSION, type CompileSetResult } from "./compile.js";
export { scanText } from "./scan.js";
export { serializePatternSet, loadPatternSet, patternSetHash, automatonSizes, PatternSetLoadError } from "./serialize.js";
export { SCAN_ERRORS, type ScanErrorCode } from "./errors.js";
export type { PatternSpec, CompileOptions, CompiledPatternSet, ScanMatch, ScanOptions, AutomatonSizes } from "./types.js";
