/**
 * A WebSocket API (API Gateway v2) whose clients only listen: `$connect` behind a Lambda REQUEST
 * authorizer (an access token offered as a subprotocol, verified with aws-jwt-verify), a
 * connections table (connection id, the user's `sub`, a TTL), `$disconnect`, a `$default` route
 * that answers a ping and refuses everything else, a throttled stage with access logs that never
 * hold a token, and (optionally) a notifier on a DynamoDB stream that posts each change to its
 * owner's connections only. Which table, which owner attribute and which scopes are the app's,
 * given as args.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-lambda-auth.html
 */
import { createHash } from "crypto";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { assertValidArgs } from "./args";
import { Function as LambdaFunction, PolicyStatement } from "./function";
import { authorizerInvokePermission } from "./http-api";
import { autonameProblems, NAME_LIMITS } from "./names";
import { Table } from "./table";

/** Where changes come from and whose they are. */
export interface WebSocketNotifications {
  /** The stream of the table whose changes are sent (Table.streamArn, NEW_IMAGE or NEW_AND_OLD_IMAGES). */
  streamArn: pulumi.Input<string>;
  /** The key attribute naming an item's owner: the `sub` of the user whose connections get it. */
  ownerAttribute: string;
  /** The new image's attributes a message carries besides the key (default: the key only). */
  attributes?: string[];
}

export interface WebSocketApiArgs {
  /** What the API is for, shown in the console. */
  description?: string;
  /** The tokens' issuer (Identity.issuerUrl), an https URL. */
  issuerUrl: pulumi.Input<string>;
  /** The accepted client ids / audiences (Identity.audiences). */
  audiences: pulumi.Input<pulumi.Input<string>[]>;
  /** The issuer's JWKS URL; default `<issuer>/.well-known/jwks.json`. */
  jwksUri?: pulumi.Input<string>;
  /** Each scope name's string in tokens (Identity.scopes). */
  scopes: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Names of `scopes` a token must carry, all of them, to connect. At least one. */
  requiredScopes: string[];
  /**
   * The app subprotocol a client offers beside its token (`Sec-WebSocket-Protocol: <this>,
   * <token>`) and that `$connect` echoes. An HTTP token, e.g. `sec1.v1`.
   */
  subprotocol: string;
  /** The stage name (part of the URL and of every ARN the permissions name). */
  stageName: string;
  /** Throttle of every route on the stage (connects and messages). */
  rateLimit: number;
  burstLimit: number;
  /** How long a connection record lives, in hours (2-24: API Gateway closes a connection after 2 h). */
  connectionTtlHours: number;
  /** How long API Gateway caches a decision per Sec-WebSocket-Protocol value (default 300 s). */
  authorizerCacheTtlSeconds?: number;
  /** Retention of the access log group and the functions' log groups, in days. */
  logRetentionDays: number;
  /** The notifier: without it the API only keeps connections (another service posts). */
  notifications?: WebSocketNotifications;
  /** Reserved concurrency of the API's functions (each counts against the account's pool). */
  reservedConcurrency?: { authorizer?: number; routes?: number; notifier?: number };
  /** Protect the API and its log groups from deletion (prod). */
  protect?: boolean;
  /** Tags for every taggable child. */
  tags?: Record<string, string>;
}

/** The connections table's index by `sub`, which the notifier queries. */
export const CONNECTIONS_BY_SUB_INDEX = "bySub";

/**
 * The JSON access log line: who connected, which route, the outcome. No header, query-string or
 * message variable is logged, so the token (a subprotocol header value) never is.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-logging.html
 */
export function webSocketAccessLogFormat(): string {
  return JSON.stringify({
    requestId: "$context.requestId",
    extendedRequestId: "$context.extendedRequestId",
    connectionId: "$context.connectionId",
    eventType: "$context.eventType",
    routeKey: "$context.routeKey",
    status: "$context.status",
    ip: "$context.identity.sourceIp",
    userAgent: "$context.identity.userAgent",
    requestTime: "$context.requestTime",
    principal: "$context.authorizer.principalId",
    clientId: "$context.authorizer.clientId",
    authorizerError: "$context.authorizer.error",
    error: "$context.error.message",
    integrationError: "$context.integrationErrorMessage",
  });
}

const SUBPROTOCOL = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/;
const STAGE = /^[A-Za-z0-9_-]{1,128}$/;
const ATTRIBUTE = /^[A-Za-z0-9_.-]{1,255}$/;

/** The three functions' and roles' autonames fit their 64-character limits. */
function nameProblems(name: string): string[] {
  const fns = ["authorizer", "routes", "notifier"].map((r) => `${name}-${r}`);
  return [
    ...autonameProblems(
      "name",
      "Lambda function",
      fns.map((f) => `${f}-function`),
      NAME_LIMITS.lambdaFunction,
    ),
    ...autonameProblems(
      "name",
      "IAM role",
      fns.map((f) => `${f}-role`),
      NAME_LIMITS.iamRole,
    ),
  ];
}

/**
 * Checks the args known at construction; returns every problem, each naming its field. With
 * `name`, also checks the children's autonames.
 */
export function validateWebSocketApiArgs(args: WebSocketApiArgs, name?: string): string[] {
  const problems: string[] = name === undefined ? [] : nameProblems(name);
  if (!SUBPROTOCOL.test(args.subprotocol ?? ""))
    problems.push(
      `subprotocol: expected an HTTP token such as sec1.v1, found '${args.subprotocol}'`,
    );
  if (!STAGE.test(args.stageName ?? ""))
    problems.push(`stageName: expected letters, digits, '-' and '_', found '${args.stageName}'`);
  if (!(args.rateLimit > 0) || !(args.burstLimit > 0))
    problems.push("rateLimit and burstLimit must be positive (a stage must throttle)");
  const ttl = args.connectionTtlHours;
  if (!Number.isInteger(ttl) || ttl < 2 || ttl > 24)
    problems.push(
      `connectionTtlHours: expected 2-24 hours (a connection lasts at most 2), found ${ttl}`,
    );
  const scopeNames =
    args.scopes && typeof args.scopes === "object" && !pulumi.Output.isInstance(args.scopes)
      ? Object.keys(args.scopes)
      : undefined;
  if (!Array.isArray(args.requiredScopes) || args.requiredScopes.length === 0)
    problems.push("requiredScopes: expected at least one scope a token must carry to connect");
  for (const scope of args.requiredScopes ?? [])
    if (scopeNames && !scopeNames.includes(scope))
      problems.push(`requiredScopes: '${scope}' is not one of scopes (${scopeNames.join(", ")})`);
  if (typeof args.issuerUrl === "string" && !args.issuerUrl.startsWith("https://"))
    problems.push(`issuerUrl must be an https:// URL, found '${args.issuerUrl}'`);
  if (Array.isArray(args.audiences) && args.audiences.length === 0)
    problems.push("audiences needs at least one audience");
  const n = args.notifications;
  if (n && !ATTRIBUTE.test(n.ownerAttribute ?? ""))
    problems.push(
      "notifications.ownerAttribute: expected the key attribute naming the owner's sub",
    );
  for (const a of n?.attributes ?? [])
    if (!ATTRIBUTE.test(a))
      problems.push(`notifications.attributes: '${a}' is not an attribute name`);
  return problems;
}

/** A stable hash of what a deployment serves: any change to it forces a new deployment. */
export const deploymentHash = (parts: unknown): string =>
  createHash("sha256").update(JSON.stringify(parts)).digest("hex");

/**
 * A WebSocket API for server-to-client updates: authorized `$connect`, connections with their
 * user's `sub`, a ping-only `$default`, a throttled, access-logged stage and an optional notifier.
 */
export class WebSocketApi extends pulumi.ComponentResource {
  /** The WebSocket API resource. */
  public readonly api: aws.apigatewayv2.Api;
  /** The stage clients connect to. */
  public readonly stage: aws.apigatewayv2.Stage;
  /** The `$connect` REQUEST authorizer and its function. */
  public readonly authorizer: aws.apigatewayv2.Authorizer;
  public readonly authorizerFunction: LambdaFunction;
  /** The function behind `$connect`, `$disconnect` and `$default`. */
  public readonly routesFunction: LambdaFunction;
  /** The notifier, when `notifications` is given. */
  public readonly notifierFunction?: LambdaFunction;
  /** The connections table (connection id, sub, TTL; index by sub). */
  public readonly connections: Table;
  /** The API's id. */
  public readonly apiId: pulumi.Output<string>;
  /** `wss://<id>.execute-api.<region>.amazonaws.com/<stage>`: what clients open. */
  public readonly url: pulumi.Output<string>;
  /** `https://<id>.execute-api.<region>.amazonaws.com/<stage>`: the `@connections` endpoint. */
  public readonly managementEndpoint: pulumi.Output<string>;
  /** `arn:<partition>:execute-api:<region>:<account>:<id>`. */
  public readonly executionArn: pulumi.Output<string>;
  /** `<executionArn>/<stage>/POST/@connections/*`: what a poster's role may be granted. */
  public readonly manageConnectionsArn: pulumi.Output<string>;
  /** The connections table's name. */
  public readonly connectionsTableName: pulumi.Output<string>;
  /** The access log group's name. */
  public readonly accessLogGroupName: pulumi.Output<string>;

  private readonly ctx: { name: string; args: WebSocketApiArgs; tags: Record<string, string> };

  constructor(name: string, args: WebSocketApiArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sec1:api:WebSocketApi", name, {}, opts);
    assertValidArgs("WebSocketApi", name, validateWebSocketApiArgs(args, name), this);
    const tags = args.tags ?? {};
    this.ctx = { name, args, tags };
    const protect = args.protect ?? false;

    this.api = new aws.apigatewayv2.Api(
      `${name}-api`,
      {
        protocolType: "WEBSOCKET",
        description: args.description ?? `WebSocket API ${name} (server-to-client updates)`,
        // Every client message lands on $default: there is no route a client can pick by
        // naming an action, so none that posts to another connection.
        routeSelectionExpression: "$request.body.action",
        tags,
      },
      { parent: this, protect },
    );
    this.apiId = this.api.id;
    this.executionArn = this.api.executionArn;
    this.manageConnectionsArn = pulumi.interpolate`${this.api.executionArn}/${args.stageName}/POST/@connections/*`;
    this.managementEndpoint = pulumi.interpolate`${this.api.apiEndpoint.apply((e) => e.replace(/^wss:/, "https:"))}/${args.stageName}`;

    this.connections = new Table(
      `${name}-connections`,
      {
        partitionKey: { name: "connectionId" },
        globalSecondaryIndexes: [
          {
            name: CONNECTIONS_BY_SUB_INDEX,
            partitionKey: { name: "sub" },
            projection: "KEYS_ONLY",
          },
        ],
        ttlAttribute: "expiresAt",
        // Connections are ephemeral (no AWS deletion protection), but the table maps connections
        // to users: `protect` keeps it from being replaced or deleted by a stray change (prod).
        deletionProtection: false,
        protect: args.protect ?? false,
        tags,
      },
      { parent: this },
    );
    this.connectionsTableName = this.connections.tableName;

    const { authorizer, fn } = this.connectAuthorizer();
    this.authorizer = authorizer;
    this.authorizerFunction = fn;
    this.routesFunction = this.routesFunctionOf();
    const routes = this.routes();
    const { stage, accessLogs } = this.stageOf(routes);
    this.stage = stage;
    this.url = stage.invokeUrl;
    this.accessLogGroupName = accessLogs.name;
    if (args.notifications) this.notifierFunction = this.notifier(args.notifications);

    this.registerOutputs({
      apiId: this.apiId,
      url: this.url,
      managementEndpoint: this.managementEndpoint,
      executionArn: this.executionArn,
      manageConnectionsArn: this.manageConnectionsArn,
      connectionsTableName: this.connectionsTableName,
      accessLogGroupName: this.accessLogGroupName,
    });
  }

  /**
   * The `$connect` authorizer: REQUEST, its cache keyed by the identity source (the
   * Sec-WebSocket-Protocol header, which holds the token), invocable only by this authorizer.
   */
  private connectAuthorizer(): { authorizer: aws.apigatewayv2.Authorizer; fn: LambdaFunction } {
    const { name, args, tags } = this.ctx;
    const required = pulumi
      .output(args.scopes)
      .apply((scopes) => args.requiredScopes.map((s) => scopes[s]).join(" "));
    const environment: Record<string, pulumi.Input<string>> = {
      JWT_ISSUER: args.issuerUrl,
      JWT_AUDIENCE: pulumi.output(args.audiences).apply((a) => a.join(",")),
      JWT_REQUIRED_SCOPES: required,
      WS_SUBPROTOCOL: args.subprotocol,
    };
    if (args.jwksUri !== undefined) environment.JWKS_URI = args.jwksUri;
    const fn = new LambdaFunction(
      `${name}-authorizer`,
      {
        handler: "ws-authorizer",
        description: `$connect authorizer of the ${name} WebSocket API (access token, client, scopes)`,
        logRetentionDays: args.logRetentionDays,
        environment,
        timeout: 5,
        reservedConcurrency: args.reservedConcurrency?.authorizer,
        protect: args.protect,
        tags,
      },
      { parent: this },
    );
    const authorizer = new aws.apigatewayv2.Authorizer(
      `${name}-authorizer`,
      {
        apiId: this.api.id,
        name: `${name}-connect`,
        // WebSocket APIs take REQUEST (Lambda) authorizers only, on $connect only.
        authorizerType: "REQUEST",
        authorizerUri: fn.invokeArn,
        // Without this header API Gateway refuses the connection (401) before invoking the
        // function; with it, the decision is cached per header value, i.e. per token.
        identitySources: ["route.request.header.Sec-WebSocket-Protocol"],
        authorizerResultTtlInSeconds: args.authorizerCacheTtlSeconds ?? 300,
      },
      { parent: this },
    );
    authorizerInvokePermission(name, fn, this.api.executionArn, authorizer.id, this);
    return { authorizer, fn };
  }

  /** The function of the three routes: it may put and delete connections, and post nowhere. */
  private routesFunctionOf(): LambdaFunction {
    const { name, args, tags } = this.ctx;
    return new LambdaFunction(
      `${name}-routes`,
      {
        handler: "ws-connections",
        description: `$connect, $disconnect and $default of the ${name} WebSocket API`,
        logRetentionDays: args.logRetentionDays,
        environment: {
          CONNECTIONS_TABLE_NAME: this.connections.tableName,
          WS_SUBPROTOCOL: args.subprotocol,
          CONNECTION_TTL_SECONDS: String(args.connectionTtlHours * 3600),
        },
        statements: this.connections.grant(
          ["dynamodb:PutItem", "dynamodb:DeleteItem"],
          "Connections",
        ),
        timeout: 5,
        reservedConcurrency: args.reservedConcurrency?.routes,
        protect: args.protect,
        tags,
      },
      { parent: this },
    );
  }

  /** `$connect` (authorized), `$disconnect`, `$default` (ping only, with its route response). */
  private routes(): pulumi.Resource[] {
    const { name, args } = this.ctx;
    const integration = new aws.apigatewayv2.Integration(
      `${name}-routes-integration`,
      {
        apiId: this.api.id,
        integrationType: "AWS_PROXY",
        integrationMethod: "POST",
        integrationUri: this.routesFunction.invokeArn,
      },
      { parent: this },
    );
    const target = pulumi.interpolate`integrations/${integration.id}`;
    const route = (slug: string, routeKey: string, extra: Partial<aws.apigatewayv2.RouteArgs>) => {
      // Each route may invoke the function only through this API, this stage and this route.
      new aws.lambda.Permission(
        `${name}-${slug}-invoke`,
        {
          action: "lambda:InvokeFunction",
          function: this.routesFunction.functionName,
          principal: "apigateway.amazonaws.com",
          sourceArn: pulumi.interpolate`${this.api.executionArn}/${args.stageName}/${routeKey}`,
        },
        { parent: this },
      );
      return new aws.apigatewayv2.Route(
        `${name}-${slug}-route`,
        { apiId: this.api.id, routeKey, target, ...extra },
        { parent: this },
      );
    };
    const connect = route("connect", "$connect", {
      authorizationType: "CUSTOM",
      authorizerId: this.authorizer.id,
    });
    // Only $connect takes an authorizer: later frames ride on the authorized connection.
    const disconnect = route("disconnect", "$disconnect", { authorizationType: "NONE" });
    const message = route("default", "$default", {
      authorizationType: "NONE",
      // The handler's answer (pong, or why a message is refused) goes back to the sender only.
      routeResponseSelectionExpression: "$default",
    });
    const response = new aws.apigatewayv2.RouteResponse(
      `${name}-default-response`,
      { apiId: this.api.id, routeId: message.id, routeResponseKey: "$default" },
      { parent: this },
    );
    return [integration, connect, disconnect, message, response];
  }

  /** The deployment (redeployed when any route, integration or the authorizer changes) and stage. */
  private stageOf(served: pulumi.Resource[]): {
    stage: aws.apigatewayv2.Stage;
    accessLogs: aws.cloudwatch.LogGroup;
  } {
    const { name, args, tags } = this.ctx;
    const protect = args.protect ?? false;
    const ids = served.map((r) => (r as unknown as { id: pulumi.Output<string> }).id);
    const deployment = new aws.apigatewayv2.Deployment(
      `${name}-deployment`,
      {
        apiId: this.api.id,
        description: `${name} routes`,
        triggers: {
          // Ids change on replacement; the URIs and sources change in place, and a deployment
          // is a snapshot of both.
          redeployment: pulumi
            .all([
              pulumi.all(ids),
              this.routesFunction.invokeArn,
              this.authorizer.authorizerUri,
              this.authorizer.identitySources,
              this.authorizer.authorizerResultTtlInSeconds,
            ])
            .apply((parts) => deploymentHash([parts, args.subprotocol])),
        },
      },
      { parent: this, dependsOn: served },
    );
    const accessLogs = new aws.cloudwatch.LogGroup(
      `${name}-access-logs`,
      { retentionInDays: args.logRetentionDays, tags },
      { parent: this, protect },
    );
    const stage = new aws.apigatewayv2.Stage(
      `${name}-stage`,
      {
        apiId: this.api.id,
        name: args.stageName,
        deploymentId: deployment.id,
        defaultRouteSettings: {
          throttlingRateLimit: args.rateLimit,
          throttlingBurstLimit: args.burstLimit,
          // Frames and tokens stay out of execution logs.
          dataTraceEnabled: false,
          detailedMetricsEnabled: true,
        },
        accessLogSettings: { destinationArn: accessLogs.arn, format: webSocketAccessLogFormat() },
        tags,
      },
      { parent: this, protect },
    );
    return { stage, accessLogs };
  }

  /**
   * The notifier: reads the stream (its mapping reports partial failures, retries a few times
   * and drops changes older than an hour, stale for a live view), queries the owner's
   * connections, posts to them and deletes the gone ones. Its role may manage connections of
   * this API's stage only.
   */
  private notifier(n: WebSocketNotifications): LambdaFunction {
    const { name, args, tags } = this.ctx;
    const streamArn = pulumi.output(n.streamArn);
    const statements: PolicyStatement[] = [
      ...this.connections.grant(["dynamodb:Query", "dynamodb:DeleteItem"], "Connections"),
      {
        Sid: "ReadStream",
        Effect: "Allow",
        Action: ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"],
        Resource: streamArn,
      },
      {
        Sid: "ListStreams",
        Effect: "Allow",
        Action: "dynamodb:ListStreams",
        Resource: streamArn.apply((a) => a.replace(/\/stream\/[^/]+$/, "/stream/*")),
      },
      {
        // https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-control-access-iam.html
        Sid: "PostToConnections",
        Effect: "Allow",
        Action: "execute-api:ManageConnections",
        Resource: this.manageConnectionsArn,
      },
    ];
    const fn = new LambdaFunction(
      `${name}-notifier`,
      {
        handler: "ws-notifier",
        description: `Posts each change to its owner's connections on the ${name} WebSocket API`,
        logRetentionDays: args.logRetentionDays,
        environment: {
          CONNECTIONS_TABLE_NAME: this.connections.tableName,
          CONNECTIONS_BY_SUB_INDEX: CONNECTIONS_BY_SUB_INDEX,
          CONNECTIONS_ENDPOINT: this.managementEndpoint,
          OWNER_ATTRIBUTE: n.ownerAttribute,
          NOTIFY_ATTRIBUTES: (n.attributes ?? []).join(","),
        },
        statements,
        timeout: 30,
        reservedConcurrency: args.reservedConcurrency?.notifier,
        protect: args.protect,
        tags,
      },
      { parent: this },
    );
    new aws.lambda.EventSourceMapping(
      `${name}-notifier-source`,
      {
        functionName: fn.arn,
        eventSourceArn: streamArn,
        startingPosition: "LATEST",
        batchSize: 100,
        maximumBatchingWindowInSeconds: 1,
        functionResponseTypes: ["ReportBatchItemFailures"],
        bisectBatchOnFunctionError: true,
        maximumRetryAttempts: 3,
        maximumRecordAgeInSeconds: 3600,
        tags,
      },
      // Lambda checks the role's stream permissions when the mapping is created.
      { parent: this, dependsOn: [fn] },
    );
    return fn;
  }
}
