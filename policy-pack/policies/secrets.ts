/**
 * SEC1 practice K, credentials where they can be read. A function's environment is returned to
 * anyone allowed `lambda:GetFunctionConfiguration`, and a stage's variables to anyone allowed to
 * read the API's configuration (both also land in the state file and the console). A key or token
 * placed there reaches everyone with read access to the configuration, not only the function.
 *
 * - sec1-k-literal-credentials (mandatory): values in an unmistakable credential format (AWS
 *   access key ids, private keys, well-known token formats, passwords inside URLs).
 * - sec1-k-environment-secrets (advisory): secret-looking values under secret-like names, and
 *   values taken from a resource that holds a credential (an API key's value, a secret version,
 *   a generated password...). The analyzer receives Pulumi secrets unwrapped, so a secret from
 *   config cannot be told from a literal: hence advisory, with the variable named.
 */
import * as aws from "@pulumi/aws";
import {
  Policies,
  PolicyResource,
  ResourceValidationPolicy,
  StackValidationPolicy,
  validateResourceOfType,
} from "@pulumi/policy";
import { sec1Metadata } from "../lib/metadata";
import {
  configSchema,
  exemptResourcesProperty,
  readConfig,
  stringListProperty,
} from "../lib/policy-config";
import { validateEachType } from "../lib/typed-validation";
import { matchesAnyGlob, ofType, rawProps, TYPES } from "../lib/stack-refs";
import { asRecord, isUnknownValue, nameOf } from "../lib/values";

const DOCS = {
  envSecrets:
    "https://docs.aws.amazon.com/secretsmanager/latest/userguide/retrieving-secrets_lambda.html",
};

/** Unmistakable credential formats, by what they are. */
const CREDENTIAL_FORMATS: [string, RegExp][] = [
  ["an AWS access key id", /\b(?:AKIA|ASIA)[A-Z2-7]{16}\b/],
  ["a private key", /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----/],
  ["a GitHub token", /\bgh[pousr]_[A-Za-z0-9]{36,}\b/],
  ["a Slack token", /\bxox[abposr]-[A-Za-z0-9-]{10,}/],
  ["a Stripe live key", /\b[rs]k_live_[A-Za-z0-9]{16,}\b/],
  ["a Google API key", /\bAIza[0-9A-Za-z_-]{35}\b/],
  ["a password inside a URL", /^[a-z][a-z0-9+.-]*:\/\/[^\s:@/]+:[^\s@/]+@/i],
];

/** What credential format a value has, if any. */
export function credentialFormat(value: string): string | undefined {
  return CREDENTIAL_FORMATS.find(([, re]) => re.test(value))?.[0];
}

/** Shannon entropy of a string, in bits per character. */
export function entropy(value: string): number {
  const counts = new Map<string, number>();
  for (const c of value) counts.set(c, (counts.get(c) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / value.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/**
 * True for a value that looks like a generated secret: 16+ characters without spaces, letters
 * and digits mixed, at least 3.5 bits of entropy per character, and not an ARN, a URL or a path.
 */
export function looksSecret(value: string): boolean {
  const v = value.trim();
  if (v.length < 16 || /\s/.test(v)) return false;
  if (/^(arn:|https?:\/\/|\/)/i.test(v)) return false;
  if (!/[A-Za-z]/.test(v) || !/[0-9]/.test(v)) return false;
  return entropy(v) >= 3.5;
}

/** The variables a resource exposes: a function's environment, a stage's variables. */
const VARIABLE_SOURCES: Record<string, { service: string; path: string[]; prop: string }> = {
  [TYPES.lambdaFunction]: {
    service: "Lambda Function",
    path: ["environment", "variables"],
    prop: "environment.variables",
  },
  [TYPES.restStage]: { service: "API Gateway Stage", path: ["variables"], prop: "variables" },
  [TYPES.httpStage]: {
    service: "API Gateway v2 Stage",
    path: ["stageVariables"],
    prop: "stageVariables",
  },
};

/** The known string variables of a resource of one of the VARIABLE_SOURCES types. */
function variablesOf(type: string, props: Record<string, unknown>): [string, string][] {
  const source = VARIABLE_SOURCES[type];
  if (!source) return [];
  let node: unknown = props;
  for (const key of source.path) node = asRecord(node)?.[key];
  const vars = asRecord(node) ?? {};
  return Object.entries(vars).filter(
    (e): e is [string, string] => typeof e[1] === "string" && !isUnknownValue(e[1]),
  );
}

/** Config of sec1-k-literal-credentials. */
export interface LiteralCredentialsArgs {
  /** Logical names of functions and stages exempt (`*` wildcards). Default: []. */
  exemptResources: string[];
}

const literalSchema = configSchema({
  exemptResources: exemptResourcesProperty("functions and stages exempt"),
});

function checkLiteral(type: string) {
  return (
    resource: unknown,
    args: { name?: unknown; urn?: unknown; getConfig?: <T extends object>() => T },
    report: (m: string) => void,
  ) => {
    const name = nameOf(args);
    if (
      matchesAnyGlob(name, readConfig<LiteralCredentialsArgs>(args, literalSchema).exemptResources)
    )
      return;
    const source = VARIABLE_SOURCES[type];
    for (const [key, value] of variablesOf(type, rawProps(resource))) {
      const format = credentialFormat(value);
      if (!format) continue;
      report(
        `${source.service} '${name}' must not hold credentials in ${source.prop}.${key}, which holds ${format} readable by anyone who may read its configuration; set ${key} to the name or ARN of a Secrets Manager secret and read it at run time.`,
      );
    }
  };
}

/** K: no credentials in function environments or stage variables. */
export const literalCredentials: ResourceValidationPolicy = {
  name: "sec1-k-literal-credentials",
  description:
    "Lambda environments and API stage variables must not hold credentials (AWS access keys, private keys, tokens, passwords in URLs): anyone who may read the function's or the stage's configuration can read them. Path guarded: whoever reads the configuration (lambda:GetFunctionConfiguration, apigateway:GET, the stack's state or source) holds the credential and reaches whatever it opens.",
  enforcementLevel: "mandatory",
  configSchema: literalSchema,
  ...sec1Metadata(
    "K",
    "critical",
    "Store the credential in AWS Secrets Manager (or SSM Parameter Store SecureString), pass only its name or ARN, grant the function `secretsmanager:GetSecretValue` on it, and rotate the exposed credential.",
    DOCS.envSecrets,
    ["secrets", "lambda", "api-gateway"],
  ),
  validateResource: validateEachType(
    validateResourceOfType(aws.lambda.Function, checkLiteral(TYPES.lambdaFunction)),
    validateResourceOfType(aws.apigateway.Stage, checkLiteral(TYPES.restStage)),
    validateResourceOfType(aws.apigatewayv2.Stage, checkLiteral(TYPES.httpStage)),
  ),
};

/** Resources that hold a credential, and the property that holds it. */
const CREDENTIAL_HOLDERS: Record<string, { what: string; prop: string }> = {
  [TYPES.apiKey]: { what: "API Gateway ApiKey", prop: "value" },
  [TYPES.appsyncApiKey]: { what: "AppSync ApiKey", prop: "key" },
  "aws:secretsmanager/secretVersion:SecretVersion": {
    what: "Secrets Manager SecretVersion",
    prop: "secretString",
  },
  "aws:iam/accessKey:AccessKey": { what: "IAM AccessKey", prop: "secret" },
  "aws:cognito/userPoolClient:UserPoolClient": {
    what: "Cognito UserPoolClient",
    prop: "clientSecret",
  },
  "random:index/randomPassword:RandomPassword": { what: "RandomPassword", prop: "result" },
  "aws:ssm/parameter:Parameter": { what: "SSM Parameter", prop: "value" },
};

/** Config of sec1-k-environment-secrets. */
export interface EnvironmentSecretsArgs {
  /** Name patterns (`*` wildcards, case-insensitive) of variables that hold secrets. */
  secretNames: string[];
  /** Logical names of functions and stages exempt (`*` wildcards). Default: []. */
  exemptResources: string[];
}

const environmentSchema = configSchema({
  secretNames: stringListProperty(
    ["*SECRET", "*PASSWORD", "*PASSWD", "*TOKEN", "*KEY", "*CREDENTIAL", "*CREDENTIALS"],
    "Name patterns (`*` wildcards, case-insensitive) of variables whose secret-looking values are reported.",
  ),
  exemptResources: exemptResourcesProperty("functions and stages exempt"),
});

/** The credential-holding resources an input of `r` came from. */
function holdersBehind(r: PolicyResource, prop: string): PolicyResource[] {
  const deps = asRecord(r.propertyDependencies)?.[prop];
  if (!Array.isArray(deps)) return [];
  return (deps as PolicyResource[]).filter((d) => d && CREDENTIAL_HOLDERS[d.type] !== undefined);
}

function holderValue(holder: PolicyResource): string | undefined {
  const v = rawProps(holder.props)[CREDENTIAL_HOLDERS[holder.type].prop];
  return typeof v === "string" && v !== "" && !isUnknownValue(v) ? v : undefined;
}

/** K (stack): no secrets in the environment, however they got there. */
export const environmentSecrets: StackValidationPolicy = {
  name: "sec1-k-environment-secrets",
  description:
    "Lambda environments and API stage variables should not carry secrets, even Pulumi secrets or generated keys: they are returned in clear to anyone allowed lambda:GetFunctionConfiguration or to read the stage, unlike a secret read at run time.",
  enforcementLevel: "advisory",
  configSchema: environmentSchema,
  ...sec1Metadata(
    "K",
    "medium",
    "Keep the secret in AWS Secrets Manager, pass its ARN in the environment and read it at run time (the Parameters and Secrets Lambda extension caches it); or drop it when the caller's identity already authorizes the call.",
    DOCS.envSecrets,
    ["secrets", "lambda", "api-gateway"],
  ),
  validateStack: (args, report) => {
    const config = readConfig<EnvironmentSecretsArgs>(args, environmentSchema);
    const holders = Object.keys(CREDENTIAL_HOLDERS).flatMap((t) => ofType(args.resources, t));
    for (const [type, source] of Object.entries(VARIABLE_SOURCES)) {
      for (const r of ofType(args.resources, type)) {
        const name = nameOf(r);
        if (matchesAnyGlob(name, config.exemptResources)) continue;
        const vars = variablesOf(type, rawProps(r.props));
        const behind = holdersBehind(r, source.path[0]);
        for (const [key, value] of vars) {
          if (credentialFormat(value)) continue; // sec1-k-literal-credentials reports it
          const holder =
            holders.find((h) => holderValue(h) === value) ??
            (matchesAnyGlob(key, config.secretNames)
              ? behind.find((h) => holderValue(h) === undefined)
              : undefined);
          const why = holder
            ? `the secret of ${CREDENTIAL_HOLDERS[holder.type].what} '${nameOf(holder)}'`
            : matchesAnyGlob(key, config.secretNames) && looksSecret(value)
              ? "a secret-looking value"
              : undefined;
          if (!why) continue;
          report(
            `${source.service} '${name}' should not carry ${why} in ${source.prop}.${key}, readable by anyone who may read its configuration; set ${key} to the ARN of a Secrets Manager secret and read it at run time.`,
            r.urn,
          );
        }
      }
    }
  },
};

/** Every policy of this file. */
export const policies: Policies = [literalCredentials, environmentSecrets];
