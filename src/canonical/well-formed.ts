// Text that JSON can carry, for messages and summaries about input that could not be: lone surrogates escaped.

const LONE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Whether `s` holds no lone surrogate (String.prototype.isWellFormed: Node 20 has it, its typings do not yet). */
export function isWellFormed(s: string): boolean {
  return (s as string & { isWellFormed(): boolean }).isWellFormed();
}

/** `s` itself when it is well-formed UTF-16 (the common case); else each lone surrogate written as `\uXXXX`. */
export function wellFormedText(s: string): string {
  return isWellFormed(s) ? s : s.replace(LONE, (ch) => `\\u${ch.charCodeAt(0).toString(16)}`);
}
