/**
 * Runs the real program under the Pulumi SDK's mock engine and records what it registers.
 *
 * Used by the offline preview and by the tests. The mocks return realistic ids and ARNs for the
 * resource types the program uses (a VPC endpoint id looks like `vpce-0…`, a REST API id like
 * `a1b2c3d4e5`, ARNs carry the stack's region and a fixed test account), so outputs and the
 * policy pack see plausible values. Ids derive from a hash of type and name: runs are repeatable.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { SIG, SIG_ARCHIVE, SIG_ASSET, SIG_OUTPUT, SIG_RESOURCE, SIG_SECRET, UNKNOWN } from "./wire";

export { UNKNOWN };

/** The fixed AWS account the mocks pretend to deploy into. */
export const MOCK_ACCOUNT_ID = "123456789012";

/** The placeholder a `secure:` config value becomes offline; it is never decrypted. */
export const SECRET_PLACEHOLDER = "offline-preview-secret-placeholder";

/** One registered resource, as the engine (and the policy pack) sees it. */
export interface RegisteredResource {
  urn: string;
  type: string;
  name: string;
  custom: boolean;
  id: string | null;
  arn: string | null;
  parent: string | null;
  dependencies: string[];
  propertyDependencies: Record<string, string[]>;
  provider: string | null;
  /** Inputs in the engine's wire form (secrets, resource references and unknowns as signatures). */
  wireInputs: Record<string, unknown>;
  /** Outputs the mock returned, in wire form. */
  wireOutputs: Record<string, unknown>;
  /** What a component passed to `registerOutputs`, in wire form (undefined if it did not). */
  registeredOutputs?: Record<string, unknown>;
  /** Inputs made readable: references → the referenced id, secrets → "[secret]". */
  inputs: Record<string, unknown>;
  options: {
    protect: boolean;
    ignoreChanges: string[];
    deleteBeforeReplace: boolean;
    replaceOnChanges: string[];
    additionalSecretOutputs: string[];
    aliases: string[];
  };
}

/** What a run of the program produced. */
export interface ProgramRun {
  stack: string;
  project: string;
  resources: RegisteredResource[];
  /** The program's exports, resolved; secret values are "[secret]". */
  outputs: Record<string, unknown>;
  /** The same outputs with secrets revealed, for tests that check a secret's value exists. */
  rawOutputs: Record<string, unknown>;
  secretOutputs: string[];
}

export interface RunOptions {
  /** Folder with Pulumi.yaml and the program (default: the repository root). */
  projectDir?: string;
  stack: string;
  /** The `project:key` → string map, as the engine hands it to the program. */
  config: Record<string, string>;
  /**
   * Keys of `config` whose values are secret (the CLI tells the program, as here). Default: the
   * keys whose value holds the placeholder of a `secure:` value.
   */
  secretKeys?: string[];
  /** Run as a preview: outputs the mocks do not return are unknown. */
  preview?: boolean;
  /** Module to load (default `index.ts` in projectDir). */
  entry?: string;
  /**
   * Instead of loading a module, call this to build resources (tests of one component). What it
   * returns is treated like the module's exports.
   */
  program?: () => Record<string, unknown> | void;
  /** Extra per-type mock outputs, merged over the built-in ones (tests use this). */
  overrides?: (args: pulumi.runtime.MockResourceArgs) => Record<string, unknown> | undefined;
  /** Extra provider-function results, merged over the built-in ones (tests use this). */
  calls?: (args: pulumi.runtime.MockCallArgs) => Record<string, unknown> | undefined;
}

const hex = (seed: string, length: number) =>
  createHash("sha256").update(seed).digest("hex").slice(0, length);
const alnum = (seed: string, length: number) => {
  const chars = "abcdefghijklmnopqrstuvwxyz0123456789";
  const bytes = createHash("sha256").update(seed).digest();
  let out = "";
  for (let i = 0; i < length; i++) out += chars[bytes[i % bytes.length] % chars.length];
  return out;
};

/** What a per-type mock reads: the resource's seed, inputs, physical name and region. */
interface MockContext {
  args: pulumi.runtime.MockResourceArgs;
  seed: string;
  inputs: Record<string, any>;
  acct: string;
  region: string;
  physicalName: string;
  arnOf: (service: string, resource: string, withAccount?: boolean) => string;
  /** Outputs beyond the inputs, filled in by the mock. */
  state: Record<string, unknown>;
}

/** A per-type mock: fills `c.state` and returns the id (undefined keeps the default id). */
type TypeMock = (c: MockContext) => string | undefined;

/** A UUID-shaped id from a seed (WAF web ACLs, KMS keys). */
const uuidOf = (seed: string) =>
  hex(seed, 32).replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, "$1-$2-$3-$4-$5");

// Networking: the awsx VPC, endpoints, security groups and their rules.
const NETWORK_MOCKS: Record<string, TypeMock> = {
  "awsx:ec2:Vpc": ({ seed, inputs, arnOf, state }) => {
    const vpcId = `vpc-0${hex(seed, 16)}`;
    const azs = 2;
    const subnets = (kind: string) =>
      Array.from({ length: azs }, (_, i) => `subnet-0${hex(`${seed}:${kind}:${i}`, 16)}`);
    Object.assign(state, {
      vpcId,
      privateSubnetIds: subnets("private"),
      publicSubnetIds: subnets("public"),
      isolatedSubnetIds: [],
      vpc: {
        id: vpcId,
        cidrBlock: inputs.cidrBlock ?? "10.0.0.0/16",
        arn: arnOf("ec2", `vpc/${vpcId}`),
      },
    });
    return vpcId;
  },
  "aws:ec2/vpcEndpoint:VpcEndpoint": ({ seed, region, arnOf, state }) => {
    const id = `vpce-0${hex(seed, 16)}`;
    state.arn = arnOf("ec2", `vpc-endpoint/${id}`);
    state.dnsEntries = [
      {
        dnsName: `${id}-${alnum(seed, 8)}.execute-api.${region}.vpce.amazonaws.com`,
        hostedZoneId: "Z1YSHQZHG15GKL",
      },
    ];
    state.networkInterfaceIds = [`eni-0${hex(`${seed}:eni`, 16)}`];
    state.state = "available";
    return id;
  },
  "aws:ec2/securityGroup:SecurityGroup": ({ seed, arnOf, state }) => {
    const id = `sg-0${hex(seed, 16)}`;
    state.arn = arnOf("ec2", `security-group/${id}`);
    return id;
  },
  "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": securityGroupRule,
  "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": securityGroupRule,
};

/** Security group ingress and egress rules share their id and ARN shape. */
function securityGroupRule({ seed, arnOf, state }: MockContext): string {
  const id = `sgr-0${hex(seed, 16)}`;
  state.arn = arnOf("ec2", `security-group-rule/${id}`);
  return id;
}

/** A short alphanumeric id: the resources API Gateway ids that way. */
const shortId =
  (length: number): TypeMock =>
  ({ seed }) =>
    alnum(seed, length);

// API Gateway (REST): APIs, their parts, stages, keys and usage plans.
const REST_API_MOCKS: Record<string, TypeMock> = {
  "aws:apigateway/restApi:RestApi": ({ seed, region, arnOf, state }) => {
    const id = alnum(seed, 10);
    state.rootResourceId = alnum(`${seed}:root`, 10);
    state.executionArn = arnOf("execute-api", id);
    state.arn = `arn:aws:apigateway:${region}::/restapis/${id}`;
    state.createdDate = "2026-01-01T00:00:00Z";
    return id;
  },
  "aws:apigateway/resource:Resource": shortId(6),
  "aws:apigateway/requestValidator:RequestValidator": shortId(6),
  "aws:apigateway/model:Model": shortId(6),
  // Ids the AWS provider composes from the API, resource and method.
  "aws:apigateway/method:Method": ({ inputs }) =>
    `agm-${inputs.restApi}-${inputs.resourceId}-${inputs.httpMethod}`,
  "aws:apigateway/integration:Integration": ({ inputs }) =>
    `agi-${inputs.restApi}-${inputs.resourceId}-${inputs.httpMethod}`,
  "aws:apigateway/methodSettings:MethodSettings": ({ inputs }) =>
    `${inputs.restApi}-${inputs.stageName}-${inputs.methodPath}`,
  "aws:apigateway/usagePlanKey:UsagePlanKey": ({ inputs }) => String(inputs.keyId),
  "aws:apigateway/deployment:Deployment": shortId(6),
  "aws:apigateway/stage:Stage": ({ inputs, region, arnOf, state }) => {
    const apiId = String(inputs.restApi ?? "");
    state.arn = `arn:aws:apigateway:${region}::/restapis/${apiId}/stages/${inputs.stageName}`;
    state.invokeUrl = `https://${apiId}.execute-api.${region}.amazonaws.com/${inputs.stageName}`;
    state.executionArn = arnOf("execute-api", `${apiId}/${inputs.stageName}`);
    return `ags-${apiId}-${inputs.stageName}`;
  },
  "aws:apigateway/apiKey:ApiKey": ({ seed, inputs, region, state }) => {
    const id = alnum(seed, 10);
    state.arn = `arn:aws:apigateway:${region}::/apikeys/${id}`;
    // AWS generates the value when none is given.
    state.value = inputs.value ?? pulumi.secret(alnum(`${seed}:value`, 40));
    return id;
  },
  "aws:apigateway/usagePlan:UsagePlan": ({ seed, region, state }) => {
    const id = alnum(seed, 6);
    state.arn = `arn:aws:apigateway:${region}::/usageplans/${id}`;
    return id;
  },
};

// API Gateway v2 (HTTP and WebSocket): APIs, stages, authorizers, routes, integrations.
const V2_API_MOCKS: Record<string, TypeMock> = {
  "aws:apigatewayv2/api:Api": ({ seed, region, arnOf, state }) => {
    const id = alnum(seed, 10);
    state.apiEndpoint = `https://${id}.execute-api.${region}.amazonaws.com`;
    state.executionArn = arnOf("execute-api", id);
    state.arn = `arn:aws:apigateway:${region}::/apis/${id}`;
    return id;
  },
  "aws:apigatewayv2/stage:Stage": ({ inputs, region, arnOf, state }) => {
    const id = String(inputs.name ?? "$default");
    state.arn = `arn:aws:apigateway:${region}::/apis/${inputs.apiId}/stages/${id}`;
    state.executionArn = arnOf("execute-api", `${inputs.apiId}/${id}`);
    state.invokeUrl = `https://${inputs.apiId}.execute-api.${region}.amazonaws.com/${id === "$default" ? "" : id}`;
    return id;
  },
  "aws:apigatewayv2/authorizer:Authorizer": shortId(7),
  "aws:apigatewayv2/route:Route": shortId(7),
  "aws:apigatewayv2/integration:Integration": shortId(7),
};

// IAM, Lambda, logs, SSM and KMS: resources named by their physical name or a key id.
const COMPUTE_MOCKS: Record<string, TypeMock> = {
  "aws:lambda/permission:Permission": ({ seed, inputs }) =>
    String(inputs.statementId ?? `terraform-${hex(seed, 26)}`),
  "aws:iam/role:Role": ({ seed, inputs, acct, physicalName, state }) => {
    state.name = physicalName;
    state.arn = `arn:aws:iam::${acct}:role${inputs.path ?? "/"}${physicalName}`;
    state.uniqueId = `AROA${hex(seed, 17).toUpperCase()}`;
    return physicalName;
  },
  "aws:iam/policy:Policy": ({ inputs, acct, physicalName, state }) => {
    state.name = physicalName;
    state.arn = `arn:aws:iam::${acct}:policy${inputs.path ?? "/"}${physicalName}`;
    return state.arn as string;
  },
  "aws:iam/rolePolicy:RolePolicy": ({ inputs, physicalName, state }) => {
    state.name = physicalName;
    return `${inputs.role}:${physicalName}`;
  },
  "aws:lambda/function:Function": ({ region, physicalName, arnOf, state }) => {
    state.name = physicalName;
    state.arn = arnOf("lambda", `function:${physicalName}`);
    state.qualifiedArn = `${state.arn}:$LATEST`;
    state.invokeArn = `arn:aws:apigateway:${region}:lambda:path/2015-03-31/functions/${state.arn}/invocations`;
    state.version = "$LATEST";
    return physicalName;
  },
  "aws:cloudwatch/logGroup:LogGroup": ({ physicalName, arnOf, state }) => {
    state.name = physicalName;
    state.arn = arnOf("logs", `log-group:${physicalName}`);
    return physicalName;
  },
  "aws:ssm/parameter:Parameter": ({ physicalName, arnOf, state }) => {
    // A name with a path keeps its slashes: /a/b -> ...:parameter/a/b.
    state.name = physicalName;
    state.arn = arnOf("ssm", `parameter/${physicalName.replace(/^\//, "")}`);
    return physicalName;
  },
  "aws:kms/key:Key": ({ seed, arnOf, state }) => {
    const id = uuidOf(seed);
    state.arn = arnOf("kms", `key/${id}`);
    return id;
  },
};

// Cognito: user pools, clients, resource servers and domains.
const COGNITO_MOCKS: Record<string, TypeMock> = {
  "aws:cognito/userPool:UserPool": ({ seed, region, arnOf, state }) => {
    const id = `${region}_${alnum(seed, 9).replace(/^./, (c) => c.toUpperCase())}`;
    state.arn = arnOf("cognito-idp", `userpool/${id}`);
    state.endpoint = `cognito-idp.${region}.amazonaws.com/${id}`;
    return id;
  },
  "aws:cognito/userPoolClient:UserPoolClient": ({ seed, inputs, state }) => {
    if (inputs.generateSecret) state.clientSecret = pulumi.secret(alnum(`${seed}:secret`, 51));
    return alnum(seed, 26);
  },
  "aws:cognito/resourceServer:ResourceServer": ({ inputs, state }) => {
    state.scopeIdentifiers = ((inputs.scopes ?? []) as { scopeName: string }[]).map(
      (s) => `${inputs.identifier}/${s.scopeName}`,
    );
    return `${inputs.userPoolId}|${inputs.identifier}`;
  },
  "aws:cognito/userPoolDomain:UserPoolDomain": ({ seed, inputs, state }) => {
    state.cloudfrontDistribution = `d${alnum(seed, 13)}.cloudfront.net`;
    return String(inputs.domain);
  },
  // Identity pool ids are `<region>:<uuid>`.
  "aws:cognito/identityPool:IdentityPool": ({ seed, region, arnOf, state }) => {
    const id = `${region}:${uuidOf(seed)}`;
    state.arn = arnOf("cognito-identity", `identitypool/${id}`);
    return id;
  },
};

// S3: a bucket is named by its physical name; its ARN has neither region nor account.
const STORAGE_MOCKS: Record<string, TypeMock> = {
  "aws:s3/bucket:Bucket": ({ region, physicalName, state }) => {
    state.bucket = physicalName;
    state.arn = `arn:aws:s3:::${physicalName}`;
    state.region = region;
    state.bucketDomainName = `${physicalName}.s3.amazonaws.com`;
    state.bucketRegionalDomainName = `${physicalName}.s3.${region}.amazonaws.com`;
    return physicalName;
  },
};

// AppSync, DynamoDB and WAF.
const DATA_MOCKS: Record<string, TypeMock> = {
  "aws:appsync/graphQLApi:GraphQLApi": ({ seed, region, arnOf, state }) => {
    const id = alnum(seed, 26);
    state.arn = arnOf("appsync", `apis/${id}`);
    state.uris = {
      GRAPHQL: `https://${alnum(`${seed}:host`, 26)}.appsync-api.${region}.amazonaws.com/graphql`,
    };
    return id;
  },
  "aws:appsync/dataSource:DataSource": ({ inputs, arnOf, state }) => {
    state.arn = arnOf("appsync", `apis/${inputs.apiId}/datasources/${inputs.name}`);
    return `${inputs.apiId}-${inputs.name}`;
  },
  "aws:appsync/resolver:Resolver": ({ inputs, arnOf, state }) => {
    state.arn = arnOf(
      "appsync",
      `apis/${inputs.apiId}/types/${inputs.type}/resolvers/${inputs.field}`,
    );
    return `${inputs.apiId}-${inputs.type}-${inputs.field}`;
  },
  "aws:dynamodb/table:Table": ({ inputs, physicalName, arnOf, state }) => {
    state.name = physicalName;
    state.arn = arnOf("dynamodb", `table/${physicalName}`);
    // A stream's ARN ends with its creation time; a fixed one keeps previews reproducible.
    if (inputs.streamEnabled)
      state.streamArn = arnOf("dynamodb", `table/${physicalName}/stream/2026-01-01T00:00:00.000`);
    return physicalName;
  },
  "aws:wafv2/webAcl:WebAcl": ({ seed, physicalName, arnOf, state }) => {
    const uuid = uuidOf(seed);
    state.arn = arnOf("wafv2", `regional/webacl/${physicalName}/${uuid}`);
    return uuid;
  },
};

// Every per-type mock, by type. Other types (methods, routes, policies, permissions, ...) have no
// ARN in AWS: none is made up.
const TYPE_MOCKS = new Map<string, TypeMock>(
  Object.entries({
    ...NETWORK_MOCKS,
    ...REST_API_MOCKS,
    ...V2_API_MOCKS,
    ...COMPUTE_MOCKS,
    ...COGNITO_MOCKS,
    ...STORAGE_MOCKS,
    ...DATA_MOCKS,
  }),
);

/** Realistic ids and outputs per resource type, for the types the program uses. */
export function mockOutputs(
  args: pulumi.runtime.MockResourceArgs,
  region: string,
): { id: string; state: Record<string, unknown> } {
  const seed = `${args.type}::${args.name}`;
  const inputs = (args.inputs ?? {}) as Record<string, any>;
  const acct = MOCK_ACCOUNT_ID;
  const physicalName: string =
    inputs.name ??
    (inputs.namePrefix ? `${inputs.namePrefix}${hex(seed, 7)}` : `${args.name}-${hex(seed, 7)}`);
  const arnOf = (service: string, resource: string, withAccount = true) =>
    `arn:aws:${service}:${region}:${withAccount ? acct : ""}:${resource}`;
  const state: Record<string, unknown> = {};
  const mock = TYPE_MOCKS.get(args.type);
  const id =
    mock?.({ args, seed, inputs, acct, region, physicalName, arnOf, state }) ??
    `${args.name}-${hex(seed, 7)}`;
  return { id, state: { ...inputs, ...state } };
}

/** Mocked provider functions: the fixed account, the stack's region, the aws partition. */
export function mockCall(
  args: pulumi.runtime.MockCallArgs,
  region: string,
): Record<string, unknown> {
  switch (args.token) {
    case "aws:index/getCallerIdentity:getCallerIdentity":
      return {
        accountId: MOCK_ACCOUNT_ID,
        arn: `arn:aws:iam::${MOCK_ACCOUNT_ID}:user/offline-preview`,
        userId: "AIDAOFFLINEPREVIEW",
        id: MOCK_ACCOUNT_ID,
      };
    case "aws:index/getRegion:getRegion":
      return {
        name: region,
        region,
        id: region,
        description: region,
        endpoint: `ec2.${region}.amazonaws.com`,
      };
    case "aws:index/getPartition:getPartition":
      return {
        partition: "aws",
        dnsSuffix: "amazonaws.com",
        reverseDnsPrefix: "com.amazonaws",
        id: "aws",
      };
    case "aws:index/getAvailabilityZones:getAvailabilityZones":
      return {
        names: ["a", "b", "c"].map((z) => `${region}${z}`),
        zoneIds: ["1", "2", "3"].map((z) => `euw1-az${z}`),
        id: region,
      };
    case "aws:ec2/getVpc:getVpc":
      // A VPC set up for interface endpoints with private DNS (tests turn the attributes off).
      return {
        id: args.inputs.id,
        cidrBlock: "10.40.0.0/16",
        arn: `arn:aws:ec2:${region}:${MOCK_ACCOUNT_ID}:vpc/${args.inputs.id}`,
        enableDnsSupport: true,
        enableDnsHostnames: true,
      };
    case "aws:ec2/getVpcEndpoint:getVpcEndpoint":
      // The VPC's own execute-api Interface endpoint, with private DNS.
      return {
        id: args.inputs.id,
        vpcId: args.inputs.vpcId,
        serviceName: `com.amazonaws.${region}.execute-api`,
        vpcEndpointType: "Interface",
        privateDnsEnabled: true,
        state: "available",
      };
    default:
      return args.inputs;
  }
}

/** A value in the engine's wire form for a secret. */
export function wireSecret(value: unknown): Record<string, unknown> {
  return { [SIG]: SIG_SECRET, value };
}

/** Makes a wire value readable: references → id, secrets → "[secret]", assets summarised. */
export function readable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(readable);
  // A `secure:` config value the program read with `get` instead of `getSecret` is not marked
  // secret; it is still never printed (not even the placeholder standing in for it).
  if (typeof value === "string" && value.includes(SECRET_PLACEHOLDER)) return "[secret]";
  if (value === null || typeof value !== "object") return value;
  const obj = value as Record<string, unknown>;
  switch (obj[SIG]) {
    case SIG_SECRET:
      return "[secret]";
    case SIG_RESOURCE:
      return obj.id === undefined || obj.id === "" ? UNKNOWN : obj.id;
    case SIG_OUTPUT:
      return obj.secret ? "[secret]" : "value" in obj ? readable(obj.value) : UNKNOWN;
    case SIG_ASSET:
    case SIG_ARCHIVE: {
      const text = JSON.stringify(obj);
      return {
        archive: true,
        sha256: createHash("sha256").update(text).digest("hex").slice(0, 16),
        bytes: text.length,
      };
    }
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) out[k] = readable(v);
  return out;
}

async function settle(value: unknown): Promise<{ value: unknown; secret: boolean }> {
  if (pulumi.Output.isInstance(value)) {
    const out = value as pulumi.Output<unknown>;
    const [inner, secret] = await Promise.all([
      new Promise<unknown>((resolve) => out.apply((v) => resolve(v))),
      (out as unknown as { isSecret: Promise<boolean> }).isSecret,
    ]);
    const known = await (out as unknown as { isKnown: Promise<boolean> }).isKnown;
    const settled = await settle(known ? inner : UNKNOWN);
    return { value: settled.value, secret: secret || settled.secret };
  }
  if (Array.isArray(value)) {
    const items = await Promise.all(value.map(settle));
    return { value: items.map((i) => i.value), secret: items.some((i) => i.secret) };
  }
  if (value !== null && typeof value === "object" && !pulumi.Resource.isInstance(value)) {
    const out: Record<string, unknown> = {};
    let secret = false;
    for (const [k, v] of Object.entries(value)) {
      const s = await settle(v);
      out[k] = s.value;
      secret = secret || s.secret;
    }
    return { value: out, secret };
  }
  return { value, secret: false };
}

/**
 * The entry module is evaluated afresh for each run (its top level builds the stack). Components,
 * config and the SDK stay cached: they only define classes and functions, so a second run
 * reuses them instead of transpiling every file again.
 */
function forgetEntryModule(entry: string) {
  delete require.cache[require.resolve(entry)];
}

/**
 * Runs the program once under the SDK's mock engine with the given config and returns every
 * registered resource (with parent, dependencies and options) and the resolved outputs.
 * A program that throws (bad config, a validation error) rejects with that error.
 */
export async function runProgram(opts: RunOptions): Promise<ProgramRun> {
  const projectDir = path.resolve(opts.projectDir ?? path.join(__dirname, ".."));
  const project = readProjectName(projectDir);
  const region = opts.config["aws:region"] ?? "us-east-1";
  // Without an explicit list, the keys loadStackConfig filled from `secure:` values are secret.
  const secretKeys =
    opts.secretKeys ??
    Object.keys(opts.config).filter((k) => opts.config[k].includes(SECRET_PLACEHOLDER));
  pulumi.runtime.setAllConfig(opts.config, secretKeys);

  const captured: Promise<RegisteredResource | undefined>[] = [];
  await installMocks(opts, project, region);
  const monitor = pulumi.runtime.getMonitor() as any;
  captureRegistrations(monitor, captured);
  const registeredOutputs = captureRegisteredOutputs(monitor);
  const withOutputs = (resources: RegisteredResource[]) =>
    resources.map((r) =>
      registeredOutputs.has(r.urn) ? { ...r, registeredOutputs: registeredOutputs.get(r.urn) } : r,
    );

  const programExports = await loadProgram(opts, projectDir, captured);
  const { outputs, rawOutputs, secretOutputs } = await settleExports(programExports);
  await waitForRPCs();
  const resources = withOutputs(await registered(captured));
  return { stack: opts.stack, project, resources, outputs, rawOutputs, secretOutputs };
}

/** Points the SDK at the mock engine: per-type outputs (with the caller's overrides) and calls. */
async function installMocks(opts: RunOptions, project: string, region: string) {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        const base = mockOutputs(args, region);
        const extra = opts.overrides?.(args);
        return {
          id: base.id,
          state: { ...base.state, ...(extra ?? {}) },
        } as pulumi.runtime.MockResourceResult;
      },
      call: (args) => ({ ...mockCall(args, region), ...(opts.calls?.(args) ?? {}) }),
    },
    project,
    opts.stack,
    opts.preview ?? false,
  );
}

/** Wraps the mock monitor's registerResource so each registration is recorded as it completes. */
function captureRegistrations(monitor: any, captured: Promise<RegisteredResource | undefined>[]) {
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: any, callback: (err: unknown, resp: any) => void) => {
    let done!: (r: RegisteredResource | undefined) => void;
    captured.push(new Promise((resolve) => (done = resolve)));
    register(req, (err: unknown, resp: any) => {
      done(err || !resp ? undefined : registeredResource(req, resp));
      callback(err, resp);
    });
  };
}

/** One registration (the engine's request and the mock's response) as a RegisteredResource. */
function registeredResource(req: any, resp: any): RegisteredResource {
  const wireInputs = (req.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>;
  const wireOutputs = (resp.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>;
  const propertyDependencies: Record<string, string[]> = {};
  req.getPropertydependenciesMap().forEach((deps: any, key: string) => {
    propertyDependencies[key] = deps.getUrnsList();
  });
  const arn = wireOutputs.arn;
  return {
    urn: resp.getUrn(),
    type: req.getType(),
    name: req.getName(),
    custom: req.getCustom(),
    id: req.getCustom() ? resp.getId() || null : null,
    arn: typeof arn === "string" ? arn : null,
    parent: req.getParent() || null,
    dependencies: req.getDependenciesList(),
    propertyDependencies,
    provider: req.getProvider() || null,
    wireInputs,
    wireOutputs,
    inputs: readable(wireInputs) as Record<string, unknown>,
    options: {
      protect: req.getProtect?.() ?? false,
      ignoreChanges: req.getIgnorechangesList?.() ?? [],
      deleteBeforeReplace: req.getDeletebeforereplace?.() ?? false,
      replaceOnChanges: req.getReplaceonchangesList?.() ?? [],
      additionalSecretOutputs: req.getAdditionalsecretoutputsList?.() ?? [],
      aliases: (req.getAliasesList?.() ?? []).map((a: any) => a.getUrn?.() ?? ""),
    },
  };
}

// A component's `registerOutputs` reaches the engine separately; the engine's state (and so
// AnalyzeStack) holds those as the component's outputs.
function captureRegisteredOutputs(monitor: any): Map<string, Record<string, unknown>> {
  const registeredOutputs = new Map<string, Record<string, unknown>>();
  const registerOutputs = monitor.registerResourceOutputs.bind(monitor);
  monitor.registerResourceOutputs = (req: any, callback: (err: unknown, resp: any) => void) => {
    registeredOutputs.set(
      req.getUrn(),
      (req.getOutputs()?.toJavaScript() ?? {}) as Record<string, unknown>,
    );
    registerOutputs(req, callback);
  };
  return registeredOutputs;
}

/** Waits until every RPC to the mock engine has finished. */
async function waitForRPCs(): Promise<void> {
  await (pulumi.runtime as unknown as { waitForRPCs: () => Promise<void> }).waitForRPCs();
}

/** The registrations that succeeded, in the order they were made. */
async function registered(
  captured: Promise<RegisteredResource | undefined>[],
): Promise<RegisteredResource[]> {
  return (await Promise.all(captured)).filter((r): r is RegisteredResource => r !== undefined);
}

/**
 * Runs the program (the `program` callback or the entry module) and returns its exports; a
 * program that throws rejects with its error, carrying what had been registered before.
 */
async function loadProgram(
  opts: RunOptions,
  projectDir: string,
  captured: Promise<RegisteredResource | undefined>[],
): Promise<Record<string, unknown>> {
  // Not named `exports`: in CommonJS output that would shadow this module's own exports, which
  // the compiled code reads its exported constants from (SECRET_PLACEHOLDER was undefined here).
  let programExports: Record<string, unknown>;
  try {
    if (opts.program) {
      programExports = opts.program() ?? {};
    } else {
      const entry = path.resolve(projectDir, opts.entry ?? "index.ts");
      forgetEntryModule(entry);
      programExports = require(entry);
    }
  } catch (err) {
    // Tell callers what had been registered before the program failed (bad config must leave
    // nothing behind), keeping the original error for its message.
    await waitForRPCs();
    const resources = await registered(captured);
    if (err && typeof err === "object") {
      Object.defineProperty(err, "registeredResources", { value: resources, enumerable: false });
    }
    throw err;
  }
  return programExports;
}

/** The program's exports resolved as stack outputs, secrets redacted in `outputs`. */
async function settleExports(
  programExports: Record<string, unknown>,
): Promise<Pick<ProgramRun, "outputs" | "rawOutputs" | "secretOutputs">> {
  const outputs: Record<string, unknown> = {};
  const rawOutputs: Record<string, unknown> = {};
  const secretOutputs: string[] = [];
  for (const [key, value] of Object.entries(programExports)) {
    if (key === "__esModule" || typeof value === "function") continue;
    const s = await settle(value);
    // Like the engine, a stack output whose value is undefined is not an output.
    if (s.value === undefined) continue;
    const secret = s.secret || JSON.stringify(s.value ?? null).includes(SECRET_PLACEHOLDER);
    rawOutputs[key] = s.value;
    outputs[key] = secret ? "[secret]" : s.value;
    if (secret) secretOutputs.push(key);
  }
  return { outputs, rawOutputs, secretOutputs };
}

function readProjectName(projectDir: string): string {
  const doc = YAML.parse(fs.readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8")) as {
    name: string;
  };
  return doc.name;
}

/** The resources a failed run had registered before it threw (see {@link runProgram}). */
export function registeredBeforeFailure(err: unknown): RegisteredResource[] | undefined {
  return err && typeof err === "object"
    ? (err as { registeredResources?: RegisteredResource[] }).registeredResources
    : undefined;
}

/** Raised for a stack that has no Pulumi.<stack>.yaml or an unreadable one. */
export class StackError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StackError";
  }
}

/**
 * Loads Pulumi.<stack>.yaml the way the CLI hands config to a program: keys are
 * project-qualified, structured values become JSON, Pulumi.yaml defaults fill unset project keys,
 * and `secure:` values are replaced by a placeholder (never decrypted). Returns the config map
 * and the keys that are secret.
 */
export function loadStackConfig(
  stack: string,
  projectDir = path.join(__dirname, ".."),
  stackFile?: string,
): { config: Record<string, string>; secretKeys: string[] } {
  if (!/^[A-Za-z0-9_.-]+$/.test(stack)) throw new StackError(`invalid stack name '${stack}'`);
  const file = stackFile ?? path.join(projectDir, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(file)) {
    const known = fs
      .readdirSync(projectDir)
      .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
      .filter((s): s is string => !!s);
    throw new StackError(
      `no stack '${stack}': Pulumi.${stack}.yaml does not exist (stacks: ${known.join(", ")})`,
    );
  }
  let doc: { config?: Record<string, unknown> } | null;
  let projectDoc: { name: string; config?: Record<string, { default?: unknown } | unknown> };
  try {
    doc = YAML.parse(fs.readFileSync(file, "utf8"));
    projectDoc = YAML.parse(fs.readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8"));
  } catch (err) {
    throw new StackError(`cannot read ${path.basename(file)}: ${(err as Error).message}`);
  }
  const project = projectDoc.name;
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [key, decl] of Object.entries(projectDoc.config ?? {})) {
    const qualified = key.includes(":") ? key : `${project}:${key}`;
    if (decl !== null && typeof decl === "object" && "default" in decl) {
      config[qualified] = encode((decl as { default: unknown }).default);
    }
  }
  for (const [key, value] of Object.entries(doc?.config ?? {})) {
    const qualified = key.includes(":") ? key : `${project}:${key}`;
    // Like the CLI, a key is secret when its value, or any value nested in it, is `secure:`.
    const { value: plain, secure } = withoutCiphertexts(value);
    config[qualified] = encode(plain);
    if (secure) secretKeys.push(qualified);
  }
  return { config, secretKeys };
}

const isSecure = (value: unknown): boolean =>
  value !== null &&
  typeof value === "object" &&
  !Array.isArray(value) &&
  Object.keys(value).length === 1 &&
  typeof (value as { secure?: unknown }).secure === "string";

/** Replaces every `{ secure: <ciphertext> }` in a config value by the placeholder. */
export function withoutCiphertexts(value: unknown): { value: unknown; secure: boolean } {
  if (isSecure(value)) return { value: SECRET_PLACEHOLDER, secure: true };
  if (Array.isArray(value)) {
    const items = value.map(withoutCiphertexts);
    return { value: items.map((i) => i.value), secure: items.some((i) => i.secure) };
  }
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    let secure = false;
    for (const [k, v] of Object.entries(value)) {
      const item = withoutCiphertexts(v);
      out[k] = item.value;
      secure = secure || item.secure;
    }
    return { value: out, secure };
  }
  return { value, secure: false };
}

function encode(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}
