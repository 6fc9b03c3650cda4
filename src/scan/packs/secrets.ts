// Secrets pack: credential formats with a fixed, documented prefix or structure (high precision), plus a
// guarded `password=` assignment rule. Values are never shown: findings keep the first 2 and last 2 chars.
import type { Pack, PackRule } from "./types.js";

// Case-sensitive. The same options as the PII and shell packs, so the three share one normalized copy of
// the text (NFKC and white-space collapsing leave ASCII tokens alone; invisible characters are removed, so a
// token split by zero-width spaces is still found).
const N = { stripInvisible: true, nfkc: true, collapseWhitespace: true };

// Fake but well-formed values for the examples, assembled so that this file itself holds no literal token
// that other scanners would flag.
const A36 = "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8";
const HEX32 = "0123456789abcdef0123456789abcdef";
// Written in two parts so that the core-purity check (which forbids the process global in src/scan) does not
// mistake this example data for a use of it.
const NODE_ENV_LOOKUP = ["process", "env"].join(".");
const JWT_HEADER = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"; // {"alg":"HS256","typ":"JWT"}

const rules: PackRule[] = [
  {
    id: "aws-access-key-id",
    pattern: "(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}",
    boundary: "word",
    severity: "high",
    description: "AWS access key id (AKIA… long-term, ASIA… temporary)",
    normalization: N,
    mask: "edges",
    examples: { match: ["key=" + "AKIA" + "IOSFODNN7EXAMPLE", "ASIA" + "Y34FZKBOKMUTVV7A"], noMatch: ["AKIA" + "IOSFODNN7EXAMPLEXX", "AKIAshort"] },
  },
  {
    id: "aws-secret-access-key",
    pattern: "(?:aws|AWS)_?(?:secret|SECRET)_?(?:access|ACCESS)?_?(?:key|KEY)[\"']?\\s{0,3}[:=]\\s{0,3}[\"']?[A-Za-z0-9/+]{40}",
    boundary: "word",
    severity: "critical",
    description: "AWS secret access key assigned to an aws_secret(_access)_key variable",
    normalization: N,
    mask: "edges",
    examples: { match: ["aws_secret_access_key = " + "wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + "EXAMPLEKEY"], noMatch: ["aws_secret_access_key = ${AWS_SECRET}"] },
  },
  {
    id: "github-token",
    // Refresh tokens (ghr_) come in a 76-character form too.
    pattern: "gh[pousr]_[A-Za-z0-9]{36}(?:[A-Za-z0-9]{40})?|github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}",
    boundary: "word",
    severity: "critical",
    description: "GitHub personal access, OAuth, user-to-server, server-to-server or refresh token; fine-grained PAT",
    normalization: N,
    mask: "edges",
    examples: { match: ["token ghp_" + A36, "ghs_" + A36, "ghr_" + A36 + A36 + "abcd"], noMatch: ["ghp_" + A36.slice(0, 20), "ghx_" + A36, "ghr_" + A36 + "abc"] },
  },
  {
    id: "gitlab-token",
    pattern: "gl(?:pat|dt|rt|ptt|oas|cbt|imt|agent|ft|soat)-[A-Za-z0-9_-]{20,64}|GR1348941[A-Za-z0-9_-]{20}",
    boundary: "word",
    severity: "critical",
    description: "GitLab personal, deploy, runner (and runner registration), trigger, OAuth or agent token",
    normalization: N,
    mask: "edges",
    examples: { match: ["glpat-" + "xYz1234567890abcdefGH"], noMatch: ["glpat-short"] },
  },
  {
    id: "slack-token",
    pattern: "xox[baprse]-[0-9]{8,13}-[0-9A-Za-z-]{8,80}|xapp-[0-9]-[A-Z0-9]{9,12}-[0-9]{10,13}-[a-f0-9]{64}|xapp-[0-9]{10,13}-[A-Za-z0-9/+]{20,30}",
    boundary: "word",
    severity: "critical",
    description: "Slack bot, user, app or configuration token",
    normalization: N,
    mask: "edges",
    examples: { match: ["xoxb-" + "123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"], noMatch: ["xoxb-abc"] },
  },
  {
    id: "slack-webhook",
    pattern: "https://hooks\\.slack\\.com/(?:services|workflows|triggers)/T[A-Z0-9]{8,12}/[A-Z0-9]{8,12}/[A-Za-z0-9]{20,32}",
    severity: "high",
    description: "Slack incoming-webhook URL (anyone holding it can post)",
    normalization: N,
    mask: "edges",
    examples: { match: ["https://hooks.slack.com/services/" + "T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"], noMatch: ["https://hooks.slack.com/services/"] },
  },
  {
    id: "stripe-key",
    pattern: "(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{20,99}",
    boundary: "word",
    severity: "critical",
    description: "Stripe secret or restricted API key (live or test mode)",
    normalization: N,
    mask: "edges",
    examples: { match: ["sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"], noMatch: ["pk_live_" + "4eC39HqLyjWDarjtT1zdp7dc", "sk_live_short"] },
  },
  {
    // The whole block, so that redact_matches removes the key and not just its header. The body is matched
    // lazily up to the first END line (any length, linear: one class, no counted repeat).
    id: "private-key-block",
    pattern: "-----BEGIN[ A-Z0-9]{0,20} PRIVATE KEY(?: BLOCK)?-----[A-Za-z0-9+/=\\s:,.()_-]*?-----END[ A-Z0-9]{0,20} PRIVATE KEY(?: BLOCK)?-----",
    severity: "critical",
    description: "PEM/OpenSSH/PGP private key, from its BEGIN line through its END line",
    normalization: N,
    mask: "edges",
    examples: {
      match: ["-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM\nProc-Type: 4,ENCRYPTED\n-----END RSA PRIVATE KEY-----", "-----BEGIN PGP PRIVATE KEY BLOCK-----\nVersion: GnuPG v1 (GNU/Linux)\n\nlQOYBF0=\n=Xy7k\n-----END PGP PRIVATE KEY BLOCK-----"],
      noMatch: ["-----BEGIN PUBLIC KEY-----\nMIIBIjAN\n-----END PUBLIC KEY-----", "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM"],
    },
  },
  {
    // The header alone, for a key cut off before its END line (the body cannot then be told from other text):
    // a fallback, dropped when private-key-block covers the same text.
    id: "private-key",
    pattern: "-----BEGIN[ A-Z0-9]{0,20} PRIVATE KEY(?: BLOCK)?-----",
    severity: "critical",
    description: "PEM/OpenSSH/PGP private key header (reported when the block has no END line)",
    normalization: N,
    fallback: true,
    mask: "edges",
    examples: { match: ["-----BEGIN RSA PRIVATE KEY-----", "-----BEGIN OPENSSH PRIVATE KEY-----", "-----BEGIN PRIVATE KEY-----"], noMatch: ["-----BEGIN PUBLIC KEY-----", "-----BEGIN CERTIFICATE-----"] },
  },
  {
    id: "jwt",
    pattern: "eyJ[A-Za-z0-9_-]{10,}\\.eyJ[A-Za-z0-9_-]{2,}\\.[A-Za-z0-9_-]{10,}",
    boundary: "word",
    validator: "jwt",
    severity: "medium",
    description: "JSON Web Token (header decodes to JSON with `alg`); may carry a live session",
    normalization: N,
    mask: "edges",
    examples: { match: [JWT_HEADER + ".eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"], noMatch: ["eyJmb28iOiJiYXIifQ.eyJzdWIiOiIxIn0.abcdefghijklmnop"] },
  },
  {
    id: "google-api-key",
    pattern: "AIza[0-9A-Za-z_-]{35}",
    boundary: "word",
    severity: "high",
    description: "Google API key",
    normalization: N,
    mask: "edges",
    examples: { match: ["AIza" + "SyA1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q"], noMatch: ["AIza" + "short"] },
  },
  {
    id: "openai-api-key",
    pattern: "sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,160}T3BlbkFJ[A-Za-z0-9_-]{20,160}",
    boundary: "word",
    severity: "critical",
    description: "OpenAI API key (contains the base64 of `OpenAI`)",
    normalization: N,
    mask: "edges",
    examples: { match: ["sk-proj-" + "abcdefghij1234567890" + "T3BlbkFJ" + "abcdefghij1234567890"], noMatch: ["sk-abcdefghij1234567890"] },
  },
  {
    id: "anthropic-api-key",
    pattern: "sk-ant-(?:api|admin)[0-9]{2}-[A-Za-z0-9_-]{80,120}",
    boundary: "word",
    severity: "critical",
    description: "Anthropic API or admin key",
    normalization: N,
    mask: "edges",
    examples: { match: ["sk-ant-api03-" + "x".repeat(93) + "AA"], noMatch: ["sk-ant-api03-short"] },
  },
  {
    id: "npm-token",
    pattern: "npm_[A-Za-z0-9]{36}",
    boundary: "word",
    severity: "high",
    description: "npm access token",
    normalization: N,
    mask: "edges",
    examples: { match: ["npm_" + A36], noMatch: ["npm_install"] },
  },
  {
    id: "pypi-token",
    pattern: "pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}",
    boundary: "word",
    severity: "high",
    description: "PyPI upload token",
    normalization: N,
    mask: "edges",
    examples: { match: ["pypi-AgEIcHlwaS5vcmc" + A36 + A36], noMatch: ["pypi-token"] },
  },
  {
    id: "sendgrid-key",
    pattern: "SG\\.[A-Za-z0-9_-]{22}\\.[A-Za-z0-9_-]{43}",
    boundary: "word",
    severity: "high",
    description: "SendGrid API key",
    normalization: N,
    mask: "edges",
    examples: { match: ["SG." + "abcdefghijklmnopqrstuv" + "." + "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"], noMatch: ["SG.short.key"] },
  },
  {
    id: "huggingface-token",
    pattern: "hf_[A-Za-z]{34}",
    boundary: "word",
    severity: "high",
    description: "Hugging Face access token",
    normalization: N,
    mask: "edges",
    examples: { match: ["hf_" + "abcdefghijklmnopqrstuvwxyzABCDEFGH"], noMatch: ["hf_hub_download"] },
  },
  {
    id: "twilio-api-key",
    pattern: "SK[0-9a-f]{32}",
    boundary: "word",
    severity: "medium",
    description: "Twilio API key SID",
    normalization: N,
    mask: "edges",
    examples: { match: ["SK" + HEX32], noMatch: ["SK" + HEX32.slice(0, 10)] },
  },
  {
    id: "shopify-token",
    pattern: "shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}",
    boundary: "word",
    severity: "high",
    description: "Shopify access, custom-app, private-app or shared-secret token",
    normalization: N,
    mask: "edges",
    examples: { match: ["shpat_" + HEX32], noMatch: ["shpat_xyz"] },
  },
  {
    id: "azure-storage-key",
    pattern: "AccountKey=[A-Za-z0-9+/]{86}==",
    severity: "critical",
    description: "Azure Storage account key in a connection string",
    normalization: N,
    mask: "edges",
    examples: { match: ["DefaultEndpointsProtocol=https;AccountName=x;AccountKey=" + "A".repeat(86) + "=="], noMatch: ["AccountKey=<key>"] },
  },
  {
    id: "telegram-bot-token",
    pattern: "[0-9]{8,10}:AA[0-9A-Za-z_-]{33}",
    boundary: "word",
    severity: "high",
    description: "Telegram bot token",
    normalization: N,
    mask: "edges",
    examples: { match: ["123456789:AA" + "Hdqwertyuiopasdfghjklzxcvbnm12345"], noMatch: ["12:AAshort"] },
  },
  {
    id: "discord-webhook",
    pattern: "https://(?:ptb\\.|canary\\.)?discord(?:app)?\\.com/api/webhooks/[0-9]{17,20}/[A-Za-z0-9_-]{60,68}",
    severity: "high",
    description: "Discord webhook URL",
    normalization: N,
    mask: "edges",
    examples: { match: ["https://discord.com/api/webhooks/123456789012345678/" + "a".repeat(68)], noMatch: ["https://discord.com/api/webhooks/"] },
  },
  {
    id: "url-credentials",
    pattern: "(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\\+srv)?|redis|rediss|amqps?|mssql|sqlserver|ftp|sftp|smtp|ldap)://[^\\s:/@\"'<>]{0,64}:[^\\s:/@\"'<>$*{}]{3,128}@[A-Za-z0-9.-]+",
    severity: "high",
    description: "database/broker/FTP URL with an embedded password",
    normalization: N,
    mask: "edges",
    // The user name may be empty: redis://:password@host is how Redis takes a password alone.
    examples: { match: ["postgres://app:s3cr3tPass@db.internal:5432/app", "redis://:verylongpassword123@host:6379"], noMatch: ["postgres://db.internal:5432/app", "postgres://user:${PASSWORD}@db/app"] },
  },
  {
    // The value runs to its end (an upper bound left only the first 64 characters to redact), up to 8 + 256
    // characters: the scanner extends a match at most 256 units past its earliest end (src/scan/README.md).
    id: "password-assignment",
    pattern: "(?:[Pp]assword|PASSWORD|[Pp]asswd|PASSWD|[Pp]wd|PWD|[Ss]ecret_?[Kk]ey|SECRET_KEY|[Aa]pi_?[Kk]ey|API_KEY|[Cc]lient_?[Ss]ecret|CLIENT_SECRET)[\"']?[ \\t]{0,8}(?:=>|:=|==|[:=])[ \\t]{0,3}[\"']?[A-Za-z0-9!#%+./?@^_|~*-][A-Za-z0-9!#$%&()*+./?@^_|~-]{7,}",
    // Environment and config lookups, paths, CSS selectors, template placeholders, masked and stock example
    // values are not secrets; nor is code: a call (`getpass.getpass()`, `os.getcwd()`, `Fernet.generate_key()`,
    // `document.getElementById(`; the value class takes parentheses so the call is seen), a type annotation
    // (`api_key: Optional[str]`), or another credential variable, in snake_case (`password == confirm_password`;
    // `mypassword`, `thisismypassword` are literal, if weak, passwords).
    allowValues: [
      "^(?:env|ENV|process\\.env|os\\.environ|os\\.getenv|getenv|System\\.getenv|config|settings|self|this|params|args|props|req|request)[.\\[(]",
      "(?i)^(?:your|enter|insert|change_?me|xxx|example|dummy|placeholder|redacted|none|null|undefined|not-set|todo|fixme)",
      "(?i)^(?:password|passwd|secret)$",
      "^[A-Za-z_$][A-Za-z0-9_$.]*\\(",
      "^(?:Optional|Union|List|Dict|Mapping|Sequence|Any|SecretStr|SecretBytes|String|string|str|bytes|Text)$",
      "^(?:[a-z0-9]+_)+(?:password|passwd|pwd|secret|key|token)(?:_[a-z0-9]+)*$|^(?:password|passwd|pwd|secret|token)(?:_[a-z0-9]+)+$",
      "^\\*+$|^/|^#[a-z][a-z0-9-]*$|&lt;|&gt;|\\{\\{|\\$\\{",
    ],
    severity: "medium",
    description: "a literal value assigned to a password/secret/api-key field (placeholders such as `${X}`, `<x>`, `***` are not matched); precision is lower than the prefix rules",
    normalization: N,
    mask: "edges",
    examples: {
      match: ["password=hunter2hunter2", "DB_PASSWORD: 'Tr0ub4dor&3x'", "api_key = \"9f8e7d6c5b4a3f2e\""],
      noMatch: ["password=${DB_PASSWORD}", "password: <your password>", "password: ********", "password=short",
        "password = env.APP_PASSWORD", `const password = ${NODE_ENV_LOOKUP}.DB_PASSWORD`, "\"password\": \"&lt;YOURPASSWORD&gt;\"",
        "passwordLabel:\"Password:\",rememberMeLabel:\"Remember me\"", "password: your-password-here", "this.addPassword = '#add-password';",
        "password = getpass.getpass()", "if password == confirm_password:", "pwd = os.getcwd()", "const password = document.getElementById(\"pw\").value;",
        "api_key: Optional[str] = None", "secret_key = Fernet.generate_key()"],
    },
  },
];

export const secretsPack: Pack = {
  name: "secrets",
  description: "credentials with a documented prefix or structure, private keys, tokens, password assignments",
  rules,
};
