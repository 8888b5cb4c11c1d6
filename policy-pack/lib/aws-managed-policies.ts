/**
 * AWS managed policies that allow execute-api:Invoke, with the statements that do it, so an
 * attachment of one (aws.iam.RolePolicyAttachment, Role.managedPolicyArns, ...) is judged like an
 * inline document: by evaluation, not by name. Copied from the AWS Managed Policy Reference
 * (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/); only the statements that
 * reach execute-api are kept. Managed policies not listed here do not grant execute-api:Invoke.
 */
import { hasUnknown } from "./values";

const ALL_DOCUMENTS: Record<string, object> = {
  // "Provides full access to invoke APIs in Amazon API Gateway."
  AmazonAPIGatewayInvokeFullAccess: {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Action: ["execute-api:Invoke", "execute-api:ManageConnections"],
        Resource: "arn:aws:execute-api:*:*:*",
      },
    ],
  },
  AdministratorAccess: {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }],
  },
  PowerUserAccess: {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        NotAction: ["iam:*", "organizations:*", "account:*"],
        Resource: "*",
      },
    ],
  },
};

/** What a managed policy ARN names: an AWS managed policy (by name) or a customer one. */
export type ManagedPolicyRef =
  | { kind: "aws"; name: string; document: object | undefined }
  | { kind: "customer" }
  | { kind: "unknown" };

/**
 * Reads a policy ARN: `arn:<partition>:iam::aws:policy/[<path>/]<name>` is AWS managed (with its
 * invoke-granting document when it has one), any other ARN is the customer's (its aws.iam.Policy
 * is checked on its own), an unknown value is unknown.
 */
export function managedPolicy(arn: unknown): ManagedPolicyRef {
  if (typeof arn !== "string" || hasUnknown(arn)) return { kind: "unknown" };
  const m = /^arn:[^:]+:iam::aws:policy\/(?:.*\/)?([^/]+)$/.exec(arn);
  if (!m) return { kind: "customer" };
  return { kind: "aws", name: m[1], document: ALL_DOCUMENTS[m[1]] };
}
