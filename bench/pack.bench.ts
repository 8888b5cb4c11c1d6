/**
 * The policy pack's two costs, each against a baseline measured in the same run:
 *
 * 1. Start-up, spawn to port printed, started the way the CLI starts it (run-policy-pack), against
 *    a one-policy pack built the same way: its TypeScript compiled to one JavaScript `main` by
 *    esbuild with the SDKs external, as policy-pack/scripts/build.ts compiles ours, with the same
 *    imports (@pulumi/policy and @pulumi/aws). Target <= 1.3x.
 * 2. 5,000 resources (a realistic mix of the types the pack checks: REST APIs, resources,
 *    methods, stages, method settings, resource policies, HTTP APIs, JWT authorizers, routes,
 *    roles, role and managed policies, Lambda permissions, AppSync APIs, usage plans, API keys,
 *    VPC endpoints) through Analyze, one call per resource as the CLI does, then AnalyzeStack with
 *    all of them:
 *    - against the peer, Pulumi's AWSGuard pack (@pulumi/awsguard 0.3.1, a devDependency only)
 *      with every policy on at mandatory (`all: "mandatory"` sent as policy config, as the CLI
 *      would send the pack's initial config). Target <= 1.0x. AWSGuard checks no access control;
 *    - against a pack with one no-op policy, shown with no target: the SDK's share alone is
 *      about 1.4-1.6x. Split in two:
 *    - the SDK's share: a pack with our policies' names, levels, kinds and type tags but bodies
 *      that find nothing, against the one-policy pack. The analyzer server does work per policy
 *      and resource (a "not applicable" entry, a props copy, a copy of the stack per stack
 *      policy) that no pack with this many policies can avoid; no target either;
 *    - our own work: our pack against that shape pack. Target <= 1.15x.
 *    - what-if: our pack on a copy of @pulumi/policy whose AnalyzeStack deserializes the stack
 *      once and hands the same resource objects to every stack policy (the released server
 *      deserializes the whole stack again for each one). It shows what that upstream change
 *      would give, and is left out when the installed server no longer has the code it rewrites.
 * 3. The same with 20,000 resources, through our pack only, against its own 5,000 time in the
 *    same process (every other round): the access model and every stack policy must grow
 *    linearly. Target <= 4.4x.
 *
 * The packs start in a rotating order each round so a noisy neighbour hits all alike; each
 * figure is the median of the per-round ratios.
 */
import { buildSync } from "esbuild";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { AnalyzerResource, PackClient, PolicyConfig, startPack } from "../tools/analyzer-client";
import { Benchmark, Figure, pairedLowerIsBetter, pairedNoTarget } from "./figure";

const REPO = path.resolve(__dirname, "..");
const PACK = path.join(REPO, "policy-pack");
const STARTS = 7;
const RESOURCES = 5_000;
const LARGE = 20_000;

/** One no-op policy, TypeScript, the same imports as the real pack's policies. */
const ONE_POLICY_PACK = `import * as aws from "@pulumi/aws";
import { PolicyPack, validateResourceOfType } from "@pulumi/policy";

new PolicyPack("one-policy-baseline", {
  policies: [
    {
      name: "no-op",
      description: "Looks at every REST method and finds nothing.",
      enforcementLevel: "mandatory",
      validateResource: validateResourceOfType(aws.apigateway.Method, () => undefined),
    },
  ],
});
`;

/**
 * A pack folder in a temp dir: PulumiPolicy.yaml, a package.json whose `main` is dist/index.js,
 * and node_modules linked to the repository's (TypeScript and Node resolve modules by walking up
 * from the file). With `ownPolicySdk`, node_modules is a folder of links to the repository's
 * packages except @pulumi/policy, which is a copy of the repository's to be changed.
 */
function tempPack(name: string, ownPolicySdk = false): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${name}-`));
  fs.writeFileSync(path.join(dir, "PulumiPolicy.yaml"), "runtime: nodejs\n");
  fs.writeFileSync(
    path.join(dir, "package.json"),
    JSON.stringify({ name, version: "0.0.1", main: "dist/index.js" }),
  );
  const modules = path.join(REPO, "node_modules");
  if (!ownPolicySdk) {
    fs.symlinkSync(modules, path.join(dir, "node_modules"), "dir");
    return dir;
  }
  for (const scope of ["", "@pulumi"]) {
    fs.mkdirSync(path.join(dir, "node_modules", scope), { recursive: true });
    for (const entry of fs.readdirSync(path.join(modules, scope))) {
      if (entry.startsWith(".") || (scope === "" && entry === "@pulumi")) continue;
      const [from, to] = [
        path.join(modules, scope, entry),
        path.join(dir, "node_modules", scope, entry),
      ];
      if (scope === "@pulumi" && entry === "policy") fs.cpSync(from, to, { recursive: true });
      else fs.symlinkSync(from, to, "dir");
    }
  }
  return dir;
}

/** The peer: AWSGuard with every policy on; {@link PEER_CONFIG} makes each one mandatory. */
export function writeAwsGuardPack(): string {
  const dir = tempPack("awsguard-all-mandatory");
  fs.mkdirSync(path.join(dir, "dist"));
  fs.writeFileSync(
    path.join(dir, "dist", "index.js"),
    'const { AwsGuard } = require("@pulumi/awsguard");\nnew AwsGuard({ all: "mandatory" });\n',
  );
  return dir;
}

/**
 * The policy config the peer gets: every policy mandatory. AwsGuard's own initial config says
 * the same, but only a host that sends policy config applies it, so it is sent explicitly.
 */
export const PEER_CONFIG: Record<string, PolicyConfig> = { all: { enforcementLevel: "mandatory" } };

/** Writes the baseline pack, compiled like ours, in a temp dir. */
function writeBaselinePack(): string {
  const dir = tempPack("one-policy-baseline");
  fs.writeFileSync(path.join(dir, "index.ts"), ONE_POLICY_PACK);
  buildSync({
    absWorkingDir: dir,
    entryPoints: ["index.ts"],
    outfile: path.join(dir, "dist", "index.js"),
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    external: ["@pulumi/*"],
    logLevel: "silent",
  });
  return dir;
}

/**
 * The SDK's floor for a pack of our shape: every policy of ours with its name, level, kind
 * (resource or stack) and type tag, and a body that finds nothing. The analyzer server's own work
 * per policy (a "not applicable" entry per resource for a tagged resource policy, a props copy
 * per resource for an untagged one, a copy of the whole stack per stack policy) is all it costs.
 */
function writeShapePack(): string {
  const { allPolicies } =
    require("../policy-pack/policies") as typeof import("../policy-pack/policies");
  const specs = allPolicies.map((p) => {
    const stack = "validateStack" in p && p.validateStack !== undefined;
    const fn = (
      stack ? p.validateStack : (p as { validateResource?: unknown }).validateResource
    ) as {
      __pulumiType?: string;
    };
    return { name: p.name, level: p.enforcementLevel, stack, type: fn.__pulumiType ?? null };
  });
  const dir = tempPack("shape-baseline");
  fs.mkdirSync(path.join(dir, "dist"));
  fs.writeFileSync(
    path.join(dir, "dist", "index.js"),
    `const { PolicyPack } = require("@pulumi/policy");
const specs = ${JSON.stringify(specs)};
new PolicyPack("shape-baseline", {
  policies: specs.map((s) => {
    const noOp = () => undefined;
    if (s.type) noOp.__pulumiType = s.type;
    return { name: s.name, description: "finds nothing", enforcementLevel: s.level,
      [s.stack ? "validateStack" : "validateResource"]: noOp };
  }),
});
`,
  );
  return dir;
}

/**
 * The released analyzer server's AnalyzeStack rewritten to build the stack's resource objects
 * (deserialized props, options, provider, parent and dependency links) once per call, for the
 * first stack policy that runs, and to hand the same objects to every later one. Undefined when
 * the server no longer has the three pieces of code this rewrites.
 */
export function shareStackCopy(server: string): string | undefined {
  const start = server.indexOf("function makeAnalyzeStackRpcFun(");
  const list = "const resources = req.getResourcesList();";
  const build = "const intermediates = [];";
  const hand = /const args = \{\s*resources: intermediates\.map\(r => r\.resource\),/;
  const at = [list, build].map((piece) => server.indexOf(piece, start));
  if (start < 0 || at.some((i) => i < 0) || !hand.test(server.slice(at[1]))) return undefined;
  const head = server.slice(0, at[0]) + `${list}\n            let shared;`;
  const middle = server.slice(at[0] + list.length, at[1]) + `if (!shared) {\n${build}`;
  const tail = server
    .slice(at[1] + build.length)
    .replace(
      hand,
      "shared = intermediates.map((r) => r.resource);\n}\nconst args = {\nresources: shared,",
    );
  return head + middle + tail;
}

/** Our compiled pack on a copy of @pulumi/policy with {@link shareStackCopy}; see the header. */
export function writeSharedStackPack(): string | undefined {
  const released = path.join(REPO, "node_modules", "@pulumi", "policy", "server.js");
  const server = shareStackCopy(fs.readFileSync(released, "utf8"));
  if (!server) return undefined;
  const dir = tempPack("shared-stack", true);
  fs.writeFileSync(path.join(dir, "node_modules", "@pulumi", "policy", "server.js"), server);
  fs.mkdirSync(path.join(dir, "dist"));
  fs.copyFileSync(path.join(PACK, "dist", "index.js"), path.join(dir, "dist", "index.js"));
  return dir;
}

const REGION = "eu-west-1";
const ACCOUNT = "123456789012";
const STACK = "urn:pulumi:bench::sec1-api-platform::pulumi:pulumi:Stack::sec1-api-platform-bench";

/** Adds one resource to a synthetic stack, as the engine sends it; returns its URN. */
type Add = (
  type: string,
  name: string,
  properties: Record<string, unknown>,
  dependencies?: string[],
) => string;

/** A resource as the engine sends it to Analyze: parent the stack, the default AWS provider. */
function analyzerResource(
  type: string,
  name: string,
  properties: Record<string, unknown>,
  dependencies: string[],
): AnalyzerResource {
  const urn = `urn:pulumi:bench::sec1-api-platform::${type}::${name}`;
  return {
    urn,
    type,
    name,
    properties,
    parent: STACK,
    dependencies,
    propertyDependencies: Object.fromEntries(
      Object.keys(properties)
        .filter((k) => /Id$|^restApi$|^role$/.test(k))
        .map((k) => [k, dependencies]),
    ),
    provider: {
      type: "pulumi:providers:aws",
      name: "default_7_48_0",
      urn: "urn:pulumi:bench::sec1-api-platform::pulumi:providers:aws::default_7_48_0",
      properties: { region: REGION, version: "7.48.0" },
    },
    options: { protect: false, ignoreChanges: [], aliases: [], additionalSecretOutputs: [] },
  };
}

/** The names one unit's resources share: its REST API and HTTP API ids, endpoint, invoke ARN. */
interface Unit {
  u: number;
  api: string;
  vpce: string;
  exec: string;
  http: string;
}

/** Unit u's names: its number zero-padded into fixed-width ids. */
function unitOf(u: number): Unit {
  const api = `a${String(u).padStart(9, "0")}`;
  return {
    u,
    api,
    vpce: `vpce-0${String(u).padStart(16, "0")}`,
    exec: `arn:aws:execute-api:${REGION}:${ACCOUNT}:${api}`,
    http: `h${String(u).padStart(9, "0")}`,
  };
}

/** The unit's execute-api interface endpoint. */
function addEndpoint(add: Add, { u }: Unit): string {
  return add("aws:ec2/vpcEndpoint:VpcEndpoint", `u${u}-endpoint`, {
    vpcId: "vpc-0a1b2c3d4e5f60718",
    serviceName: `com.amazonaws.${REGION}.execute-api`,
    vpcEndpointType: "Interface",
    privateDnsEnabled: true,
    securityGroupIds: ["sg-0a1b2c3d4e5f60aaa"],
    subnetIds: ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"],
  });
}

/** The private REST API: API, resource policy (one role, this endpoint only), resource, methods. */
function addPrivateRestApi(add: Add, { u, api, vpce, exec }: Unit, vpceUrn: string): string {
  const policy = JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/u${u}-invoker` },
        Action: "execute-api:Invoke",
        Resource: `${exec}/v1/GET/loyalty/*`,
      },
      {
        Effect: "Deny",
        Principal: "*",
        Action: "execute-api:Invoke",
        Resource: `${exec}/*`,
        Condition: { StringNotEquals: { "aws:SourceVpce": vpce } },
      },
    ],
  });
  const apiUrn = add(
    "aws:apigateway/restApi:RestApi",
    `u${u}-loyalty`,
    {
      name: `u${u}-loyalty`,
      endpointConfiguration: { types: "PRIVATE", vpcEndpointIds: [vpce] },
    },
    [vpceUrn],
  );
  add("aws:apigateway/restApiPolicy:RestApiPolicy", `u${u}-policy`, { restApiId: api, policy }, [
    apiUrn,
  ]);
  const res = add(
    "aws:apigateway/resource:Resource",
    `u${u}-customer`,
    { restApi: api, parentId: "root", pathPart: "{customerId}" },
    [apiUrn],
  );
  for (const [m, auth] of [
    ["GET", "AWS_IAM"],
    ["POST", "AWS_IAM"],
    ["OPTIONS", "NONE"],
  ]) {
    add(
      "aws:apigateway/method:Method",
      `u${u}-${m.toLowerCase()}`,
      {
        restApi: api,
        resourceId: "res",
        httpMethod: m,
        authorization: auth,
        requestValidatorId: m === "POST" ? "val" : undefined,
      },
      [apiUrn, res],
    );
  }
  return apiUrn;
}

/** The REST API's stage (tracing, access logs) and its method settings (throttling, logging). */
function addRestStage(add: Add, { u, api }: Unit, apiUrn: string): void {
  const stageUrn = add(
    "aws:apigateway/stage:Stage",
    `u${u}-stage`,
    {
      restApi: api,
      stageName: "v1",
      deployment: "dep",
      xrayTracingEnabled: true,
      accessLogSettings: {
        destinationArn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:u${u}`,
        format: "{}",
      },
    },
    [apiUrn],
  );
  add(
    "aws:apigateway/methodSettings:MethodSettings",
    `u${u}-settings`,
    {
      restApi: api,
      stageName: "v1",
      methodPath: "*/*",
      settings: { throttlingRateLimit: 20, throttlingBurstLimit: 40, loggingLevel: "ERROR" },
    },
    [stageUrn],
  );
}

/** The public HTTP API: API, JWT authorizer, two routes behind it, a throttled logged stage. */
function addHttpApi(add: Add, { u, http }: Unit): void {
  const httpUrn = add("aws:apigatewayv2/api:Api", `u${u}-bookings`, {
    name: `u${u}-bookings`,
    protocolType: "HTTP",
  });
  add(
    "aws:apigatewayv2/authorizer:Authorizer",
    `u${u}-jwt`,
    {
      apiId: http,
      authorizerType: "JWT",
      identitySources: ["$request.header.Authorization"],
      jwtConfiguration: {
        issuer: "https://login.example.com/oauth2/default",
        audiences: ["api"],
      },
    },
    [httpUrn],
  );
  for (const key of ["GET /bookings", "POST /bookings"]) {
    add(
      "aws:apigatewayv2/route:Route",
      `u${u}-${key.split(" ")[0].toLowerCase()}-bookings`,
      { apiId: http, routeKey: key, authorizationType: "JWT", authorizerId: "jwt" },
      [httpUrn],
    );
  }
  add(
    "aws:apigatewayv2/stage:Stage",
    `u${u}-http-stage`,
    {
      apiId: http,
      name: "$default",
      autoDeploy: true,
      defaultRouteSettings: { throttlingRateLimit: 50, throttlingBurstLimit: 100 },
      accessLogSettings: {
        destinationArn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:h${u}`,
        format: "{}",
      },
    },
    [httpUrn],
  );
}

/** The IAM pieces: the invoker role, its inline and a managed grant, the function's permission. */
function addIam(add: Add, { u, exec, http }: Unit): void {
  const roleUrn = add("aws:iam/role:Role", `u${u}-invoker`, {
    assumeRolePolicy: JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Service: "lambda.amazonaws.com" },
          Action: "sts:AssumeRole",
        },
      ],
    }),
  });
  const grant = JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Effect: "Allow", Action: "execute-api:Invoke", Resource: `${exec}/v1/GET/loyalty/*` },
    ],
  });
  add("aws:iam/rolePolicy:RolePolicy", `u${u}-invoke`, { role: `u${u}-invoker`, policy: grant }, [
    roleUrn,
  ]);
  add("aws:iam/policy:Policy", `u${u}-managed`, { policy: grant });
  add("aws:lambda/permission:Permission", `u${u}-permission`, {
    action: "lambda:InvokeFunction",
    function: `u${u}-fn`,
    principal: "apigateway.amazonaws.com",
    sourceArn: `arn:aws:execute-api:${REGION}:${ACCOUNT}:${http}/*/*`,
  });
}

/** The AppSync API: user pool default, IAM additional, logs, no introspection, a depth limit. */
function addAppSyncApi(add: Add, { u }: Unit): void {
  add("aws:appsync/graphQLApi:GraphQLApi", `u${u}-graphql`, {
    name: `u${u}-graphql`,
    authenticationType: "AMAZON_COGNITO_USER_POOLS",
    userPoolConfig: {
      userPoolId: `${REGION}_abcdefghi`,
      awsRegion: REGION,
      defaultAction: "ALLOW",
    },
    additionalAuthenticationProviders: [{ authenticationType: "AWS_IAM" }],
    logConfig: {
      fieldLogLevel: "ERROR",
      cloudwatchLogsRoleArn: `arn:aws:iam::${ACCOUNT}:role/logs`,
    },
    introspectionConfig: "DISABLED",
    queryDepthLimit: 8,
  });
}

/** The usage plan on the REST stage (quotas), an API key and the key's membership of the plan. */
function addUsagePlan(add: Add, { u, api }: Unit): void {
  const planUrn = add("aws:apigateway/usagePlan:UsagePlan", `u${u}-plan`, {
    apiStages: [{ apiId: api, stage: "v1" }],
    throttleSettings: { rateLimit: 10, burstLimit: 20 },
    quotaSettings: { limit: 100000, period: "DAY" },
  });
  const keyUrn = add("aws:apigateway/apiKey:ApiKey", `u${u}-key`, { name: `u${u}-key` });
  add(
    "aws:apigateway/usagePlanKey:UsagePlanKey",
    `u${u}-plan-key`,
    { keyId: "key", keyType: "API_KEY", usagePlanId: "plan" },
    [planUrn, keyUrn],
  );
}

/**
 * A realistic stack of `count` resources: units of a private REST API, a public HTTP API, an
 * AppSync API and the IAM, usage-plan and network pieces around them, mostly compliant.
 */
export function syntheticStack(count: number): AnalyzerResource[] {
  const out: AnalyzerResource[] = [];
  const add: Add = (type, name, properties, dependencies = []) => {
    const resource = analyzerResource(type, name, properties, dependencies);
    out.push(resource);
    return resource.urn;
  };
  for (let u = 0; out.length < count; u++) {
    const unit = unitOf(u);
    const vpceUrn = addEndpoint(add, unit);
    const apiUrn = addPrivateRestApi(add, unit, vpceUrn);
    addRestStage(add, unit, apiUrn);
    addHttpApi(add, unit);
    addIam(add, unit);
    addAppSyncApi(add, unit);
    addUsagePlan(add, unit);
  }
  const stack: AnalyzerResource = {
    urn: STACK,
    type: "pulumi:pulumi:Stack",
    name: "sec1-api-platform-bench",
    properties: {},
  };
  // Undefined properties are dropped on the wire, as the engine drops them.
  return [stack, ...out.slice(0, count - 1)];
}

async function timeAnalysis(
  pack: PackClient,
  resources: AnalyzerResource[],
  config: Record<string, PolicyConfig> = {},
): Promise<number> {
  await pack.info();
  await pack.configure(config);
  await pack.configureStack({ stack: "bench", project: "sec1-api-platform", dryRun: true });
  const started = process.hrtime.bigint();
  for (const r of resources) await pack.analyze(r);
  await pack.analyzeStack(resources);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

type Which = "pack" | "shape" | "baseline" | "shared" | "peer";

interface Rounds {
  /** Start-up of our pack and the one-policy pack (no figure compares the shape pack's). */
  starts: Record<"pack" | "baseline", number[]>;
  analysis: Record<Which, number[]>;
  /** 20,000 resources through our pack, and the 5,000 time of the same round. */
  large: { ours: number[]; sameRound: number[] };
}

/** STARTS rounds; each starts the packs in a rotating order and times each analysis. */
async function measure(dirs: Partial<Record<Which, string>>): Promise<Rounds> {
  const resources = syntheticStack(RESOURCES);
  const large = syntheticStack(LARGE);
  const r: Rounds = {
    starts: { pack: [], baseline: [] },
    analysis: { pack: [], shape: [], baseline: [], shared: [], peer: [] },
    large: { ours: [], sameRound: [] },
  };
  const all = (Object.keys(dirs) as Which[]).filter((which) => dirs[which] !== undefined);
  for (let i = 0; i < STARTS; i++) {
    const order = [...all.slice(i % all.length), ...all.slice(0, i % all.length)];
    for (const which of order) {
      const client = await startPack(dirs[which] as string);
      try {
        if (which === "pack" || which === "baseline") r.starts[which].push(client.startupMs);
        const ms = await timeAnalysis(client, resources, which === "peer" ? PEER_CONFIG : {});
        r.analysis[which].push(ms);
        // Every other round (the largest cost of the benchmark): enough for a median.
        if (which === "pack" && i % 2 === 0) {
          r.large.ours.push(await timeAnalysis(client, large));
          r.large.sameRound.push(ms);
        }
      } finally {
        await client.stop();
      }
    }
  }
  return r;
}

/** Runs the rounds over our pack and the packs it is measured against, then removes those. */
async function measureAll(): Promise<Rounds> {
  const dirs = {
    pack: PACK,
    shape: writeShapePack(),
    baseline: writeBaselinePack(),
    shared: writeSharedStackPack(),
    peer: writeAwsGuardPack(),
  };
  try {
    return await measure(dirs);
  } finally {
    for (const dir of [dirs.shape, dirs.baseline, dirs.shared, dirs.peer]) {
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}

/** The figures of the 5,000-resource analysis: the target, then its split and the what-if. */
function analysisFigures(r: Rounds): Figure[] {
  const { pack, shape, baseline, shared, peer } = r.analysis;
  const figures = [
    pairedLowerIsBetter(
      `${RESOURCES} resources through Analyze + AnalyzeStack vs @pulumi/awsguard 0.3.1, every policy mandatory`,
      pack,
      peer,
      1.0,
      "ms",
    ),
    pairedNoTarget(
      `${RESOURCES} resources through Analyze + AnalyzeStack vs one no-op policy`,
      pack,
      baseline,
      "ms",
    ),
    pairedNoTarget(
      `  of which the SDK's share: our policies with no-op bodies vs one no-op policy`,
      shape,
      baseline,
      "ms",
    ),
    pairedLowerIsBetter(
      "  and our own work: our pack vs our policies with no-op bodies",
      pack,
      shape,
      1.15,
      "ms",
    ),
  ];
  if (shared.length > 0) {
    figures.push(
      pairedNoTarget(
        "  what-if: our pack on @pulumi/policy with one stack copy per AnalyzeStack (unreleased)",
        shared,
        baseline,
        "ms",
      ),
    );
  }
  return figures;
}

const bench: Benchmark = {
  name: "pack",
  async run(): Promise<Figure[]> {
    const r = await measureAll();
    return [
      pairedLowerIsBetter(
        "policy pack start, spawn to port, vs a one-policy pack compiled the same way",
        r.starts.pack,
        r.starts.baseline,
        1.3,
        "ms",
      ),
      ...analysisFigures(r),
      pairedLowerIsBetter(
        `${LARGE} resources through Analyze + AnalyzeStack vs ${RESOURCES} (linear growth)`,
        r.large.ours,
        r.large.sameRound,
        4.4,
        "ms",
      ),
    ];
  },
};

export default bench;
