/**
 * Which operations of an OpenAPI (or Swagger 2) body API Gateway imports without authentication.
 *
 * API Gateway enforces only the security schemes it understands: a scheme with an
 * `x-amazon-apigateway-authorizer` (Lambda, Cognito or JWT authorizer) or an
 * `x-amazon-apigateway-authtype` (`awsSigv4` for IAM, `cognito_user_pools`, `custom`), and
 * `x-amazon-apigateway-auth: { type: AWS_IAM }` on an operation. An `apiKey` scheme without those
 * is the API key, which is not authentication; other schemes are ignored on import. The security
 * requirements of an operation are alternatives: one that needs no identity opens the operation.
 * Bodies are JSON or YAML, as API Gateway imports both.
 */
import type { parse as ParseYaml } from "yaml";
import { asRecord, hasUnknown, isUnknownValue } from "./values";

const METHODS = [
  "get",
  "put",
  "post",
  "delete",
  "options",
  "head",
  "patch",
  "trace",
  "x-amazon-apigateway-any-method",
];
const AUTH_TYPES = new Set(["awssigv4", "cognito_user_pools", "custom", "jwt", "request", "token"]);

/** The verdict on a body: unknown (preview or unparsable) or the list of open operations. */
export type BodyVerdict =
  { kind: "unknown"; reason: string } | { kind: "known"; open: string[]; undecided: string[] };

function schemeAuthenticates(scheme: Record<string, unknown>): boolean {
  if (asRecord(scheme["x-amazon-apigateway-authorizer"])) return true;
  const authType = scheme["x-amazon-apigateway-authtype"];
  return typeof authType === "string" && AUTH_TYPES.has(authType.toLowerCase());
}

/** Whether an operation needs an identity: yes, no, or cannot tell. */
export type Requirement = "authenticated" | "open" | "undecided";

function requirementVerdict(
  requirement: unknown,
  schemes: Record<string, unknown> | undefined,
): Requirement {
  const names = asRecord(requirement);
  if (!names) return "undecided";
  const keys = Object.keys(names);
  if (keys.length === 0) return "open"; // `{}`: anonymous access is one of the alternatives
  let undecided = false;
  for (const key of keys) {
    const scheme = asRecord(schemes?.[key]);
    if (!scheme || hasUnknown(scheme)) undecided = true;
    else if (schemeAuthenticates(scheme)) return "authenticated";
  }
  return undecided ? "undecided" : "open";
}

function operationVerdict(
  operation: Record<string, unknown>,
  rootSecurity: unknown,
  schemes: Record<string, unknown> | undefined,
): Requirement {
  const auth = operation["x-amazon-apigateway-auth"];
  if (hasUnknown(auth) || hasUnknown(operation.security)) return "undecided";
  const authType = asRecord(auth)?.type;
  if (typeof authType === "string" && authType.toUpperCase() === "AWS_IAM") return "authenticated";
  const security = "security" in operation ? operation.security : rootSecurity;
  if (security === undefined || security === null) return "open";
  if (!Array.isArray(security)) return "undecided";
  if (security.length === 0) return "open";
  const verdicts = security.map((r) => requirementVerdict(r, schemes));
  if (verdicts.includes("open")) return "open";
  return verdicts.includes("undecided") ? "undecided" : "authenticated";
}

/** One operation of a body: its label, whether it needs an identity, and its Lambda target. */
export interface BodyOperation {
  /** Upper-case HTTP method ("ANY" for x-amazon-apigateway-any-method). */
  method: string;
  path: string;
  verdict: Requirement;
  /** True when IAM (SigV4) is one way in: x-amazon-apigateway-auth AWS_IAM or an awsSigv4 scheme. */
  iam: boolean;
  /** `x-amazon-apigateway-integration.uri`, when it is a known string. */
  integrationUri?: string;
}

/** A parsed body: its operations, or why it cannot be read. */
export type ParsedBody =
  { kind: "unknown"; reason: string } | { kind: "known"; operations: BodyOperation[] };

const parsedBodies = new Map<string, ParsedBody>();

let parseYaml: typeof ParseYaml | undefined;

/** yaml is loaded on the first YAML body only: most stacks have none, and the pack starts faster. */
function yamlParser(): typeof ParseYaml {
  parseYaml ??= (require("yaml") as typeof import("yaml")).parse;
  return parseYaml;
}

function parseDocument(body: string): Record<string, unknown> | undefined | "unreadable" {
  try {
    return asRecord(JSON.parse(body));
  } catch {
    // not JSON: API Gateway also imports YAML
  }
  try {
    return asRecord(yamlParser()(body, { maxAliasCount: 100 }));
  } catch {
    return "unreadable";
  }
}

function acceptsIam(
  operation: Record<string, unknown>,
  rootSecurity: unknown,
  schemes: Record<string, unknown> | undefined,
): boolean {
  const authType = asRecord(operation["x-amazon-apigateway-auth"])?.type;
  if (typeof authType === "string" && authType.toUpperCase() === "AWS_IAM") return true;
  const security = "security" in operation ? operation.security : rootSecurity;
  if (!Array.isArray(security)) return false;
  return security.some((r) =>
    Object.keys(asRecord(r) ?? {}).some((key) => {
      const type = asRecord(schemes?.[key])?.["x-amazon-apigateway-authtype"];
      return typeof type === "string" && type.toLowerCase() === "awssigv4";
    }),
  );
}

function operationsOf(doc: Record<string, unknown>): BodyOperation[] {
  const components = asRecord(doc.components);
  const schemes = asRecord(components?.securitySchemes) ?? asRecord(doc.securityDefinitions);
  const out: BodyOperation[] = [];
  for (const [path, item] of Object.entries(asRecord(doc.paths) ?? {})) {
    const pathItem = asRecord(item);
    if (!pathItem) continue;
    for (const m of METHODS) {
      const operation = asRecord(pathItem[m]);
      if (!operation) continue;
      const uri = asRecord(operation["x-amazon-apigateway-integration"])?.uri;
      out.push({
        method: m === "x-amazon-apigateway-any-method" ? "ANY" : m.toUpperCase(),
        path,
        verdict: operationVerdict(operation, doc.security, schemes),
        iam: acceptsIam(operation, doc.security, schemes),
        integrationUri: typeof uri === "string" && !hasUnknown(uri) ? uri : undefined,
      });
    }
  }
  return out;
}

/** Every operation of an OpenAPI `body` (JSON or YAML) with its verdict; parsed once per text. */
export function bodyOperations(body: unknown): ParsedBody {
  if (typeof body !== "string") return { kind: "unknown", reason: "the body is not a string" };
  if (isUnknownValue(body) && body.trim().length <= 36) {
    return { kind: "unknown", reason: "the body is unknown during preview" };
  }
  const cached = parsedBodies.get(body);
  if (cached) return cached;
  const doc = parseDocument(body);
  const result: ParsedBody =
    doc === "unreadable"
      ? { kind: "unknown", reason: "the body is neither JSON nor YAML" }
      : doc === undefined
        ? { kind: "unknown", reason: "the body is not an OpenAPI document" }
        : { kind: "known", operations: operationsOf(doc) };
  if (parsedBodies.size >= 100) parsedBodies.clear();
  parsedBodies.set(body, result);
  return result;
}

/**
 * The operations of an OpenAPI `body` that anyone can call. `exemptMethods` (lower case, e.g.
 * "options") are skipped; operations that cannot be judged (unknown values, references to
 * schemes that are not defined) are listed as undecided, never as open.
 */
export function openOperations(body: unknown, exemptMethods: string[]): BodyVerdict {
  const parsed = bodyOperations(body);
  if (parsed.kind === "unknown") return parsed;
  const exempt = new Set(exemptMethods.map((m) => m.toUpperCase()));
  const open: string[] = [];
  const undecided: string[] = [];
  for (const op of parsed.operations) {
    if (exempt.has(op.method)) continue;
    const label = `${op.method} ${op.path}`;
    if (op.verdict === "open") open.push(label);
    else if (op.verdict === "undecided") undecided.push(label);
  }
  return { kind: "known", open, undecided };
}
