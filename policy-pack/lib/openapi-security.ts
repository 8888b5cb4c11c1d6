/**
 * Which operations of an OpenAPI (or Swagger 2) body API Gateway imports without authentication.
 *
 * API Gateway enforces only the security schemes it understands: a scheme with an
 * `x-amazon-apigateway-authorizer` (Lambda, Cognito or JWT authorizer) or an
 * `x-amazon-apigateway-authtype` (`awsSigv4` for IAM, `cognito_user_pools`, `custom`), and
 * `x-amazon-apigateway-auth: { type: AWS_IAM }` on an operation. An `apiKey` scheme without those
 * is the API key, which is not authentication; other schemes are ignored on import. The security
 * requirements of an operation are alternatives: one that needs no identity opens the operation.
 */
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

type Requirement = "authenticated" | "open" | "undecided";

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

/**
 * The operations of an OpenAPI `body` that anyone can call. `exemptMethods` (lower case, e.g.
 * "options") are skipped; operations that cannot be judged (unknown values, references to
 * schemes that are not defined) are listed as undecided, never as open.
 */
export function openOperations(body: unknown, exemptMethods: string[]): BodyVerdict {
  if (typeof body !== "string") {
    return { kind: "unknown", reason: "the body is not a string" };
  }
  if (isUnknownValue(body) && body.trim().length <= 36) {
    return { kind: "unknown", reason: "the body is unknown during preview" };
  }
  let doc: Record<string, unknown> | undefined;
  try {
    doc = asRecord(JSON.parse(body));
  } catch {
    return { kind: "unknown", reason: "the body is not JSON (YAML bodies are not evaluated)" };
  }
  if (!doc) return { kind: "unknown", reason: "the body is not an OpenAPI document" };
  const components = asRecord(doc.components);
  const schemes = asRecord(components?.securitySchemes) ?? asRecord(doc.securityDefinitions);
  const exempt = new Set(exemptMethods.map((m) => m.toLowerCase()));
  const open: string[] = [];
  const undecided: string[] = [];
  for (const [path, item] of Object.entries(asRecord(doc.paths) ?? {})) {
    const pathItem = asRecord(item);
    if (!pathItem) continue;
    for (const method of METHODS) {
      const operation = asRecord(pathItem[method]);
      if (!operation || exempt.has(method)) continue;
      const label = `${method === "x-amazon-apigateway-any-method" ? "ANY" : method.toUpperCase()} ${path}`;
      const verdict = operationVerdict(operation, doc.security, schemes);
      if (verdict === "open") open.push(label);
      else if (verdict === "undecided") undecided.push(label);
    }
  }
  return { kind: "known", open, undecided };
}
