// Tool-name globs: `*` matches any run of characters, `?` exactly one; everything else is literal.

export type ToolMatcher = (tool: string) => boolean;

/** Whether a tool pattern is a glob (has `*` or `?`) rather than one exact name. */
export const isToolGlob = (glob: string): boolean => glob.includes("*") || glob.includes("?");

export function compileGlob(glob: string): ToolMatcher {
  if (!isToolGlob(glob)) return (t) => t === glob;
  if (glob === "*") return () => true;
  const star = glob.indexOf("*");
  if (star === glob.length - 1 && !glob.includes("?")) {
    const prefix = glob.slice(0, -1);
    return (t) => t.startsWith(prefix);
  }
  // Names are bounded (<= 256 chars) and validated to a small alphabet, so a RegExp is safe here.
  const source = glob.replace(/[.+^${}()|[\]\\/-]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  const re = new RegExp(`^${source}$`, "s");
  return (t) => re.test(t);
}
