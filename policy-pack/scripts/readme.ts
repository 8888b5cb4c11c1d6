/**
 * Generates policy-pack/README.md from the pack's own policies: name, level, severity, what it
 * checks and its config keys with defaults, grouped by SEC1 practice, plus how to use the pack.
 * policy-pack/test/readme.test.ts fails when the checked-in README differs from this output.
 *
 *   npm run readme   (in policy-pack/; from the root: npm run readme:pack)
 */
import * as fs from "fs";
import * as path from "path";
import { Policy } from "@pulumi/policy";
import { allPolicies } from "../policies";
import { formatMarkdown } from "./markdown";
import { BEYOND_PEERS, PARITY_COVERAGE, PEER_RULES, PeerRule } from "../lib/peer-rules";
import { EXEMPTION_SETTINGS } from "../lib/exempting";

/** Where the README lives. */
export const README_PATH = path.resolve(__dirname, "..", "README.md");

const PRACTICES: [string, string][] = [
  ["A", "Every operation is authenticated and authorized"],
  ["K", "API keys are for quotas, never for identity"],
  ["E", "Endpoints: public or private, on purpose"],
  ["I", "Least privilege for internal consumers"],
  ["X", "Observability and hardening that SEC1 relies on"],
];

/** One numbered check of the SEC1 catalogue and the policies that implement it. */
export interface CoverageRow {
  check: string;
  what: string;
  policies: string[];
  /** Where the check stops short, if anywhere. */
  limits?: string;
}

/** The catalogue, check by check (test/readme.test.ts keeps it in step with the policies). */
export const COVERAGE: CoverageRow[] = [
  {
    check: "A1",
    what: "REST methods authenticate (not NONE; OPTIONS and configured exemptions; CUSTOM/COGNITO need an authorizer; an API key is not authentication); OPTIONS answered by a MOCK integration, not a function (A)",
    policies: ["sec1-a-rest-method-authorization", "sec1-a-rest-preflight-mock"],
  },
  {
    check: "A2",
    what: "REST authorizers complete (Cognito provider ARNs; TOKEN/REQUEST URI and identity source) (A); result TTL within bounds, REQUEST caches keyed on the route (A)",
    policies: ["sec1-a-rest-authorizer-config", "sec1-a-authorizer-result-ttl"],
  },
  {
    check: "A3",
    what: "HTTP routes and WebSocket $connect authenticate (missing type = NONE); JWT/CUSTOM name an authorizer of the same API; a WebSocket API has a $connect route",
    policies: ["sec1-a-http-route-authorization", "sec1-a-websocket-connect-route"],
  },
  {
    check: "A4",
    what: "HTTP API JWT authorizers: https issuer, audiences; REQUEST authorizers: URI and identity sources",
    policies: ["sec1-a-jwt-authorizer-config", "sec1-a-authorizer-result-ttl"],
  },
  {
    check: "A5",
    what: "AppSync providers allowed, API_KEY never default nor the only public provider, provider configs complete; an additional API_KEY judged on the fields its directives reach (M beyond declared public reads, A within them)",
    policies: [
      "sec1-a-appsync-auth-providers",
      "sec1-a-appsync-api-key-reach",
      "sec1-a-appsync-api-key-public",
    ],
  },
  {
    check: "A6",
    what: "Cognito identity pools judged on what their guest and authenticated roles, and catch-all role-mapping rules, reach by inline, customer or AWS managed policies (M when they invoke an API, AppSync, a function, touch data, escalate identity or assume a role that does; A for a telemetry-only guest role)",
    policies: ["sec1-a-cognito-identity-pool-unauthenticated", "sec1-a-identity-pool-guest-scope"],
  },
  {
    check: "A7",
    what: "Lambda function URLs not NONE",
    policies: ["sec1-a-lambda-function-url-auth"],
  },
  {
    check: "A8",
    what: "APIs without method/route resources: OpenAPI bodies (REST and HTTP) and HTTP API quick create",
    policies: ["sec1-a-openapi-body-security", "sec1-a-http-api-quick-create"],
    limits: "JSON and YAML bodies are evaluated; a body that is neither stays unjudged.",
  },
  {
    check: "A9",
    what: "Federated identity providers of a user pool: https SAML metadata, OIDC issuer and endpoints; SAML sign-in hardened (no IdP-initiated sign-in, signed requests, encrypted assertions) (A)",
    policies: ["sec1-a-identity-provider-https", "sec1-a-saml-provider-hardening"],
    limits: "A SAML metadata document (MetadataFile) is not parsed: only a MetadataURL is judged.",
  },
  {
    check: "K1",
    what: "Usage plans throttle (rate, burst), cap (quota limit, period) and apply to a stage (A)",
    policies: ["sec1-k-usage-plan-limits"],
  },
  {
    check: "K2",
    what: "Every API key in a usage plan (stack, A); key values not hard-coded (A)",
    policies: ["sec1-k-api-key-usage-plan", "sec1-k-api-key-value-source"],
    limits:
      "Hard-coded values are advisory: the analyzer receives secrets unwrapped, so a value from a config secret looks like a literal.",
  },
  {
    check: "K3",
    what: "Stages throttle by default: REST `*/*` method settings, HTTP/WebSocket defaultRouteSettings",
    policies: ["sec1-k-stage-throttling"],
  },
  {
    check: "K4",
    what: "AppSync API keys expire within bounds (A)",
    policies: ["sec1-k-appsync-api-key-expiry"],
  },
  {
    check: "E1",
    what: "REST endpoint type allowed (string or array; unset = EDGE); internal APIs PRIVATE",
    policies: ["sec1-e-rest-endpoint-type"],
  },
  {
    check: "E2",
    what: "PRIVATE REST APIs have a resource policy, inline or a RestApiPolicy (stack, A: API Gateway does not deploy one without)",
    policies: ["sec1-e-private-api-resource-policy"],
  },
  {
    check: "E3",
    what: "Resource policy evaluated: on PRIVATE APIs no Allow for `*` outside aws:SourceVpce/aws:SourceVpc (or a covering Deny); on REGIONAL/EDGE APIs with AWS_IAM methods (and APIs outside the stack) no Allow for `*` that pins no org, account, principal, VPC or narrow IP range; Allows for named callers scoped (A)",
    policies: [
      "sec1-e-resource-policy-source-vpce",
      "sec1-e-resource-policy-any-account",
      "sec1-e-resource-policy-scope",
    ],
    limits:
      "Condition operators the evaluator does not know make a statement undecided: the policy stays silent rather than guess.",
  },
  {
    check: "E4",
    what: "execute-api VPC endpoint: Interface, security groups (A); private DNS (A)",
    policies: ["sec1-e-vpc-endpoint-execute-api", "sec1-e-vpc-endpoint-private-dns"],
  },
  {
    check: "E5",
    what: "Internal AppSync APIs use visibility PRIVATE (tag or name rule) (A)",
    policies: ["sec1-e-appsync-internal-visibility"],
  },
  {
    check: "I1",
    what: "IAM grants of execute-api:Invoke name specific APIs (no `*`, account-wide wildcards, NotAction/NotResource, attached AWS managed policies that invoke every API); stage/method/path scoping (A)",
    policies: ["sec1-i-execute-api-invoke-scope", "sec1-i-execute-api-invoke-path-scope"],
  },
  {
    check: "I2",
    what: "Methods of a PRIVATE REST API use AWS_IAM (stack, A; a method with no authorization is M under A1)",
    policies: ["sec1-i-private-api-iam-auth"],
  },
  {
    check: "I3",
    what: "Lambda permissions for API Gateway/AppSync: sourceArn names the API (the one that integrates the function, A); never principal `*`, another account, or a service principal without sourceArn/sourceAccount",
    policies: ["sec1-i-lambda-permission-source-arn", "sec1-i-lambda-permission-source-api"],
  },
  {
    check: "X",
    what: "Access logs on API stages",
    policies: ["sec1-x-stage-access-logging"],
  },
  {
    check: "X",
    what: "Execution logging (without data trace) and X-Ray on REST stages",
    policies: ["sec1-x-rest-execution-logging", "sec1-x-rest-stage-tracing"],
  },
  { check: "X", what: "AppSync logConfig", policies: ["sec1-x-appsync-logging"] },
  {
    check: "X",
    what: "WAF on public REST APIs and AppSync",
    policies: ["sec1-x-waf-association"],
  },
  {
    check: "X",
    what: "TLS 1.2 security policy on custom domains",
    policies: ["sec1-x-custom-domain-tls"],
  },
  {
    check: "X",
    what: "Request validators on REST methods with bodies",
    policies: ["sec1-x-rest-request-validation"],
  },
  {
    check: "X",
    what: "AppSync introspection off and query depth limit in production",
    policies: ["sec1-x-appsync-hardening"],
  },
  {
    check: "X",
    what: "Exemption declarations: a reason, a finding that exists, within the org's rules (docs/exemptions.md)",
    policies: ["sec1-x-exemption-declarations"],
  },
  ...PARITY_COVERAGE,
];

/**
 * Text for a table cell: pipes escaped, one line, and `*` escaped outside code spans, so
 * a description saying "method settings for *\/*" is not read as emphasis (Prettier would turn
 * it into "_/_").
 */
export function cell(text: string): string {
  return text
    .split(/(`[^`]*`)/)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/\*/g, "\\*")))
    .join("")
    .replace(/\|/g, "\\|")
    .replace(/\r?\n/g, " ")
    .trim();
}

function configCell(policy: Policy): string {
  const properties = policy.configSchema?.properties ?? {};
  // Every policy has the exemption settings; the README describes them once, not per row.
  const keys = Object.keys(properties).filter((k) => !(k in EXEMPTION_SETTINGS));
  if (keys.length === 0) return "-";
  return keys
    .map((key) => {
      const value = (properties[key] as { default?: unknown }).default;
      return value === undefined ? `\`${key}\`` : `\`${key}\` = \`${JSON.stringify(value)}\``;
    })
    .map(cell)
    .join("<br>");
}

function practiceOf(policy: Policy): string {
  const tag = (policy.tags ?? []).find((t) => /^SEC1-[A-Z]$/.test(t));
  return tag ? tag.slice(-1) : (/^sec1-([a-z])-/.exec(policy.name)?.[1] ?? "?").toUpperCase();
}

/** The coverage cell of a peer rule: its policies (and what they leave out), or the reason. */
function coverageCells(rule: PeerRule): [string, string] {
  const c = rule.coverage;
  if ("outside" in c) return ["outside SEC1", cell(c.outside)];
  const names = c.policies.map((p) => `\`${p}\``).join("<br>");
  return "partial" in c ? [names, `partial: ${cell(c.partial)}`] : [names, "-"];
}

/** The peer-parity section: each peer rule and what covers it, then the checks no peer makes. */
export function peerParity(): string[] {
  const count = (f: (r: PeerRule) => boolean) => PEER_RULES.filter(f).length;
  const lines = [
    "",
    "## Peer parity",
    "",
    `How the pack compares, rule by rule, with the checkers a platform team may already run (${PEER_RULES.length} rules about API Gateway, AppSync, Cognito, Lambda permissions and URLs, and WAF): ${count((r) => "policies" in r.coverage && !("partial" in r.coverage))} covered, ${count((r) => "partial" in r.coverage)} covered in part, ${count((r) => "outside" in r.coverage)} outside SEC1. Rule ids are the checkers' own; cdk-nag has no APIG5, COG5, COG6, ASC1 or ASC2.`,
    "",
    "| Checker | Rule | What it checks | Covered by | Notes |",
    "|---|---|---|---|---|",
  ];
  for (const rule of PEER_RULES) {
    const [covered, notes] = coverageCells(rule);
    lines.push(`| ${rule.tool} | \`${rule.id}\` | ${cell(rule.checks)} | ${covered} | ${notes} |`);
  }
  lines.push("", "Checks no peer makes:", "", "| What | Policies |", "|---|---|");
  for (const row of BEYOND_PEERS) {
    lines.push(`| ${cell(row.checks)} | ${row.policies.map((p) => `\`${p}\``).join("<br>")} |`);
  }
  return lines;
}

/** The README text for the given policies (default: the whole pack), before formatting. */
export function renderMarkdown(policies: Policy[] = allPolicies as Policy[]): string {
  const lines: string[] = [
    ...introLines(packageInfo(), policies),
    ...practiceTables(policies),
    ...coverageTable(),
    ...peerParity(),
    ...otherPolicies(policies),
    "",
  ];
  return lines.join("\n");
}

/** The pack's name and version, from its package.json. */
function packageInfo(): { name: string; version: string } {
  return JSON.parse(fs.readFileSync(path.resolve(__dirname, "..", "package.json"), "utf8")) as {
    name: string;
    version: string;
  };
}

/** The title, the pack's summary, how to use it, and the heading of the policy tables. */
function introLines(pkg: { name: string; version: string }, policies: Policy[]): string[] {
  const count = (level: string) => policies.filter((p) => p.enforcementLevel === level).length;
  return [
    `# ${pkg.name}`,
    "",
    "<!-- Generated by policy-pack/scripts/readme.ts from the policies' own metadata. Do not edit:",
    "     run `npm run readme` in this folder (a test checks it). -->",
    "",
    "CrossGuard policy pack for the AWS Well-Architected Serverless Lens, SEC1: *How do you control",
    "access to your serverless API?* It checks REST, HTTP and WebSocket APIs, AppSync, Cognito",
    "identity pools, Lambda function URLs, IAM policies and the logging and hardening SEC1 relies on.",
    "Values unknown during preview are never guessed at: a policy stays silent until they are known.",
    "",
    `Version ${pkg.version}: ${policies.length} policies, ${count("mandatory")} mandatory and ${count("advisory")} advisory by default.`,
    "",
    "**Levels.** Mandatory means a real exposure, judged on reach: who can get to which operation,",
    "function and data store (an open method or route, an API key beyond declared public reads,",
    "identity-pool guests whose role reaches an API, a function or data). Each such diagnostic names",
    "its path, e.g. `anyone on the internet → GET /orders (NONE) → function orders → table orders",
    "(GetItem, PutItem)`. Hardening that does not change who may call (endpoint type, stage",
    "throttling, logging, tracing, WAF) is advisory by default; set it to `mandatory` in the config",
    "to enforce it (see `config/org-policy-config.json`).",
    "",
    "## Use",
    "",
    "The pack is a folder with its own `package.json` and lock file. The Pulumi CLI runs it with",
    "Node.js (20.19 or later) whatever the language of the program it checks, so a Python or Go",
    "team needs no TypeScript of its own: install the pack's dependencies once, then name the",
    "folder on each preview or update.",
    "",
    "```sh",
    "# Once, in the pack's folder (a copy, a git submodule or the published package)",
    "cd policy-pack && npm ci --omit=dev   # its runtime dependencies, exactly as locked",
    "# In the program's folder (Python, Go, TypeScript, ...), with the org's levels and settings",
    "pulumi preview --policy-pack ../policy-pack \\",
    "  --policy-pack-config ../policy-pack/config/org-policy-config.json",
    "pulumi up --policy-pack ../policy-pack",
    "# Offline, with no cloud credentials (this repository's own TypeScript program)",
    "npm run preview:offline -- --stack dev --policy-pack policy-pack",
    "# Publish to the organization and enforce it on every stack of a policy group",
    "pulumi policy publish <org>",
    `pulumi policy enable <org>/${pkg.name} latest --config <file>`,
    "```",
    "",
    "The CLI runs `dist/index.js`, the pack compiled to one JavaScript file (a TypeScript `main` would",
    "be type-checked at every start). To change the pack, in its folder: `npm ci`, edit, `npm test`",
    "(type check and every test), `npm run build` (a test fails while the compiled file differs",
    "from the sources) and `npm run readme` (this file). A change of a policy's name, level or",
    "config schema needs a new `version` in `package.json`, an entry in `CHANGELOG.md` and",
    "`npm run fingerprint` (a test fails until then): a published version is never published again.",
    "",
    "The config file sets each policy's level (`advisory`, `mandatory`, `disabled`) and its keys:",
    "",
    "```json",
    '{ "sec1-a-rest-method-authorization": { "enforcementLevel": "mandatory", "exemptResources": ["health-*"] } }',
    "```",
    "",
    ...exemptionsSection(),
    "## Policies",
  ];
}

/** How findings are accepted: the forms, the org's settings (on every policy), the report. */
function exemptionsSection(): string[] {
  const settings = Object.entries(EXEMPTION_SETTINGS).map(
    ([key, p]) => `- \`${key}\` (default \`${JSON.stringify(p.default)}\`): ${p.description}`,
  );
  return [
    "## Exemptions",
    "",
    "A finding of one policy on one resource can be accepted, with a reason (at least 10",
    "characters), an optional `until` (YYYY-MM-DD) and an optional ticket. The pack still reports",
    "it, as advisory, with the first line `exempted: <reason>[, until <date>][, <ticket>]` before",
    "the original message. Three forms (the repository's docs/exemptions.md has examples):",
    "",
    "- in the org's policy config: `exemptions` of the policy, by URN or `project/stack/name` globs;",
    "- in a stack's program, on a resource with tags: `sec1:accept:<policy>` = reason, with",
    "  `sec1:accept:<policy>:until` and `sec1:accept:<policy>:ticket`; every policy sees these;",
    "- in a stack's program, for any resource: a component resource of type `sec1:policy:Exemption`",
    "  with inputs and registered outputs `{ policy, target: <URN>, reason, until?, ticket? }`. Stack",
    "  policies see it, and so do the policies on types without tags (routes, methods, Lambda",
    "  permissions, role policies, ...), which the pack runs over the stack for that reason; a",
    "  policy that checks only types with tags is given one resource at a time and sees its tags.",
    "",
    "Every policy also takes these settings, the org's rules for its exemptions:",
    "",
    ...settings,
    "",
    "A declaration that is expired, malformed or refused by these rules does not silence its",
    "finding and gets an advisory of the policy sec1-x-exemption-declarations; so does one that matches no",
    "finding. The older keys (`exemptResources`, `exemptRouteKeys`, `publicResources`,",
    "`publicFields`, `allowedPools`) still work; what they silence is listed as exempted too.",
    "",
  ];
}

/** One table of policies per SEC1 practice, in the practices' order. */
function practiceTables(policies: Policy[]): string[] {
  const lines: string[] = [];
  for (const [practice, title] of PRACTICES) {
    const group = policies.filter((p) => practiceOf(p) === practice);
    if (group.length === 0) continue;
    lines.push(
      "",
      `### ${practice}. ${title}`,
      "",
      "| Policy | Level | Severity | What it checks | Config (defaults) |",
      "|---|---|---|---|---|",
    );
    for (const p of group) {
      const name = p.url ? `[\`${p.name}\`](${p.url})` : `\`${p.name}\``;
      lines.push(
        `| ${name} | ${p.enforcementLevel ?? "advisory"} | ${p.severity ?? "-"} | ${cell(p.description)} | ${configCell(p)} |`,
      );
    }
  }
  return lines;
}

/** Every numbered check of the SEC1 catalogue and the policies that implement it. */
function coverageTable(): string[] {
  const lines: string[] = [];
  lines.push(
    "",
    "## Catalogue coverage",
    "",
    "Every numbered check of the SEC1 catalogue and the policies that implement it.",
    "",
    "| Check | What | Policies | Limits |",
    "|---|---|---|---|",
  );
  for (const row of COVERAGE) {
    lines.push(
      `| ${row.check} | ${cell(row.what)} | ${row.policies.map((p) => `\`${p}\``).join("<br>")} | ${cell(row.limits ?? "-")} |`,
    );
  }
  return lines;
}

/** The policies of no SEC1 practice, when there are any. */
function otherPolicies(policies: Policy[]): string[] {
  const lines: string[] = [];
  const others = policies.filter((p) => !PRACTICES.some(([k]) => k === practiceOf(p)));
  if (others.length > 0) {
    lines.push(
      "",
      "### Other",
      "",
      "| Policy | Level | Severity | What it checks | Config (defaults) |",
      "|---|---|---|---|---|",
    );
    for (const p of others) {
      lines.push(
        `| \`${p.name}\` | ${p.enforcementLevel ?? "advisory"} | ${p.severity ?? "-"} | ${cell(p.description)} | ${configCell(p)} |`,
      );
    }
  }
  return lines;
}

/**
 * The README as checked in: the markdown formatted with the repository's Prettier config, so
 * `npm run format` leaves it unchanged (and the drift test keeps passing).
 */
export async function renderReadme(policies?: Policy[]): Promise<string> {
  return formatMarkdown(README_PATH, renderMarkdown(policies));
}

if (require.main === module) {
  renderReadme().then(
    (text) => {
      fs.writeFileSync(README_PATH, text);
      console.log(`wrote ${path.relative(process.cwd(), README_PATH)}`);
    },
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
