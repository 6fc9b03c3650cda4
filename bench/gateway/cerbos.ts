// Cerbos PDP from @cerbos/cerbos-linux-x64, run on loopback with the same 3-rule payments policy as Warden's.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const POLICY = `apiVersion: api.cerbos.dev/v1
resourcePolicy:
  version: default
  resource: payment
  rules:
    - name: operators-may-send
      actions: [send]
      effect: EFFECT_ALLOW
      roles: [operator]
    - name: counterparty-allowlist
      actions: [send]
      effect: EFFECT_DENY
      roles: ["*"]
      condition:
        match:
          expr: "!(R.attr.counterparty in ['acme-corp','globex','initech','umbrella','hooli','stark-industries','wayne-enterprises','wonka'])"
    - name: large-payment
      actions: [send]
      effect: EFFECT_DENY
      roles: ["*"]
      condition:
        match:
          expr: "R.attr.amount > 10000"
`;

export function cerbosBinary(): string | null {
  try {
    const req = createRequire(import.meta.url);
    const bin = join(dirname(req.resolve("@cerbos/cerbos-linux-x64/package.json")), "cerbos-linux-x64");
    return existsSync(bin) ? bin : null;
  } catch {
    return null;
  }
}

export async function startCerbos(dir: string, port: number): Promise<{ url: string; child: ChildProcess }> {
  const bin = cerbosBinary();
  if (!bin) throw new Error("@cerbos/cerbos-linux-x64 is not installed");
  mkdirSync(join(dir, "policies"), { recursive: true });
  writeFileSync(join(dir, "policies", "payment.yaml"), POLICY);
  writeFileSync(
    join(dir, "config.yaml"),
    `server:\n  httpListenAddr: "127.0.0.1:${port}"\n  grpcListenAddr: "127.0.0.1:${port + 1}"\nstorage:\n  driver: disk\n  disk:\n    directory: ${join(dir, "policies")}\n    watchForChanges: false\naudit:\n  enabled: false\ntelemetry:\n  disabled: true\n`,
  );
  const child = spawn(bin, ["server", `--config=${join(dir, "config.yaml")}`, "--log-level=error"], { stdio: ["ignore", "ignore", "inherit"] });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    try {
      const r = await fetch(`${url}/_cerbos/health`);
      if (r.ok) return { url, child };
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill();
  throw new Error("cerbos did not become healthy in 10 s");
}

export function cerbosBody(amount: number, counterparty: string, i: number): Buffer {
  return Buffer.from(JSON.stringify({
    requestId: `r${i}`,
    principal: { id: "fin-agent-7", roles: ["operator"] },
    resources: [{ actions: ["send"], resource: { kind: "payment", id: `p${i}`, attr: { amount, counterparty } } }],
  }));
}
