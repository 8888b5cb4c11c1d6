/**
 * The public GraphQL API (AppSync): users sign in with the Cognito user pool or the external OIDC
 * issuer (the default provider), services sign with SigV4 (AWS_IAM, the only additional
 * provider), never API keys. Field-level auth lives in the schema; the loyalty resolver reaches
 * the private REST API from the VPC as the one invoker role allowed `GET /loyalty/{customerId}`.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { LOG_RETENTION_DAYS } from "../config";
import { Function } from "./function";
import {
  DEFAULT_SCHEMA_FILE,
  loadSchemaFile,
  PreparedSchema,
  providersFor,
  UserAuth,
} from "./graphql-schema";
import { autonameProblems, NAME_LIMITS } from "./names";

/** Who the API's users are: the default provider. */
export type AppSyncIdentity =
  | {
      kind: "cognito";
      /** The user pool id (`<region>_<id>`). */
      userPoolId: pulumi.Input<string>;
      /** The user pool's region. */
      region: pulumi.Input<string>;
      /** Only tokens of app clients matching this regex are accepted (default: any client of the pool). */
      appIdClientRegex?: pulumi.Input<string>;
    }
  | {
      kind: "oidc";
      /** The issuer, an https:// URL; AppSync appends /.well-known/openid-configuration. */
      issuer: pulumi.Input<string>;
      /**
       * The accepted audiences (`aud`, e.g. Identity.audiences). AppSync takes one client id
       * that it reads as a regular expression: they are escaped and joined (see
       * {@link audienceRegex}), so `api.example.com` cannot also match `apiXexample.com`.
       */
      audiences?: pulumi.Input<pulumi.Input<string>[]>;
      /** A client-id regular expression written by hand; prefer `audiences`. Not with `audiences`. */
      clientId?: pulumi.Input<string>;
    };

/**
 * AppSync's OIDC `clientId` for a list of audiences: each escaped as a regular-expression literal,
 * joined by `|`. Plain ids (letters, digits, `:`, `/`, `-`) come out unchanged, so a single
 * audience is also its own literal. Undefined for none.
 */
export function audienceRegex(audiences: string[]): string | undefined {
  if (audiences.length === 0) return undefined;
  return audiences.map((a) => a.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|");
}

/** Where bookings live: the table (APPSYNC_JS resolvers) or a function (direct Lambda resolvers). */
export type BookingsBackend =
  | {
      kind: "dynamodb";
      /** The bookings table's name. */
      tableName: pulumi.Input<string>;
      /** The bookings table's ARN: the data source role is granted this table only. */
      tableArn: pulumi.Input<string>;
      /** Partition key attribute: the customer (the caller's `sub`). Default "customerId". */
      partitionKey?: string;
      /** Sort key attribute: the booking id. Default "bookingId". */
      sortKey?: string;
    }
  | {
      kind: "lambda";
      /** A function that understands AppSync's direct Lambda resolver event. */
      functionArn: pulumi.Input<string>;
    };

export interface AppSyncApiArgs {
  /** The default provider: the user pool or the external OIDC issuer. */
  identity: AppSyncIdentity;
  /** The bookings backend. */
  bookings: BookingsBackend;
  /** The private loyalty REST API the loyalty resolver calls (through the VPC endpoint). */
  loyaltyApi: {
    /** Its REST API id: the host is `<id>.execute-api.<region>.<dnsSuffix>`. */
    restApiId: pulumi.Input<string>;
    /** The stage, e.g. "v1". */
    stageName: pulumi.Input<string>;
  };
  /**
   * The loyalty resolver's role, made by the private API tier: trusted by lambda.amazonaws.com
   * and allowed only `execute-api:Invoke` on `GET /loyalty/{customerId}` of that stage. The
   * function component adds log, trace and VPC network-interface permissions to it.
   */
  loyaltyInvokerRole: aws.iam.Role;
  /**
   * The SSM SecureString holding the loyalty usage plan's API key (sent as x-api-key for quotas,
   * not identity): the resolver reads it at cold start, so the key is not in its environment.
   */
  loyaltyApiKeyParameter: { name: pulumi.Input<string>; arn: pulumi.Input<string> };
  /** Private subnets and security groups (the network's client group) of the loyalty resolver. */
  vpc: {
    /** Private subnets, in at least two AZs. */
    subnetIds: pulumi.Input<pulumi.Input<string>[]>;
    /** Security groups allowed to reach the execute-api VPC endpoint on 443. */
    securityGroupIds: pulumi.Input<string>[];
  };
  /** AppSync field log level (config `appsyncFieldLogLevel`). */
  fieldLogLevel: "NONE" | "ERROR" | "INFO" | "DEBUG" | "ALL";
  /** Whether introspection is allowed (config `appsyncIntrospection`; off in prod). */
  introspection: boolean;
  /** Maximum query depth, 1-75; 0 means no limit (config `appsyncQueryDepthLimit`). */
  queryDepthLimit: number;
  /** Whether a WAF web ACL is associated with the API (config `wafEnabled`). */
  wafEnabled: boolean;
  /** Requests per IP per 5 minutes before WAF blocks (config `wafRateLimit`). */
  wafRateLimit: number;
  /** Retention of the API's and the resolver's log groups, in days. */
  logRetentionDays: number;
  /** The user group that may read any customer's loyalty (default "admin"). */
  adminGroup?: string;
  /**
   * The token claim listing a user's groups. Default `cognito:groups` with Cognito; with OIDC
   * none (no admins), since an external IdP's `groups` claim means what that IdP says it means.
   */
  adminGroupsClaim?: string;
  /** Reserved concurrency of the loyalty resolver: caps what it can take from the account. */
  reservedConcurrency?: number;
  /**
   * Protect the API (its URL is in every client) and the API's and resolver's log groups from
   * deletion (prod).
   */
  protect?: boolean;
  /** The schema file (default `components/schema.graphql`). */
  schemaFile?: string;
  /** Tags for every taggable child. */
  tags?: Record<string, string>;
}

/** Root fields and which data source resolves them. */
export const RESOLVED_FIELDS: Record<string, "loyalty" | "bookings"> = {
  "Query.myLoyalty": "loyalty",
  "Query.loyalty": "loyalty",
  "Query.myBookings": "bookings",
  "Query.booking": "bookings",
  "Query.customerBookings": "bookings",
  "Mutation.createBooking": "bookings",
};

const FIELD_LOG_LEVELS = ["NONE", "ERROR", "INFO", "DEBUG", "ALL"];
const ATTRIBUTE = /^[A-Za-z0-9_.-]{1,255}$/;

function isHttpsUrl(v: string): boolean {
  try {
    const u = new URL(v);
    return u.protocol === "https:" && u.hostname.length > 0;
  } catch {
    return false;
  }
}

/**
 * Every problem of the args, each naming its field; empty when they are fine. With the
 * component's `name`, also checks that the roles and the resolver function named after it fit
 * their 64-character limits once autonamed.
 */
export function validateAppSyncApiArgs(args: AppSyncApiArgs, name?: string): string[] {
  const problems: string[] = [];
  if (name !== undefined)
    problems.push(
      ...autonameProblems(
        "name",
        "IAM role",
        [`${name}-logs-role`, `${name}-loyalty-ds-role`, `${name}-bookings-ds-role`],
        NAME_LIMITS.iamRole,
      ),
      ...autonameProblems(
        "name",
        "Lambda function",
        [`${name}-loyalty-function`],
        NAME_LIMITS.lambdaFunction,
      ),
    );
  const identity = args.identity as { kind?: unknown; issuer?: unknown } | undefined;
  if (!identity || (identity.kind !== "cognito" && identity.kind !== "oidc"))
    problems.push(
      `identity.kind: expected "cognito" or "oidc", found ${JSON.stringify(identity?.kind)}`,
    );
  else if (identity.kind === "oidc") {
    if (typeof identity.issuer === "string" && !isHttpsUrl(identity.issuer))
      problems.push(
        `identity.issuer: expected an https:// URL, found ${JSON.stringify(identity.issuer)}`,
      );
    const oidc = identity as { audiences?: unknown; clientId?: unknown };
    if (oidc.audiences !== undefined && oidc.clientId !== undefined)
      problems.push("identity.audiences: give audiences or clientId, not both");
    if (Array.isArray(oidc.audiences) && oidc.audiences.length === 0)
      problems.push("identity.audiences: expected at least one audience");
  }
  const bookings = args.bookings as { kind?: unknown; partitionKey?: unknown; sortKey?: unknown };
  if (!bookings || (bookings.kind !== "dynamodb" && bookings.kind !== "lambda"))
    problems.push(
      `bookings.kind: expected "dynamodb" or "lambda", found ${JSON.stringify(bookings?.kind)}`,
    );
  for (const key of ["partitionKey", "sortKey"] as const) {
    const v = bookings?.[key];
    if (v !== undefined && (typeof v !== "string" || !ATTRIBUTE.test(v)))
      problems.push(
        `bookings.${key}: expected a DynamoDB attribute name, found ${JSON.stringify(v)}`,
      );
  }
  if (!pulumi.CustomResource.isInstance(args.loyaltyInvokerRole))
    problems.push("loyaltyInvokerRole: expected the invoker role (an aws.iam.Role)");
  if (!FIELD_LOG_LEVELS.includes(args.fieldLogLevel))
    problems.push(
      `fieldLogLevel: expected one of ${FIELD_LOG_LEVELS.join(", ")}, found ${JSON.stringify(args.fieldLogLevel)}`,
    );
  if (
    !Number.isInteger(args.queryDepthLimit) ||
    args.queryDepthLimit < 0 ||
    args.queryDepthLimit > 75
  )
    problems.push(
      `queryDepthLimit: expected an integer from 0 (no limit) to 75, found ${args.queryDepthLimit}`,
    );
  if (
    args.wafEnabled &&
    (!Number.isInteger(args.wafRateLimit) ||
      args.wafRateLimit < 10 ||
      args.wafRateLimit > 2_000_000_000)
  )
    problems.push(
      `wafRateLimit: expected an integer from 10 to 2000000000, found ${args.wafRateLimit}`,
    );
  if (!(LOG_RETENTION_DAYS as readonly number[]).includes(args.logRetentionDays))
    problems.push(
      `logRetentionDays: expected a CloudWatch Logs retention, found ${args.logRetentionDays}`,
    );
  if (
    args.adminGroup !== undefined &&
    !/^[\p{L}\p{M}\p{S}\p{N}\p{P}]{1,128}$/u.test(args.adminGroup)
  )
    problems.push(
      `adminGroup: expected a group name of 1-128 characters, found ${JSON.stringify(args.adminGroup)}`,
    );
  return problems;
}

/** Raised for bad args; lists every problem. */
export class AppSyncApiArgsError extends Error {
  constructor(name: string, problems: string[]) {
    super(`AppSyncApi '${name}' has invalid args:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "AppSyncApiArgsError";
  }
}

/** The APPSYNC_JS code of a bookings resolver on the table (unit resolver, runtime 1.0.0). */
export function bookingsResolverCode(field: string, partitionKey: string, sortKey: string): string {
  const common = `import { util } from "@aws-appsync/utils";
const PK = ${JSON.stringify(partitionKey)};
const SK = ${JSON.stringify(sortKey)};
// Items are shared with the bookings REST handler, which stores seatClass in lower case.
function toBooking(item) {
  return { id: item[SK], customerId: item[PK], flightId: item.flightId, passengers: item.passengers,
    seatClass: item.seatClass ? item.seatClass.toUpperCase() : null, status: item.status, createdAt: item.createdAt };
}
// DynamoDB's error details stay in the API's logs; the caller gets a fixed message.
function failIfError(ctx) {
  if (ctx.error) util.error("Bookings service unavailable", "ServiceUnavailable");
}
function caller(ctx) {
  if (!ctx.identity || !ctx.identity.sub) util.unauthorized();
  return ctx.identity.sub;
}
function byCustomer(customerId, args) {
  const limit = args.limit && args.limit > 0 ? Math.min(args.limit, 100) : 20;
  const values = {};
  values[":pk"] = customerId;
  return { operation: "Query", limit: limit, nextToken: args.nextToken || null, scanIndexForward: false,
    query: { expression: "#pk = :pk", expressionNames: { "#pk": PK }, expressionValues: util.dynamodb.toMapValues(values) } };
}
function page(ctx) {
  failIfError(ctx);
  return { items: ctx.result.items.map(toBooking), nextToken: ctx.result.nextToken || null };
}
`;
  switch (field) {
    case "Query.myBookings":
      return `${common}export function request(ctx) { return byCustomer(caller(ctx), ctx.args); }
export function response(ctx) { return page(ctx); }
`;
    case "Query.customerBookings":
      return `${common}export function request(ctx) { return byCustomer(ctx.args.customerId, ctx.args); }
export function response(ctx) { return page(ctx); }
`;
    case "Query.booking":
      // The key includes the caller's sub, so another customer's booking is simply not found.
      return `${common}export function request(ctx) {
  const key = {};
  key[PK] = caller(ctx);
  key[SK] = ctx.args.id;
  return { operation: "GetItem", key: util.dynamodb.toMapValues(key) };
}
export function response(ctx) { failIfError(ctx); return ctx.result ? toBooking(ctx.result) : null; }
`;
    case "Mutation.createBooking":
      return `${common}export function request(ctx) {
  const input = ctx.args.input;
  if (!util.matches("^[A-Za-z0-9-]{1,64}$", input.flightId)) util.error("flightId must be 1-64 letters, digits or dashes", "BadRequest");
  if (input.passengers < 1 || input.passengers > 9) util.error("passengers must be 1-9", "BadRequest");
  const key = {};
  key[PK] = caller(ctx);
  key[SK] = util.autoId();
  return { operation: "PutItem", key: util.dynamodb.toMapValues(key),
    attributeValues: util.dynamodb.toMapValues({ flightId: input.flightId, passengers: input.passengers,
      seatClass: input.seatClass.toLowerCase(), status: "CONFIRMED", createdAt: util.time.nowISO8601() }),
    condition: { expression: "attribute_not_exists(#sk)", expressionNames: { "#sk": SK } } };
}
export function response(ctx) { failIfError(ctx); return toBooking(ctx.result); }
`;
    default:
      throw new Error(`no bookings resolver for ${field}`);
  }
}

/**
 * The GraphQL API with its providers, schema, data sources, resolvers, logging, tracing and,
 * when enabled, a WAF web ACL.
 */
export class AppSyncApi extends pulumi.ComponentResource {
  public readonly api: aws.appsync.GraphQLApi;
  public readonly apiId: pulumi.Output<string>;
  public readonly arn: pulumi.Output<string>;
  public readonly graphqlUrl: pulumi.Output<string>;
  public readonly logGroupName: pulumi.Output<string>;
  public readonly loyaltyFunction: Function;
  public readonly webAclArn: pulumi.Output<string | undefined>;
  /** The providers the API accepts: the default first. */
  public readonly authenticationTypes: string[];

  constructor(name: string, args: AppSyncApiArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sec1:appsync:AppSyncApi", name, {}, opts);
    const problems = validateAppSyncApiArgs(args, name);
    // A bad schema is reported here, with file, line and column, together with every other
    // problem of the args, before any child exists.
    const userAuth = args.identity?.kind as UserAuth;
    let schema: PreparedSchema | undefined;
    if (userAuth === "cognito" || userAuth === "oidc") {
      try {
        schema = loadSchemaFile(args.schemaFile ?? DEFAULT_SCHEMA_FILE, userAuth);
      } catch (err) {
        problems.push(`schemaFile: ${(err as Error).message.replace(/\n/g, "\n    ")}`);
      }
    }
    if (schema) {
      const fields = schema.rootFields;
      for (const f of fields.filter((x) => !(x in RESOLVED_FIELDS)))
        problems.push(`schemaFile: ${f} has no resolver in this component`);
      for (const f of Object.keys(RESOLVED_FIELDS).filter((x) => !fields.includes(x)))
        problems.push(`schemaFile: ${f} is resolved by this component but missing from the schema`);
    }
    if (problems.length > 0 || !schema) throw new AppSyncApiArgsError(name, problems);

    const tags = args.tags ?? {};
    const protect = args.protect ?? false;
    const parent = { parent: this };
    const account = aws.getCallerIdentityOutput({}, parent).accountId;
    const partition = aws.getPartitionOutput({}, parent);
    const region = aws.getRegionOutput({}, parent).region;
    this.authenticationTypes = providersFor(userAuth);

    // AppSync assumes this role to write the API's logs; the policy comes after the log group.
    const logRole = new aws.iam.Role(
      `${name}-logs-role`,
      {
        description: `AppSync ${name} writes its logs`,
        assumeRolePolicy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { Service: "appsync.amazonaws.com" },
              Action: "sts:AssumeRole",
              // Confused deputy: only AppSync APIs of this account (the API's ARN is not known yet).
              Condition: {
                StringEquals: { "aws:SourceAccount": account },
                ArnLike: {
                  "aws:SourceArn": pulumi.interpolate`arn:${partition.partition}:appsync:${region}:${account}:apis/*`,
                },
              },
            },
          ],
        }),
        tags,
      },
      parent,
    );

    const user =
      args.identity.kind === "cognito"
        ? {
            authenticationType: "AMAZON_COGNITO_USER_POOLS",
            userPoolConfig: {
              userPoolId: args.identity.userPoolId,
              awsRegion: args.identity.region,
              appIdClientRegex: args.identity.appIdClientRegex,
              // AppSync requires ALLOW when additional providers exist; the schema's directives
              // then decide per field.
              defaultAction: "ALLOW",
            },
          }
        : {
            authenticationType: "OPENID_CONNECT",
            openidConnectConfig: {
              issuer: args.identity.issuer,
              clientId:
                args.identity.audiences !== undefined
                  ? pulumi.output(args.identity.audiences).apply((a) => audienceRegex(a) as string)
                  : args.identity.clientId,
            },
          };

    this.api = new aws.appsync.GraphQLApi(
      `${name}-api`,
      {
        name: `${name}-${pulumi.getStack()}`,
        ...user,
        // Service callers sign with SigV4; there is no API_KEY provider.
        additionalAuthenticationProviders: [{ authenticationType: "AWS_IAM" }],
        schema: schema.sdl,
        visibility: "GLOBAL",
        xrayEnabled: true,
        introspectionConfig: args.introspection ? "ENABLED" : "DISABLED",
        queryDepthLimit: args.queryDepthLimit > 0 ? args.queryDepthLimit : undefined,
        logConfig: {
          cloudwatchLogsRoleArn: logRole.arn,
          fieldLogLevel: args.fieldLogLevel,
          // Request/response headers and resolver mapping contents carry tokens and personal data.
          excludeVerboseContent: true,
        },
        tags,
      },
      { parent: this, protect },
    );
    this.apiId = this.api.id;
    this.arn = this.api.arn;
    this.graphqlUrl = this.api.uris.apply((u) => u["GRAPHQL"]);

    // AppSync writes to /aws/appsync/apis/<apiId>. The group exists (with retention) before the
    // role may write to it, so AppSync never creates it without retention.
    const logGroup = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      {
        name: pulumi.interpolate`/aws/appsync/apis/${this.api.id}`,
        retentionInDays: args.logRetentionDays,
        tags,
      },
      { parent: this, protect },
    );
    this.logGroupName = logGroup.name;
    new aws.iam.RolePolicy(
      `${name}-logs-policy`,
      {
        role: logRole.id,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "WriteThisApisLogs",
              Effect: "Allow",
              Action: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
              Resource: [logGroup.arn, pulumi.interpolate`${logGroup.arn}:*`],
            },
          ],
        }),
      },
      parent,
    );

    // Data-source roles: assumable by AppSync for this API only, each allowed only what it calls.
    const dataSourceRole = (role: string, statement: Record<string, unknown>) => {
      const r = new aws.iam.Role(
        `${name}-${role}-ds-role`,
        {
          description: `AppSync ${name} data source ${role}`,
          assumeRolePolicy: pulumi.jsonStringify({
            Version: "2012-10-17",
            Statement: [
              {
                Effect: "Allow",
                Principal: { Service: "appsync.amazonaws.com" },
                Action: "sts:AssumeRole",
                Condition: {
                  StringEquals: { "aws:SourceAccount": account },
                  ArnEquals: { "aws:SourceArn": this.api.arn },
                },
              },
            ],
          }),
          tags,
        },
        parent,
      );
      const policy = new aws.iam.RolePolicy(
        `${name}-${role}-ds-policy`,
        {
          role: r.id,
          policy: pulumi.jsonStringify({ Version: "2012-10-17", Statement: [statement] }),
        },
        parent,
      );
      return { role: r, policy };
    };

    // The loyalty resolver runs as the invoker role in the private subnets; the private DNS of
    // the execute-api VPC endpoint resolves the API's default host name to the endpoint.
    const dnsSuffix = partition.dnsSuffix;
    this.loyaltyFunction = new Function(
      `${name}-loyalty`,
      {
        handler: "loyalty-resolver",
        description: `AppSync ${name}: loyalty resolver calling the private loyalty API with SigV4`,
        logRetentionDays: args.logRetentionDays,
        role: args.loyaltyInvokerRole,
        reservedConcurrency: args.reservedConcurrency,
        protect,
        vpc: { subnetIds: args.vpc.subnetIds, securityGroupIds: args.vpc.securityGroupIds },
        environment: {
          LOYALTY_API_URL: pulumi.interpolate`https://${args.loyaltyApi.restApiId}.execute-api.${region}.${dnsSuffix}/${args.loyaltyApi.stageName}`,
          // The usage plan's key (a quota, not identity: the SigV4 signature is the identity) is
          // read from Parameter Store at cold start, never kept in the function's configuration.
          LOYALTY_API_KEY_PARAMETER: args.loyaltyApiKeyParameter.name,
          ADMIN_GROUPS_CLAIM:
            args.adminGroupsClaim ?? (args.identity.kind === "cognito" ? "cognito:groups" : ""),
          ADMIN_GROUPS: args.adminGroup ?? "admin",
          LOYALTY_TIMEOUT_MS: "3000",
        },
        statements: [
          {
            Sid: "ReadUsagePlanKey",
            Effect: "Allow",
            Action: "ssm:GetParameter",
            Resource: args.loyaltyApiKeyParameter.arn,
          },
        ],
        // Whoever may iam:PassRole the invoker role cannot invoke the API from another function.
        exclusiveRoleActions: ["execute-api:Invoke"],
        timeout: 10,
        tags,
      },
      parent,
    );
    const loyaltyRole = dataSourceRole("loyalty", {
      Sid: "InvokeLoyaltyResolver",
      Effect: "Allow",
      Action: "lambda:InvokeFunction",
      Resource: this.loyaltyFunction.arn,
    });
    const loyaltySource = new aws.appsync.DataSource(
      `${name}-loyalty-ds`,
      {
        apiId: this.api.id,
        name: "LoyaltyResolver",
        description: "Loyalty from the private REST API, through the resolver in the VPC",
        type: "AWS_LAMBDA",
        lambdaConfig: { functionArn: this.loyaltyFunction.arn },
        serviceRoleArn: loyaltyRole.role.arn,
      },
      // AppSync checks the role when the data source is created and first used.
      { parent: this, dependsOn: [loyaltyRole.policy] },
    );

    const b = args.bookings;
    const bookingsRole =
      b.kind === "dynamodb"
        ? dataSourceRole("bookings", {
            Sid: "ReadWriteBookings",
            Effect: "Allow",
            Action: ["dynamodb:Query", "dynamodb:GetItem", "dynamodb:PutItem"],
            Resource: b.tableArn,
          })
        : dataSourceRole("bookings", {
            Sid: "InvokeBookingsFunction",
            Effect: "Allow",
            Action: "lambda:InvokeFunction",
            Resource: b.functionArn,
          });
    const bookingsSource = new aws.appsync.DataSource(
      `${name}-bookings-ds`,
      b.kind === "dynamodb"
        ? {
            apiId: this.api.id,
            name: "BookingsTable",
            description: "Bookings, keyed by customer (the caller's sub)",
            type: "AMAZON_DYNAMODB",
            dynamodbConfig: { tableName: b.tableName, region },
            serviceRoleArn: bookingsRole.role.arn,
          }
        : {
            apiId: this.api.id,
            name: "BookingsFunction",
            description: "Bookings, through the bookings function",
            type: "AWS_LAMBDA",
            lambdaConfig: { functionArn: b.functionArn },
            serviceRoleArn: bookingsRole.role.arn,
          },
      { parent: this, dependsOn: [bookingsRole.policy] },
    );

    for (const [key, source] of Object.entries(RESOLVED_FIELDS)) {
      const [type, field] = key.split(".");
      const jsResolver = source === "bookings" && b.kind === "dynamodb";
      new aws.appsync.Resolver(
        `${name}-${type.toLowerCase()}-${field}`,
        {
          apiId: this.api.id,
          type,
          field,
          kind: "UNIT",
          dataSource: (source === "loyalty" ? loyaltySource : bookingsSource).name,
          // Lambda data sources without code are direct Lambda resolvers: the whole context
          // (arguments, identity, info) reaches the function.
          ...(jsResolver
            ? {
                runtime: { name: "APPSYNC_JS", runtimeVersion: "1.0.0" },
                code: bookingsResolverCode(
                  key,
                  b.partitionKey ?? "customerId",
                  b.sortKey ?? "bookingId",
                ),
              }
            : {}),
        },
        parent,
      );
    }

    let webAclArn: pulumi.Output<string | undefined> = pulumi.output(undefined);
    if (args.wafEnabled) {
      const metric = (suffix: string) =>
        `${name}-${suffix}`.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 128);
      const visibility = (suffix: string) => ({
        cloudwatchMetricsEnabled: true,
        sampledRequestsEnabled: true,
        metricName: metric(suffix),
      });
      const managed = (priority: number, groupName: string, suffix: string) => ({
        name: groupName,
        priority,
        // "none" keeps the group's own block actions (count would only observe).
        overrideAction: { none: {} },
        statement: { managedRuleGroupStatement: { vendorName: "AWS", name: groupName } },
        visibilityConfig: visibility(suffix),
      });
      const acl = new aws.wafv2.WebAcl(
        `${name}-waf`,
        {
          description: `Protects the public GraphQL API ${name}`,
          scope: "REGIONAL",
          defaultAction: { allow: {} },
          rules: [
            {
              name: "rate-limit-per-ip",
              priority: 0,
              action: { block: {} },
              statement: {
                rateBasedStatement: { limit: args.wafRateLimit, aggregateKeyType: "IP" },
              },
              visibilityConfig: visibility("rate-limit"),
            },
            managed(1, "AWSManagedRulesCommonRuleSet", "common"),
            managed(2, "AWSManagedRulesKnownBadInputsRuleSet", "bad-inputs"),
          ],
          visibilityConfig: visibility("waf"),
          tags,
        },
        parent,
      );
      // An API has at most one web ACL and deleting an association disassociates whatever ACL
      // the API has: replaced create-first, the old association's delete would strip the new
      // one and leave the API without WAF. Delete first (a moment without WAF, then protected).
      new aws.wafv2.WebAclAssociation(
        `${name}-waf-association`,
        { resourceArn: this.api.arn, webAclArn: acl.arn },
        { parent: this, deleteBeforeReplace: true },
      );
      webAclArn = acl.arn;
    }
    this.webAclArn = webAclArn;

    this.registerOutputs({
      apiId: this.apiId,
      arn: this.arn,
      graphqlUrl: this.graphqlUrl,
      logGroupName: this.logGroupName,
      loyaltyFunctionArn: this.loyaltyFunction.arn,
      webAclArn: this.webAclArn,
    });
  }
}
