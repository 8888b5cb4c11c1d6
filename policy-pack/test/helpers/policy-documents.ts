/**
 * Policy documents and requests shared by the policy-document tests of the pack and the oracle
 * cross-check beside the root's tests (which holds the AGPL oracle the pack never ships).
 */
import * as assert from "node:assert";
import { parsePolicyDocument, PolicyDocument, RequestContext } from "../../lib/policy-document";

export const API = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5";
export const ROLE = "arn:aws:iam::123456789012:role/loyalty-caller";
export const OTHER_ROLE = "arn:aws:iam::123456789012:role/other";
export const FOREIGN_ROLE = "arn:aws:iam::999999999999:role/outsider";
export const VPCE = "vpce-0123456789abcdef0";

export function doc(value: unknown): PolicyDocument {
  const parsed = parsePolicyDocument(value);
  assert.strictEqual(parsed.status, "ok", JSON.stringify(parsed));
  return (parsed as { document: PolicyDocument }).document;
}

/** The usual private-API gate: Allow * on the API, Deny unless from our VPC endpoint. */
export function gate(): Record<string, unknown> {
  return {
    Version: "2012-10-17",
    Statement: [
      { Effect: "Allow", Principal: "*", Action: "execute-api:Invoke", Resource: "execute-api:/*" },
      {
        Effect: "Deny",
        Principal: "*",
        Action: "execute-api:Invoke",
        Resource: "execute-api:/*",
        Condition: { StringNotEquals: { "aws:SourceVpce": VPCE } },
      },
    ],
  };
}

export function request(overrides: Partial<RequestContext> = {}): RequestContext {
  return {
    principal: { arn: ROLE },
    action: "execute-api:Invoke",
    resource: `${API}/prod/GET/loyalty/42`,
    context: { "aws:SourceVpce": VPCE },
    ...overrides,
  };
}
