// Creates the folder a command writes into (keys gen --out, --audit DIR, --approvals-dir) one level at a time
// (src/node/mkdirs.ts: Node's recursive mkdir spins forever on some paths, such as `/proc/nope/x`).
import { makeDirsSync } from "../node/mkdirs.js";
import { ExitError } from "./io.js";

/**
 * Makes folder `dir` and any missing parents (mode 0700), or throws ExitError(2) saying
 * `warden <command>: cannot create <flag> \`<shown>\`: …`. A `dir` that already exists is left as it is (file or
 * folder): the command's own open reports what is wrong with it.
 */
export function makeDirs(dir: string, command: string, flagName: string, shown: string): void {
  const why = makeDirsSync(dir);
  if (why !== null) throw new ExitError(`warden ${command}: cannot create ${flagName} \`${shown}\`: ${why}`);
}
