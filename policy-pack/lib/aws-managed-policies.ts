/**
 * AWS managed policies that reach an API, a function or a data store (or escalate identity), with
 * the statements that do it, so an attachment of one (aws.iam.RolePolicyAttachment,
 * Role.managedPolicyArns, ...) is judged like an inline document: by evaluation, not by name.
 * Copied from the AWS Managed Policy Reference
 * (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/); only the statements that
 * reach execute-api, appsync, lambda, a data store, iam, cognito-idp or sts are kept. A managed
 * policy listed in neither table grants what the pack cannot tell: a role that carries one has an
 * unknown reach, never an empty one.
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
  // The statements of each that reach what the pack follows (data, code, identity).
  ...fullAccess("AmazonDynamoDBFullAccess", ["dynamodb:*"]),
  ...fullAccess("AmazonDynamoDBReadOnlyAccess", [
    "dynamodb:BatchGetItem",
    "dynamodb:Describe*",
    "dynamodb:List*",
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:PartiQLSelect",
  ]),
  ...fullAccess("AmazonS3FullAccess", ["s3:*", "s3-object-lambda:*"]),
  ...fullAccess("AmazonS3ReadOnlyAccess", ["s3:Get*", "s3:List*", "s3:Describe*"]),
  ...fullAccess("AWSLambda_FullAccess", ["lambda:*"]),
  ...fullAccess("AWSLambda_ReadOnlyAccess", ["lambda:Get*", "lambda:List*"]),
  ...fullAccess("AWSLambdaRole", ["lambda:InvokeFunction"]),
  ...fullAccess("AmazonSQSFullAccess", ["sqs:*"]),
  ...fullAccess("AmazonSNSFullAccess", ["sns:*"]),
  ...fullAccess("AmazonKinesisFullAccess", ["kinesis:*"]),
  ...fullAccess("SecretsManagerReadWrite", ["secretsmanager:*"]),
  ...fullAccess("AWSAppSyncInvokeFullAccess", ["appsync:GraphQL", "appsync:GetGraphqlApi"]),
  ...fullAccess("AWSAppSyncAdministrator", ["appsync:*"]),
  ...fullAccess("AmazonAPIGatewayAdministrator", ["apigateway:*"]),
  ...fullAccess("AmazonCognitoPowerUser", ["cognito-identity:*", "cognito-idp:*"]),
  ...fullAccess("IAMFullAccess", ["iam:*"]),
  ...fullAccess("ReadOnlyAccess", [
    "dynamodb:BatchGet*",
    "dynamodb:Get*",
    "dynamodb:Query",
    "dynamodb:Scan",
    "s3:Get*",
    "s3:List*",
    "lambda:Get*",
    "lambda:List*",
  ]),
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

/**
 * AWS managed policies that reach nothing the pack follows (logs, traces, network interfaces,
 * metrics, events): carrying one leaves a role's reach known.
 */
const NO_REACH = new Set([
  "AWSLambdaBasicExecutionRole",
  "AWSLambdaVPCAccessExecutionRole",
  "AWSXrayWriteOnlyAccess",
  "AWSXRayDaemonWriteAccess",
  "CloudWatchLambdaInsightsExecutionRolePolicy",
  "AmazonAPIGatewayPushToCloudWatchLogs",
  "AWSAppSyncPushToCloudWatchLogs",
  "CloudWatchLogsFullAccess",
  "CloudWatchFullAccessV2",
  "CloudWatchEventsFullAccess",
  "AmazonEventBridgeFullAccess",
]);

/** One statement allowing `actions` on every resource. */
function fullAccess(name: string, actions: string[]): Record<string, object> {
  return {
    [name]: {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: actions, Resource: "*" }],
    },
  };
}

/** What a managed policy ARN names: an AWS managed policy (by name) or a customer one. */
export type ManagedPolicyRef =
  /** `known`: the pack knows what it grants (`document`, or nothing it follows). */
  | { kind: "aws"; name: string; document: object | undefined; known: boolean }
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
  const document = ALL_DOCUMENTS[m[1]];
  return { kind: "aws", name: m[1], document, known: document !== undefined || NO_REACH.has(m[1]) };
}
