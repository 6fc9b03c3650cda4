// Diagnostic codes of the gitleaks importer (one registry; docs/errors.md is generated from it).

export const GITLEAKS_ERRORS = {
  GITLEAKS_TOML_INVALID: "the gitleaks config is not valid TOML (error, with line and column)",
  GITLEAKS_NO_RULES: "the config has no `[[rules]]` tables (error)",
  GITLEAKS_NO_USABLE_RULES: "the config has rules but none of them can be imported (error; the warnings before it say why for each)",
  GITLEAKS_REGEX_NOT_STRING: "a rule's `regex` is not a string (a number, a list...); the rule is not imported",
  GITLEAKS_EXTEND_IGNORED: "`[extend]` is not followed; only the rules in the file are imported",
  GITLEAKS_DUPLICATE_ID: "two rules share an id; the later one is skipped",
  GITLEAKS_PATH_ONLY_RULE: "a rule without `regex` matches file names only; scanned text has none, so it is not imported",
  GITLEAKS_PATH_RULE_SKIPPED: "a rule restricted to some `path`s is not imported (applying it to all text would change its precision)",
  GITLEAKS_SECRET_GROUP: "`secretGroup` is not supported; entropy and allowlists use the value part of the match",
  GITLEAKS_ALLOWLIST_PATHS_IGNORED: "allowlist `paths` are ignored (text has no path)",
  GITLEAKS_ALLOWLIST_COMMITS_IGNORED: "allowlist `commits` are ignored",
  GITLEAKS_ALLOWLIST_DROPPED: "an allowlist gitleaks would never apply to text (`condition = \"AND\"` with `paths` or `commits`), or that gitleaks refuses (unknown `condition` or `regexTarget`), is not applied",
  GITLEAKS_ALLOWLIST_TARGET_UNKNOWN: "a global allowlist's `targetRules` names a rule the file does not have (gitleaks refuses the config); ignored for that name",
  GITLEAKS_FIELD_TYPE: "a field has the wrong type (`entropy = \"3\"`, `keywords = \"x\"`): read as gitleaks reads it (a numeric string as a number, a string as a list split on `,`) or ignored, as the message says",
  GITLEAKS_REGEX_TARGET_LINE: "allowlist `regexTarget = \"line\"` is applied to the match instead of the line",
  GITLEAKS_ALLOWLIST_REGEX_SKIPPED: "an allowlist regex uses a construct the scanner does not support and is skipped",
} as const;

export type GitleaksCode = keyof typeof GITLEAKS_ERRORS;
