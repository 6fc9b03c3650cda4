// Compiled artifacts: serialize a policy to its deterministic text, and load one back (verifying its hash).
import type { CompiledPolicy } from "./build.js";
import { ARTIFACT_BUILDER, ARTIFACT_FORMAT, buildPolicy, policyHash } from "./compile.js";
import type { PolicyIR } from "./ir.js";
import { irProblem } from "./ir-check.js";
import { importScanners, type StoredScanner } from "./scan-leaf.js";
import { WARDEN_VERSION } from "../version.js";

export function serializeCompiled(policy: CompiledPolicy): string {
  return policy.artifact;
}

export class ArtifactError extends Error {}

/** Loads an artifact without recompiling the source; refuses one whose hash does not match its content. */
export function loadCompiled(text: string): CompiledPolicy {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ArtifactError(`compiled policy is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  const d = doc as { format?: unknown; hash?: unknown; policy?: unknown; warden?: unknown; scanners?: unknown };
  if (typeof d !== "object" || d === null || d.format !== ARTIFACT_FORMAT) {
    throw new ArtifactError(`not a compiled Warden policy (expected format \`${ARTIFACT_FORMAT}\`)`);
  }
  const problem = irProblem(d.policy);
  if (problem !== undefined) throw new ArtifactError(`compiled policy is not valid for Warden ${WARDEN_VERSION}: ${problem}`);
  const ir = d.policy as PolicyIR;
  const hash = policyHash(ir);
  if (hash !== d.hash) throw new ArtifactError(`compiled policy hash mismatch: artifact says \`${String(d.hash)}\`, content hashes to \`${hash}\``);
  // Automata are loaded as stored when this Warden version and scanner revision built them; otherwise recompiled.
  if (d.warden === ARTIFACT_BUILDER && Array.isArray(d.scanners)) {
    try {
      importScanners(d.scanners as StoredScanner[]);
    } catch (e) {
      throw new ArtifactError(`compiled policy has unreadable scan automata: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return buildPolicy(ir);
}
