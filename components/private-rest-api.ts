/**
 * A PRIVATE REST API reachable only through one interface VPC endpoint, callable only by the
 * invoker roles of its internal callers (SigV4, `AWS_IAM` on every method), metered by API keys
 * and usage plans, with a throttled, logged and traced stage.
 */
import { createHash } from "crypto";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { assertValidArgs, logRetentionProblems } from "./args";
import {
  InvokerPrincipal,
  InvokerRole,
  invokeArns,
  parseRoute,
  ParsedRoute,
  validateInvokerRoleArgs,
} from "./invoker-role";
import { autonameProblems, NAME_LIMITS } from "./names";
import {
  ApiKeyParameter,
  throttleProblems,
  UsagePlans,
  UsagePlanTier,
  validateUsagePlanTiers,
} from "./usage-plans";

/** One route of the API and how its requests are validated. */
export interface PrivateRouteSpec {
  /** "METHOD /path", e.g. `POST /orders/{orderId}/items`. Path parameters are required. */
  route: string;
  /**
   * JSON Schema (draft 4) of the JSON request body; API Gateway rejects bodies that do not match
   * with 400 before the function runs. Required for POST, PUT and PATCH.
   */
  bodySchema?: Record<string, unknown>;
  /** Query-string parameters the request must carry. */
  requiredQueryParameters?: string[];
}

/** One internal caller: who it is, what it may call, and the tier that meters it. */
export interface PrivateApiCaller {
  /** The caller's name (lowercase, 3-40 letters, digits and dashes): names its role and key. */
  name: string;
  /** Who assumes the caller's invoker role: a service, an account or a role. */
  principal: InvokerPrincipal;
  /** The routes granted, as "METHOD /path"; each one of the API's routes. */
  routes: string[];
  /** The name of its usage-plan tier among `usagePlans`. */
  usagePlan: string;
}

/** The Lambda function behind every route (proxy integration). */
export interface LambdaTarget {
  /** The function's ARN. */
  functionArn: pulumi.Input<string>;
  /** The function's API Gateway invoke ARN (`arn:...:apigateway:...:lambda:path/.../invocations`). */
  invokeArn: pulumi.Input<string>;
  /** The function's name (for the invoke permission). */
  functionName: pulumi.Input<string>;
}

export interface PrivateRestApiArgs {
  /** What the API is for, shown in the console. */
  description?: string;
  /** The routes, each with its request validation. */
  routes: PrivateRouteSpec[];
  /** The function every route invokes. */
  target: LambdaTarget;
  /** The execute-api interface endpoint (`vpce-...`) the API is bound to and reachable through. */
  vpcEndpointId: pulumi.Input<string>;
  /** The stage name, e.g. `v1`. */
  stageName: string;
  /** Stage-wide throttle for every method (`*\/*`). */
  throttle: { rateLimit: number; burstLimit: number };
  /** Execution logging level of every method. */
  loggingLevel: "OFF" | "ERROR" | "INFO";
  /** Log full requests and responses (never in prod). */
  dataTraceEnabled: boolean;
  /** Retention of the access and execution log groups, in days. */
  logRetentionDays: number;
  /** The internal callers: one invoker role and one API key each. */
  callers: PrivateApiCaller[];
  /** The usage-plan tiers callers are metered by. */
  usagePlans: UsagePlanTier[];
  /**
   * Set the region-wide API Gateway account setting (the CloudWatch role execution logging
   * needs). Default true; turn off when another stack in the account and region manages it.
   */
  manageAccountCloudWatchRole?: boolean;
  /** Protect the API, its log groups, invoker roles and API keys from deletion. */
  protect?: boolean;
  /** Tags for every taggable child. */
  tags?: Record<string, string>;
}

const STAGE_NAME = /^[A-Za-z0-9_]{1,64}$/;
const VPCE_ID = /^vpce-[0-9a-f]{8,17}$/;
const BODY_METHODS = ["POST", "PUT", "PATCH"];
const LOGGING_LEVELS = ["OFF", "ERROR", "INFO"];

/**
 * Every problem with the args, each naming its field; empty when they are fine. With the
 * component's `name`, also checks that the IAM roles named after it and each caller fit IAM's
 * 64 characters once autonamed.
 */
export function validatePrivateRestApiArgs(args: PrivateRestApiArgs, name?: string): string[] {
  const problems: string[] = [];
  if (name !== undefined && (args.manageAccountCloudWatchRole ?? true))
    problems.push(
      ...autonameProblems("name", "IAM role", [`${name}-cloudwatch-role`], NAME_LIMITS.iamRole),
    );
  const apiRoutes = (args.routes ?? []).map((r) => r.route);
  if (apiRoutes.length === 0) problems.push("routes: expected at least one route");
  const seen = new Set<string>();
  (args.routes ?? []).forEach((r, i) => {
    const parsed = parseRoute(r.route);
    if (typeof parsed === "string") problems.push(`routes[${i}].route: ${parsed}`);
    else if (BODY_METHODS.includes(parsed.method) && !r.bodySchema)
      problems.push(`routes[${i}].bodySchema: required for ${parsed.method} (request validation)`);
    if (seen.has(r.route)) problems.push(`routes[${i}].route: duplicate route '${r.route}'`);
    seen.add(r.route);
  });
  if (typeof args.vpcEndpointId === "string" && !VPCE_ID.test(args.vpcEndpointId))
    problems.push(
      `vpcEndpointId: expected a VPC endpoint id (vpce-...), found '${args.vpcEndpointId}'`,
    );
  if (!STAGE_NAME.test(args.stageName ?? ""))
    problems.push(`stageName: expected letters, digits and underscores, found '${args.stageName}'`);
  if (!args.throttle) problems.push("throttle: required (rateLimit and burstLimit)");
  else problems.push(...throttleProblems("throttle", args.throttle));
  if (!LOGGING_LEVELS.includes(args.loggingLevel))
    problems.push(
      `loggingLevel: expected one of ${LOGGING_LEVELS.join(", ")}, found '${args.loggingLevel}'`,
    );
  problems.push(...logRetentionProblems("logRetentionDays", args.logRetentionDays));
  problems.push(
    ...validateUsagePlanTiers(args.usagePlans, apiRoutes).map((p) =>
      p.replace(/^tiers/, "usagePlans"),
    ),
  );
  const tiers = new Set((args.usagePlans ?? []).map((t) => t.name));
  const callers = new Set<string>();
  (args.callers ?? []).forEach((c, i) => {
    const at = `callers[${i}]`;
    if (!/^[a-z][a-z0-9-]{1,38}[a-z0-9]$/.test(c.name ?? ""))
      problems.push(`${at}.name: expected a lowercase name of 3-40 letters, digits and dashes`);
    if (callers.has(c.name)) problems.push(`${at}.name: duplicate caller '${c.name}'`);
    callers.add(c.name);
    const roleProblems = validateInvokerRoleArgs({
      principal: c.principal,
      routes: c.routes,
      apiRoutes,
      executionArn: "",
      stageName: "",
    });
    problems.push(...roleProblems.map((p) => `${at}.${p}`));
    // The caller's InvokerRole is `${name}-${caller}`; its role `${name}-${caller}-role`.
    if (name !== undefined)
      problems.push(
        ...autonameProblems(
          `${at}.name`,
          "invoker role",
          [`${name}-${c.name}-role`],
          NAME_LIMITS.iamRole,
        ),
      );
    if (!tiers.has(c.usagePlan))
      problems.push(
        `${at}.usagePlan: unknown tier '${c.usagePlan}' (expected one of ${[...tiers].join(", ")})`,
      );
  });
  return problems;
}

/** A route's slug for child names: `GET /loyalty/{customerId}` → `get-loyalty-customerId`. */
function slug(method: string | undefined, segments: string[]): string {
  const parts = segments.map((s) => s.replace(/[{}+]/g, ""));
  return [...(method ? [method.toLowerCase()] : []), ...parts].join("-");
}

/** A model name API Gateway accepts (alphanumeric): `PostLoyaltyCustomerIdPointsBody`. */
function modelName(route: ParsedRoute): string {
  const words = [route.method.toLowerCase(), ...route.segments.map((s) => s.replace(/[{}+]/g, ""))];
  return `${words
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join("")
    .replace(/[^A-Za-z0-9]/g, "")}Body`;
}

/** The statement id for a caller: `appsync-loyalty-resolver` → `AllowAppsyncLoyaltyResolver`. */
function sidFor(caller: string): string {
  return `Allow${caller
    .split("-")
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join("")}`;
}

/**
 * The API's resource policy. AWS evaluates a same-account caller as allowed when either its
 * identity policy or this policy allows and nothing denies, so the policy both denies and allows:
 * - deny every call that does not come through `vpcEndpointId` (the internet, other endpoints);
 * - deny every principal that is not one of the invoker roles (even one whose own identity
 *   policy would allow `execute-api:Invoke`);
 * - allow each invoker role exactly its granted stage/method/path ARNs, through the endpoint.
 */
export function resourcePolicy(
  executionArn: string,
  vpcEndpointId: string,
  grants: { caller: string; roleArn: string; invokeArns: string[] }[],
) {
  const everything = `${executionArn}/*`;
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DenyOutsideVpcEndpoint",
        Effect: "Deny",
        Principal: "*",
        Action: "execute-api:Invoke",
        Resource: everything,
        Condition: { StringNotEquals: { "aws:SourceVpce": vpcEndpointId } },
      },
      {
        Sid: "DenyAllButInvokerRoles",
        Effect: "Deny",
        Principal: "*",
        Action: "execute-api:Invoke",
        Resource: everything,
        ...(grants.length > 0
          ? { Condition: { ArnNotEquals: { "aws:PrincipalArn": grants.map((g) => g.roleArn) } } }
          : {}),
      },
      ...grants.map((g) => ({
        Sid: sidFor(g.caller),
        Effect: "Allow",
        Principal: { AWS: g.roleArn },
        Action: "execute-api:Invoke",
        Resource: g.invokeArns,
        Condition: { StringEquals: { "aws:SourceVpce": vpcEndpointId } },
      })),
    ],
  };
}

/** The deployment trigger: a hash of everything a deployment snapshots (methods, integrations, policy). */
export function deploymentHash(parts: unknown): string {
  return createHash("sha256").update(JSON.stringify(parts)).digest("hex");
}

/** The JSON access log line (one object per request). */
const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: "$context.requestId",
  extendedRequestId: "$context.extendedRequestId",
  requestTime: "$context.requestTime",
  httpMethod: "$context.httpMethod",
  resourcePath: "$context.resourcePath",
  path: "$context.path",
  status: "$context.status",
  protocol: "$context.protocol",
  responseLength: "$context.responseLength",
  sourceIp: "$context.identity.sourceIp",
  vpceId: "$context.identity.vpceId",
  callerArn: "$context.identity.userArn",
  caller: "$context.identity.caller",
  apiKeyId: "$context.identity.apiKeyId",
  userAgent: "$context.identity.userAgent",
  integrationStatus: "$context.integration.status",
  integrationLatency: "$context.integration.latency",
  errorMessage: "$context.error.message",
  errorType: "$context.error.responseType",
  xrayTraceId: "$context.xrayTraceId",
});

/** One caller's grant, as the resource policy names it. */
interface Grant {
  caller: string;
  roleArn: string;
  invokeArns: string[];
}

/** The methods and integrations made (the deployment waits for them) and what it hashes. */
interface MethodsMade {
  resources: pulumi.Resource[];
  specs: Record<string, unknown>[];
}

/**
 * A PRIVATE REST API bound to one VPC endpoint, its invoker roles, resource policy, methods,
 * Lambda proxy integrations, deployment and stage, the account's CloudWatch role, the function's
 * invoke permissions and the usage plans.
 */
export class PrivateRestApi extends pulumi.ComponentResource {
  /** The REST API's id. */
  public readonly restApiId: pulumi.Output<string>;
  /** The stage's name (resolves once the stage exists). */
  public readonly stageName: pulumi.Output<string>;
  /** The API's execution ARN, `arn:<partition>:execute-api:<region>:<account>:<apiId>`. */
  public readonly executionArn: pulumi.Output<string>;
  /** `https://<id>.execute-api.<region>.amazonaws.com/<stage>` (resolves inside the VPC). */
  public readonly invokeUrl: pulumi.Output<string>;
  /** The invoker role of each caller, by caller name. */
  public readonly invokerRoles: Record<string, aws.iam.Role>;
  /** The invoker role ARN of each caller, by caller name. */
  public readonly invokerRoleArns: pulumi.Output<Record<string, string>>;
  /** The API key value of each caller, by caller name (secret). */
  public readonly apiKeyValues: pulumi.Output<Record<string, string>>;
  /** Each caller's key as an SSM SecureString, by caller name. */
  public readonly apiKeyParameters: Record<string, ApiKeyParameter>;
  /** The usage plan id of each tier, by tier name. */
  public readonly usagePlanIds: pulumi.Output<Record<string, string>>;
  /** The REST API resource. */
  public readonly restApi: aws.apigateway.RestApi;
  /** The stage. */
  public readonly stage: aws.apigateway.Stage;

  private readonly ctx: { name: string; args: PrivateRestApiArgs; tags: Record<string, string> };
  private readonly protect: boolean;

  constructor(name: string, args: PrivateRestApiArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sec1:apigateway:PrivateRestApi", name, {}, opts);
    assertValidArgs("PrivateRestApi", name, validatePrivateRestApiArgs(args, name), this);
    this.ctx = { name, args, tags: args.tags ?? {} };
    this.protect = args.protect ?? false;

    this.restApi = this.api();
    // Roles first, policy second: the policy names the roles, the roles name the API.
    this.invokerRoles = {};
    const policy = this.policy(this.invokers());
    const methods = this.methods();
    const deployment = this.deployment(policy, methods);
    const logging = this.logging();
    this.stage = this.stageOf(deployment, logging);
    this.permissions();
    const usage = this.usagePlans();

    this.restApiId = this.restApi.id;
    this.stageName = this.stage.stageName;
    this.executionArn = this.restApi.executionArn;
    this.invokeUrl = this.stage.invokeUrl;
    this.invokerRoleArns = pulumi.all(
      Object.fromEntries(Object.entries(this.invokerRoles).map(([k, r]) => [k, r.arn])),
    ) as pulumi.Output<Record<string, string>>;
    this.apiKeyValues = usage.apiKeyValues;
    this.apiKeyParameters = usage.apiKeyParameters;
    this.usagePlanIds = usage.usagePlanIds;
    this.registerOutputs({
      restApiId: this.restApiId,
      stageName: this.stageName,
      executionArn: this.executionArn,
      invokeUrl: this.invokeUrl,
      invokerRoleArns: this.invokerRoleArns,
      apiKeyValues: this.apiKeyValues,
      usagePlanIds: this.usagePlanIds,
    });
  }

  private get apiRoutes(): string[] {
    return this.ctx.args.routes.map((r) => r.route);
  }

  /** The PRIVATE REST API, bound to the VPC endpoint. */
  private api(): aws.apigateway.RestApi {
    const { name, args, tags } = this.ctx;
    return new aws.apigateway.RestApi(
      `${name}-api`,
      {
        description: args.description ?? "Private REST API for internal callers (SigV4 only)",
        endpointConfiguration: {
          types: "PRIVATE",
          vpcEndpointIds: [args.vpcEndpointId],
          ipAddressType: "dualstack",
        },
        apiKeySource: "HEADER",
        tags,
      },
      { parent: this, protect: this.protect },
    );
  }

  /** One InvokerRole per caller; returns each caller's grant for the resource policy. */
  private invokers(): pulumi.Output<Grant>[] {
    const { name, args, tags } = this.ctx;
    return args.callers.map((caller) => {
      const invoker = new InvokerRole(
        `${name}-${caller.name}`,
        {
          principal: caller.principal,
          executionArn: this.restApi.executionArn,
          stageName: args.stageName,
          routes: caller.routes,
          apiRoutes: this.apiRoutes,
          description: `Invoker role of ${caller.name}: ${caller.routes.join(", ")} on ${name}/${args.stageName}`,
          tags,
        },
        { parent: this, protect: this.protect },
      );
      this.invokerRoles[caller.name] = invoker.role;
      return pulumi
        .all([invoker.roleArn, invoker.invokeArns])
        .apply(([roleArn, arns]) => ({ caller: caller.name, roleArn, invokeArns: arns }));
    });
  }

  /** The resource policy (see {@link resourcePolicy}) and its JSON, which the deployment hashes. */
  private policy(grants: pulumi.Output<Grant>[]): {
    resource: aws.apigateway.RestApiPolicy;
    json: pulumi.Output<string>;
  } {
    const json = pulumi
      .all([this.restApi.executionArn, this.ctx.args.vpcEndpointId, pulumi.all(grants)])
      .apply(([arn, vpce, g]) => JSON.stringify(resourcePolicy(arn, vpce, g)));
    const resource = new aws.apigateway.RestApiPolicy(
      `${this.ctx.name}-policy`,
      { restApiId: this.restApi.id, policy: json },
      { parent: this },
    );
    return { resource, json };
  }

  /** The API Gateway resource of a path (one per distinct prefix, parents before children). */
  private resourceIdOf(
    segments: string[],
    made: Map<string, aws.apigateway.Resource>,
  ): pulumi.Input<string> {
    if (segments.length === 0) return this.restApi.rootResourceId;
    const key = segments.join("/");
    let resource = made.get(key);
    if (!resource) {
      resource = new aws.apigateway.Resource(
        `${this.ctx.name}-${slug(undefined, segments)}`,
        {
          restApi: this.restApi.id,
          parentId: this.resourceIdOf(segments.slice(0, -1), made),
          pathPart: segments[segments.length - 1],
        },
        { parent: this },
      );
      made.set(key, resource);
    }
    return resource.id;
  }

  /** Every route's method (AWS_IAM), request validation and Lambda proxy integration. */
  private methods(): MethodsMade {
    const { name, args } = this.ctx;
    const validator = new aws.apigateway.RequestValidator(
      `${name}-validator`,
      {
        restApi: this.restApi.id,
        name: "body-and-parameters",
        validateRequestBody: true,
        validateRequestParameters: true,
      },
      { parent: this },
    );
    const made: MethodsMade = { resources: [], specs: [] };
    const paths = new Map<string, aws.apigateway.Resource>();
    for (const spec of args.routes)
      made.resources.push(...this.method(spec, validator, paths, made));
    return made;
  }

  /** One route: its body model, method and integration; records what the deployment hashes. */
  private method(
    spec: PrivateRouteSpec,
    validator: aws.apigateway.RequestValidator,
    paths: Map<string, aws.apigateway.Resource>,
    made: MethodsMade,
  ): pulumi.Resource[] {
    const { name, args } = this.ctx;
    const route = parseRoute(spec.route) as ParsedRoute;
    const id = slug(route.method, route.segments);
    const apiKeyRequired = args.usagePlans.length > 0;
    const requestParameters: Record<string, boolean> = {};
    for (const s of route.segments)
      if (s.startsWith("{"))
        requestParameters[`method.request.path.${s.replace(/[{}+]/g, "")}`] = true;
    for (const q of spec.requiredQueryParameters ?? [])
      requestParameters[`method.request.querystring.${q}`] = true;
    const model = spec.bodySchema
      ? new aws.apigateway.Model(
          `${name}-${id}-body`,
          {
            restApi: this.restApi.id,
            name: modelName(route),
            description: `Request body of ${spec.route}`,
            contentType: "application/json",
            schema: JSON.stringify(spec.bodySchema),
          },
          { parent: this },
        )
      : undefined;
    const method = new aws.apigateway.Method(
      `${name}-${id}`,
      {
        restApi: this.restApi.id,
        resourceId: this.resourceIdOf(route.segments, paths),
        httpMethod: route.method,
        // SigV4 with an invoker role; the API key below only meters the caller.
        authorization: "AWS_IAM",
        apiKeyRequired,
        requestParameters,
        requestModels: model ? { "application/json": model.name } : undefined,
        requestValidatorId: validator.id,
      },
      { parent: this },
    );
    const integration = new aws.apigateway.Integration(
      `${name}-${id}`,
      {
        restApi: this.restApi.id,
        resourceId: method.resourceId,
        httpMethod: method.httpMethod,
        type: "AWS_PROXY",
        // Lambda is always invoked with POST, whatever the route's method.
        integrationHttpMethod: "POST",
        uri: args.target.invokeArn,
        timeoutMilliseconds: 29000,
      },
      { parent: this },
    );
    made.specs.push({
      route: spec.route,
      authorization: "AWS_IAM",
      apiKeyRequired,
      requestParameters,
      bodySchema: spec.bodySchema ?? null,
      validator: "body-and-parameters",
      integration: { type: "AWS_PROXY", integrationHttpMethod: "POST", timeoutMilliseconds: 29000 },
    });
    return [method, integration];
  }

  /**
   * A deployment is a snapshot: without a new one, changed methods, integrations or the
   * resource policy never reach the stage. The hash replaces the deployment when they change.
   * It must come after the policy (a PRIVATE API cannot be deployed without one) and after
   * every method and integration.
   */
  private deployment(
    policy: { resource: aws.apigateway.RestApiPolicy; json: pulumi.Output<string> },
    methods: MethodsMade,
  ): aws.apigateway.Deployment {
    const { name, args } = this.ctx;
    return new aws.apigateway.Deployment(
      `${name}-deployment`,
      {
        restApi: this.restApi.id,
        description: `Deployment of ${name}`,
        triggers: {
          redeployment: pulumi
            .all([policy.json, args.target.invokeArn])
            .apply(([policyText, uri]) =>
              deploymentHash({ methods: methods.specs, integrationUri: uri, policy: policyText }),
            ),
        },
      },
      { parent: this, dependsOn: [policy.resource, ...methods.resources] },
    );
  }

  /**
   * The log groups and, unless another stack manages it, the region's API Gateway account
   * setting: execution and access logging need it to name a role that API Gateway assumes to
   * write to CloudWatch Logs; the stage fails to enable logs without it.
   */
  private logging(): { accessLogs: aws.cloudwatch.LogGroup; stageDependsOn: pulumi.Resource[] } {
    const { name, args, tags } = this.ctx;
    // Execution logs go to this fixed-name group; made here so it has a retention (API Gateway
    // would otherwise create it on first use, kept forever). It must exist before the stage.
    const executionLogs = new aws.cloudwatch.LogGroup(
      `${name}-execution-logs`,
      {
        name: pulumi.interpolate`API-Gateway-Execution-Logs_${this.restApi.id}/${args.stageName}`,
        retentionInDays: args.logRetentionDays,
        tags,
      },
      { parent: this, protect: this.protect },
    );
    const accessLogs = new aws.cloudwatch.LogGroup(
      `${name}-access-logs`,
      { retentionInDays: args.logRetentionDays, tags },
      { parent: this, protect: this.protect },
    );
    const stageDependsOn: pulumi.Resource[] = [executionLogs];
    if (args.manageAccountCloudWatchRole ?? true) stageDependsOn.push(this.accountSetting());
    return { accessLogs, stageDependsOn };
  }

  /** The region's API Gateway account setting, with the role it names. */
  private accountSetting(): aws.apigateway.Account {
    const { name, tags } = this.ctx;
    const partition = aws.getPartitionOutput({}, { parent: this }).partition;
    const cloudwatchRole = new aws.iam.Role(
      `${name}-cloudwatch-role`,
      {
        description: "Lets API Gateway write execution and access logs to CloudWatch Logs",
        assumeRolePolicy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { Service: "apigateway.amazonaws.com" },
              Action: "sts:AssumeRole",
              // Confused deputy: API Gateway assumes it for this account only.
              Condition: {
                StringEquals: {
                  "aws:SourceAccount": this.restApi.executionArn.apply((a) => a.split(":")[4]),
                },
              },
            },
          ],
        }),
        tags,
      },
      { parent: this },
    );
    const attachment = new aws.iam.RolePolicyAttachment(
      `${name}-cloudwatch-role-logs`,
      {
        role: cloudwatchRole.name,
        policyArn: pulumi.interpolate`arn:${partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs`,
      },
      { parent: this },
    );
    return new aws.apigateway.Account(
      `${name}-account`,
      { cloudwatchRoleArn: cloudwatchRole.arn },
      // API Gateway checks the role can write logs when the setting is saved.
      { parent: this, dependsOn: [attachment] },
    );
  }

  /** The traced, logged stage and the throttle and logging of all its methods. */
  private stageOf(
    deployment: aws.apigateway.Deployment,
    logging: { accessLogs: aws.cloudwatch.LogGroup; stageDependsOn: pulumi.Resource[] },
  ): aws.apigateway.Stage {
    const { name, args, tags } = this.ctx;
    const stage = new aws.apigateway.Stage(
      `${name}-stage`,
      {
        restApi: this.restApi.id,
        deployment: deployment.id,
        stageName: args.stageName,
        description: `Stage ${args.stageName} of ${name}`,
        xrayTracingEnabled: true,
        accessLogSettings: { destinationArn: logging.accessLogs.arn, format: ACCESS_LOG_FORMAT },
        tags,
      },
      { parent: this, dependsOn: logging.stageDependsOn },
    );
    new aws.apigateway.MethodSettings(
      `${name}-all-methods`,
      {
        restApi: this.restApi.id,
        stageName: stage.stageName,
        methodPath: "*/*",
        settings: {
          throttlingRateLimit: args.throttle.rateLimit,
          throttlingBurstLimit: args.throttle.burstLimit,
          loggingLevel: args.loggingLevel,
          dataTraceEnabled: args.dataTraceEnabled,
          metricsEnabled: true,
        },
      },
      { parent: this, dependsOn: logging.stageDependsOn },
    );
    return stage;
  }

  /** One invoke permission per route, scoped to this API, stage, method and path. */
  private permissions(): void {
    const { name, args } = this.ctx;
    const routes = args.routes.map((r) => parseRoute(r.route) as ParsedRoute);
    const routeArns = this.restApi.executionArn.apply((arn) =>
      invokeArns(arn, args.stageName, routes),
    );
    routes.forEach((route, i) => {
      new aws.lambda.Permission(
        `${name}-invoke-${slug(route.method, route.segments)}`,
        {
          action: "lambda:InvokeFunction",
          function: args.target.functionName,
          principal: "apigateway.amazonaws.com",
          sourceArn: routeArns.apply((arns) => arns[i]),
        },
        { parent: this },
      );
    });
  }

  /** API keys and usage plans: quotas for the callers, never their identity. */
  private usagePlans(): UsagePlans {
    const { name, args, tags } = this.ctx;
    return new UsagePlans(
      `${name}-usage`,
      {
        restApiId: this.restApi.id,
        stageName: this.stage.stageName,
        tiers: args.usagePlans,
        apiRoutes: this.apiRoutes,
        callers: args.callers.map((c) => ({ name: c.name, usagePlan: c.usagePlan })),
        tags,
      },
      { parent: this, protect: this.protect },
    );
  }

  /**
   * One caller's key in SSM Parameter Store (name and ARN of the SecureString): what a function
   * reads at cold start instead of carrying the key in its environment. Throws for a caller the
   * API does not have.
   */
  public apiKeyParameter(caller: string): ApiKeyParameter {
    const parameter = this.apiKeyParameters[caller];
    if (!parameter)
      throw new pulumi.ResourceError(
        `PrivateRestApi has no caller '${caller}' (callers: ${Object.keys(this.apiKeyParameters).join(", ")})`,
        this,
      );
    return parameter;
  }

  /** One caller's API key value (a secret). Throws for a caller the API does not have. */
  public apiKeyValue(caller: string): pulumi.Output<string> {
    if (!(caller in this.invokerRoles))
      throw new pulumi.ResourceError(
        `PrivateRestApi has no caller '${caller}' (callers: ${Object.keys(this.invokerRoles).join(", ")})`,
        this,
      );
    return pulumi.secret(this.apiKeyValues.apply((values) => values[caller]));
  }
}
