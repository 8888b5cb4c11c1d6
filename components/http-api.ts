/**
 * A public HTTP API (API Gateway v2) whose every route is authorized: JWT (or a Lambda REQUEST
 * authorizer) with scopes per route, Lambda proxy integrations with invoke permissions scoped to
 * each route, CORS, and a throttled `$default` stage with JSON access logs. The routes, their
 * handlers and scopes are the app's, given as args.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { assertValidArgs } from "./args";
import { Function as LambdaFunction } from "./function";
import { autonameProblems, NAME_LIMITS } from "./names";

/** One route of the API. */
export interface HttpRoute {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** The path, with `{param}` placeholders. */
  path: string;
  /** Which handler serves it: a key of `HttpApiArgs.handlers`. */
  handler: string;
  /**
   * The token must carry at least one of these scopes (API Gateway's JWT rule): names of
   * `HttpApiArgs.scopes`, never empty.
   */
  scopes: readonly [string, ...string[]] | string[];
}

/** "GET /orders" for a route. */
export const routeKeyOf = (route: Pick<HttpRoute, "method" | "path">): string =>
  `${route.method} ${route.path}`;

/**
 * The `sourceArn` path of a route in a Lambda permission: `/*\/<METHOD>/<path>` (any stage of
 * this API), with path parameters as `*`, the way SAM scopes them, so the grant matches whether
 * API Gateway presents the route's template or the request's path.
 */
export const permissionPathOf = (route: Pick<HttpRoute, "method" | "path">): string =>
  `/*/${route.method}${route.path.replace(/\{[^}]+\}/g, "*")}`;

/** A Lambda function the API invokes (another component's outputs). */
export interface LambdaTarget {
  functionArn: pulumi.Input<string>;
  invokeArn: pulumi.Input<string>;
  functionName: pulumi.Input<string>;
}

/** Steady rate and burst for a route or the stage. */
export interface Throttle {
  rateLimit: number;
  burstLimit: number;
}

export interface HttpApiArgs {
  /** What the API is for, shown in the console. */
  description?: string;
  /** Every route, its handler and its scopes; routes exist only with an authorizer. */
  routes: HttpRoute[];
  /** `jwt`: API Gateway's JWT authorizer; `lambda`: the REQUEST authorizer of handlers/authorizer. */
  authorizerMode: "jwt" | "lambda";
  /** The tokens' issuer (Identity.issuerUrl), an https URL. */
  issuerUrl: pulumi.Input<string>;
  /** The accepted audiences / client ids (Identity.audiences). */
  audiences: pulumi.Input<pulumi.Input<string>[]>;
  /** Each scope name's string in tokens (Identity.scopes): route scopes name these keys. */
  scopes: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Lambda mode: the issuer's JWKS URL (Identity.jwksUri); default `<issuer>/.well-known/jwks.json`. */
  jwksUri?: pulumi.Input<string>;
  /** The functions the routes invoke, by handler key. */
  handlers: Record<string, LambdaTarget>;
  /** Allowed browser origins; empty: no CORS. `*` only with `allowWildcardOrigin`, never with credentials. */
  corsAllowOrigins: string[];
  /** Whether `*` may be among `corsAllowOrigins` (any web page may call). Default false. */
  allowWildcardOrigin?: boolean;
  /**
   * The request headers a browser may send: every header the handlers read (a preflight fails
   * for any header not listed). Default `authorization` and `content-type`.
   */
  corsAllowHeaders?: string[];
  /** The response headers a browser script may read beyond the safelisted ones. Default none. */
  corsExposeHeaders?: string[];
  /** Let browsers send cookies (not needed for bearer tokens). Default false. */
  corsAllowCredentials?: boolean;
  /** Default throttle of every route on the stage. */
  rateLimit: number;
  burstLimit: number;
  /** Per-route throttles, keyed by "METHOD /path". */
  routeThrottles?: Record<string, Throttle>;
  /** Retention of the access log group (and the authorizer's log group), in days. */
  logRetentionDays: number;
  /** Lambda mode: how long API Gateway caches a decision per token and route (default 300 s). */
  authorizerCacheTtlSeconds?: number;
  /**
   * Lambda mode: reserved concurrency of the authorizer function (config
   * `reservedConcurrency.authorizer`), so a flood of bad tokens cannot take the account's pool.
   */
  authorizerReservedConcurrency?: number;
  /**
   * Protect the API (its id is in every client's URL) and the access and authorizer log groups
   * (who called what) from deletion (prod).
   */
  protect?: boolean;
  /** Tags for every taggable child. */
  tags?: Record<string, string>;
}

/** The JSON access log line: who called what, the outcome, and why an authorizer said no. */
export function accessLogFormat(mode: "jwt" | "lambda"): string {
  return JSON.stringify({
    requestId: "$context.requestId",
    extendedRequestId: "$context.extendedRequestId",
    ip: "$context.identity.sourceIp",
    userAgent: "$context.identity.userAgent",
    requestTime: "$context.requestTime",
    httpMethod: "$context.httpMethod",
    routeKey: "$context.routeKey",
    status: "$context.status",
    protocol: "$context.protocol",
    responseLength: "$context.responseLength",
    principal: mode === "jwt" ? "$context.authorizer.claims.sub" : "$context.authorizer.sub",
    clientId:
      mode === "jwt" ? "$context.authorizer.claims.client_id" : "$context.authorizer.clientId",
    authorizerError: "$context.authorizer.error",
    integrationError: "$context.integrationErrorMessage",
    integrationLatency: "$context.integrationLatency",
  });
}

/**
 * Checks the args that are known at construction. Returns every problem, each naming its field;
 * values still unknown (outputs of other components) are checked by the policy pack instead.
 * With the component's `name`, also checks that the Lambda authorizer's function and role
 * autonames fit their 64-character limits (before the API is created, not halfway through).
 */
export function validateHttpApiArgs(args: HttpApiArgs, name?: string): string[] {
  const problems: string[] = [];
  if (name !== undefined && args.authorizerMode === "lambda") {
    const fn = `${name}-authorizer`;
    problems.push(
      ...autonameProblems(
        "name",
        "Lambda function",
        [`${fn}-function`],
        NAME_LIMITS.lambdaFunction,
      ),
      ...autonameProblems("name", "IAM role", [`${fn}-role`], NAME_LIMITS.iamRole),
    );
  }
  const origins = args.corsAllowOrigins ?? [];
  if (origins.includes("*")) {
    if (!args.allowWildcardOrigin) {
      problems.push(
        "corsAllowOrigins must not contain '*' unless allowWildcardOrigin is true; list the app's origins",
      );
    }
    if (args.corsAllowCredentials) {
      problems.push("corsAllowCredentials must be false when corsAllowOrigins contains '*'");
    }
  }
  const routes = args.routes ?? [];
  if (routes.length === 0) problems.push("routes: expected at least one route");
  const scopeNames =
    args.scopes && typeof args.scopes === "object" && !pulumi.Output.isInstance(args.scopes)
      ? new Set(Object.keys(args.scopes))
      : undefined;
  const seen = new Set<string>();
  routes.forEach((route, i) => {
    const key = routeKeyOf(route);
    if (seen.has(key)) problems.push(`routes[${i}]: duplicate route '${key}'`);
    seen.add(key);
    if (!/^\/[A-Za-z0-9._~{}+/-]*$/.test(route.path ?? ""))
      problems.push(`routes[${i}].path: expected a path starting with '/', found '${route.path}'`);
    if (!route.scopes || route.scopes.length === 0)
      problems.push(`routes[${i}].scopes: expected at least one scope (${key})`);
    for (const scope of route.scopes ?? [])
      if (scopeNames && !scopeNames.has(scope))
        problems.push(
          `routes[${i}].scopes: '${scope}' is not one of scopes (${[...scopeNames].join(", ")})`,
        );
  });
  const keys = new Set(routes.map(routeKeyOf));
  for (const key of Object.keys(args.routeThrottles ?? {})) {
    if (!keys.has(key)) {
      problems.push(
        `routeThrottles['${key}'] names no route; expected one of ${[...keys].join(", ")}`,
      );
    }
  }
  for (const handler of new Set(routes.map((r) => r.handler))) {
    if (!args.handlers?.[handler]) problems.push(`handlers.${handler} is required`);
  }
  if (typeof args.issuerUrl === "string" && !args.issuerUrl.startsWith("https://")) {
    problems.push(`issuerUrl must be an https:// URL, found '${args.issuerUrl}'`);
  }
  if (Array.isArray(args.audiences) && args.audiences.length === 0) {
    problems.push("audiences needs at least one audience");
  }
  if (!(args.rateLimit > 0) || !(args.burstLimit > 0)) {
    problems.push("rateLimit and burstLimit must be positive (a stage must throttle)");
  }
  return problems;
}

/**
 * Lets API Gateway invoke an authorizer's function only as that authorizer of that API
 * (`<executionArn>/authorizers/<id>`), for the HTTP and the WebSocket API alike.
 */
export function authorizerInvokePermission(
  name: string,
  fn: Pick<LambdaFunction, "functionName">,
  executionArn: pulumi.Input<string>,
  authorizerId: pulumi.Input<string>,
  parent: pulumi.Resource,
): aws.lambda.Permission {
  return new aws.lambda.Permission(
    `${name}-authorizer-invoke`,
    {
      action: "lambda:InvokeFunction",
      function: fn.functionName,
      principal: "apigateway.amazonaws.com",
      sourceArn: pulumi.interpolate`${executionArn}/authorizers/${authorizerId}`,
    },
    { parent },
  );
}

/** How a route is authorized: there is no variant without an authorizer. */
type RouteAuth =
  | { authorizationType: "JWT"; authorizerId: pulumi.Input<string>; scopes: pulumi.Input<string[]> }
  | { authorizationType: "CUSTOM"; authorizerId: pulumi.Input<string> };

const slugOf = (route: HttpRoute) =>
  `${route.method}${route.path}`
    .toLowerCase()
    .replace(/[{}]/g, "")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/-+$/, "");

/**
 * A public HTTP API: JWT (or Lambda) authorization with scopes on every route, Lambda
 * proxy integrations (payload 2.0) with invoke permissions scoped to each route, CORS, and a
 * `$default` stage that throttles every route and writes JSON access logs.
 */
export class HttpApi extends pulumi.ComponentResource {
  /** The HTTP API resource. */
  public readonly api: aws.apigatewayv2.Api;
  /** The `$default` stage (auto-deployed, throttled, access-logged). */
  public readonly stage: aws.apigatewayv2.Stage;
  /** The authorizer every route uses (JWT, or REQUEST in Lambda mode). */
  public readonly authorizer: aws.apigatewayv2.Authorizer;
  /** Lambda mode only: the authorizer function. */
  public readonly authorizerFunction?: LambdaFunction;
  /** The API's id. */
  public readonly apiId: pulumi.Output<string>;
  /** `https://<id>.execute-api.<region>.amazonaws.com`. */
  public readonly apiEndpoint: pulumi.Output<string>;
  /** `arn:<partition>:execute-api:<region>:<account>:<id>`, for invoke permissions. */
  public readonly executionArn: pulumi.Output<string>;
  /** The stage's invoke URL. */
  public readonly url: pulumi.Output<string>;
  /** The authorizer's id. */
  public readonly authorizerId: pulumi.Output<string>;
  /** Every route key ("GET /orders"), in the order of `routes`. */
  public readonly routeKeys: string[];
  /** The access log group's name. */
  public readonly accessLogGroupName: pulumi.Output<string>;

  private readonly ctx: { name: string; args: HttpApiArgs; tags: Record<string, string> };
  private readonly protect: boolean;

  constructor(name: string, args: HttpApiArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sec1:api:HttpApi", name, {}, opts);
    assertValidArgs("HttpApi", name, validateHttpApiArgs(args, name), this);
    this.ctx = { name, args, tags: args.tags ?? {} };
    this.protect = args.protect ?? false;

    this.api = this.httpApi();
    if (args.authorizerMode === "lambda") {
      const { authorizer, fn } = this.lambdaAuthorizer();
      this.authorizer = authorizer;
      this.authorizerFunction = fn;
    } else this.authorizer = this.jwtAuthorizer();
    const routes = this.routes(this.integrations());
    const { stage, accessLogs } = this.stageOf(routes);
    this.stage = stage;

    this.apiId = this.api.id;
    this.apiEndpoint = this.api.apiEndpoint;
    this.executionArn = this.api.executionArn;
    this.url = this.stage.invokeUrl;
    this.authorizerId = this.authorizer.id;
    this.routeKeys = args.routes.map(routeKeyOf);
    this.accessLogGroupName = accessLogs.name;
    this.registerOutputs({
      apiId: this.apiId,
      apiEndpoint: this.apiEndpoint,
      executionArn: this.executionArn,
      url: this.url,
      authorizerId: this.authorizerId,
      routeKeys: this.routeKeys,
      accessLogGroupName: this.accessLogGroupName,
    });
  }

  /** The API, with CORS answered by API Gateway itself. */
  private httpApi(): aws.apigatewayv2.Api {
    const { name, args, tags } = this.ctx;
    const protect = this.protect;
    const origins = args.corsAllowOrigins ?? [];
    const methods = [...new Set(args.routes.map((r) => r.method))];
    return new aws.apigatewayv2.Api(
      `${name}-api`,
      {
        protocolType: "HTTP",
        description:
          args.description ?? `Public HTTP API ${name} (JWT-authorized routes with scopes)`,
        // Browsers' preflight (OPTIONS) is answered by API Gateway from this configuration,
        // before any authorizer: no unauthenticated OPTIONS route is needed.
        corsConfiguration:
          origins.length === 0
            ? undefined
            : {
                allowOrigins: origins,
                allowMethods: methods,
                // Every request header the handlers read: a browser's preflight fails for any
                // header not listed, so an unlisted one would be unusable from the app.
                allowHeaders: args.corsAllowHeaders ?? ["authorization", "content-type"],
                // Cross-origin scripts see only safelisted response headers unless exposed: the
                // correlation id is what a user quotes to support.
                exposeHeaders: args.corsExposeHeaders ?? [],
                allowCredentials: origins.includes("*")
                  ? false
                  : (args.corsAllowCredentials ?? false),
                maxAge: 600,
              },
        tags,
      },
      { parent: this, protect },
    );
  }

  /**
   * Lambda mode: the REQUEST authorizer (handlers/authorizer), its function and the permission
   * that lets only this authorizer invoke it.
   */
  private lambdaAuthorizer(): { authorizer: aws.apigatewayv2.Authorizer; fn: LambdaFunction } {
    const { name, args, tags } = this.ctx;
    const protect = this.protect;
    const routeScopes = pulumi
      .output(args.scopes)
      .apply((scopes) =>
        JSON.stringify(
          Object.fromEntries(
            args.routes.map((r) => [routeKeyOf(r), r.scopes.map((s) => scopes[s])]),
          ),
        ),
      );
    const environment: Record<string, pulumi.Input<string>> = {
      JWT_ISSUER: args.issuerUrl,
      JWT_AUDIENCE: pulumi.output(args.audiences).apply((a) => a.join(",")),
      // The route's scopes, enforced by the authorizer: CUSTOM routes take no scopes.
      JWT_ROUTE_SCOPES: routeScopes,
    };
    if (args.jwksUri !== undefined) environment.JWKS_URI = args.jwksUri;
    const fn = new LambdaFunction(
      `${name}-authorizer`,
      {
        handler: "authorizer",
        description: `Lambda authorizer of the ${name} HTTP API (JWT, issuer, audience, scopes)`,
        logRetentionDays: args.logRetentionDays,
        environment,
        timeout: 5,
        reservedConcurrency: args.authorizerReservedConcurrency,
        protect,
        tags,
      },
      { parent: this },
    );
    const authorizer = new aws.apigatewayv2.Authorizer(
      `${name}-authorizer`,
      {
        apiId: this.api.id,
        name: `${name}-lambda-jwt`,
        authorizerType: "REQUEST",
        authorizerUri: fn.invokeArn,
        authorizerPayloadFormatVersion: "2.0",
        enableSimpleResponses: true,
        // The cache key is token AND route: a decision for a read route must not be reused
        // for a write route whose scopes the token may lack.
        identitySources: ["$request.header.Authorization", "$context.routeKey"],
        authorizerResultTtlInSeconds: args.authorizerCacheTtlSeconds ?? 300,
      },
      { parent: this },
    );
    authorizerInvokePermission(name, fn, this.api.executionArn, authorizer.id, this);
    return { authorizer, fn };
  }

  /** JWT mode: API Gateway's own JWT authorizer. */
  private jwtAuthorizer(): aws.apigatewayv2.Authorizer {
    const { name, args } = this.ctx;
    return new aws.apigatewayv2.Authorizer(
      `${name}-authorizer`,
      {
        apiId: this.api.id,
        name: `${name}-jwt`,
        authorizerType: "JWT",
        identitySources: ["$request.header.Authorization"],
        jwtConfiguration: { issuer: args.issuerUrl, audiences: args.audiences },
      },
      { parent: this },
    );
  }

  /** One Lambda proxy integration (payload 2.0) per handler. */
  private integrations(): Map<string, aws.apigatewayv2.Integration> {
    const { name, args } = this.ctx;
    const integrations = new Map<string, aws.apigatewayv2.Integration>();
    for (const handler of new Set(args.routes.map((r) => r.handler))) {
      integrations.set(
        handler,
        new aws.apigatewayv2.Integration(
          `${name}-${handler}-integration`,
          {
            apiId: this.api.id,
            integrationType: "AWS_PROXY",
            integrationMethod: "POST",
            integrationUri: args.handlers[handler].invokeArn,
            payloadFormatVersion: "2.0",
          },
          { parent: this },
        ),
      );
    }
    return integrations;
  }

  /** Every route, each with its authorizer and an invoke permission for exactly its route. */
  private routes(
    integrations: Map<string, aws.apigatewayv2.Integration>,
  ): aws.apigatewayv2.Route[] {
    const { name, args } = this.ctx;
    const scopes = pulumi.output(args.scopes);
    const routes = args.routes.map((route) => {
      const auth: RouteAuth =
        args.authorizerMode === "lambda"
          ? { authorizationType: "CUSTOM", authorizerId: this.authorizer.id }
          : {
              authorizationType: "JWT",
              authorizerId: this.authorizer.id,
              scopes: scopes.apply((s) => route.scopes.map((n) => s[n])),
            };
      const target = args.handlers[route.handler];
      // Each route may invoke its handler only through this API, this method and this path.
      new aws.lambda.Permission(
        `${name}-${slugOf(route)}-invoke`,
        {
          action: "lambda:InvokeFunction",
          function: target.functionName,
          principal: "apigateway.amazonaws.com",
          sourceArn: pulumi.interpolate`${this.api.executionArn}${permissionPathOf(route)}`,
        },
        { parent: this },
      );
      return this.authorizedRoute(name, route, integrations.get(route.handler)!, auth);
    });
    return routes;
  }

  /** The throttled `$default` stage with JSON access logs; returns the access log group. */
  private stageOf(routes: aws.apigatewayv2.Route[]): {
    stage: aws.apigatewayv2.Stage;
    accessLogs: aws.cloudwatch.LogGroup;
  } {
    const { name, args, tags } = this.ctx;
    const protect = this.protect;
    const accessLogs = new aws.cloudwatch.LogGroup(
      `${name}-access-logs`,
      { retentionInDays: args.logRetentionDays, tags },
      { parent: this, protect },
    );

    const routeSettings = Object.entries(args.routeThrottles ?? {}).map(([routeKey, t]) => ({
      routeKey,
      throttlingRateLimit: t.rateLimit,
      throttlingBurstLimit: t.burstLimit,
      detailedMetricsEnabled: true,
    }));
    const stage = new aws.apigatewayv2.Stage(
      `${name}-stage`,
      {
        apiId: this.api.id,
        name: "$default",
        autoDeploy: true,
        defaultRouteSettings: {
          throttlingRateLimit: args.rateLimit,
          throttlingBurstLimit: args.burstLimit,
          detailedMetricsEnabled: true,
        },
        routeSettings,
        accessLogSettings: {
          destinationArn: accessLogs.arn,
          format: accessLogFormat(args.authorizerMode),
        },
        tags,
      },
      // routeSettings name routes by key only: API Gateway rejects settings for a route that
      // does not exist yet.
      { parent: this, dependsOn: routes },
    );

    return { stage, accessLogs };
  }

  /** The only place routes are created: each one with its authorizer (and scopes, for JWT). */
  private authorizedRoute(
    name: string,
    route: HttpRoute,
    integration: aws.apigatewayv2.Integration,
    auth: RouteAuth,
  ): aws.apigatewayv2.Route {
    return new aws.apigatewayv2.Route(
      `${name}-${slugOf(route)}-route`,
      {
        apiId: this.api.id,
        routeKey: routeKeyOf(route),
        target: pulumi.interpolate`integrations/${integration.id}`,
        authorizationType: auth.authorizationType,
        authorizerId: auth.authorizerId,
        authorizationScopes: auth.authorizationType === "JWT" ? auth.scopes : undefined,
      },
      { parent: this },
    );
  }
}
