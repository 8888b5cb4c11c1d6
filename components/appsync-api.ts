/**
 * A public GraphQL API (AppSync): users sign in with a Cognito user pool or an external OIDC
 * issuer (the default provider), services sign with SigV4 (AWS_IAM, the only additional
 * provider), never API keys. Field-level auth lives in the app's schema file; the app's data
 * sources (DynamoDB tables, Lambda functions) and resolvers (APPSYNC_JS files) are given as args.
 */
import * as fs from "fs";
import * as path from "path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { BuildFailure } from "esbuild";
import { assertValidArgs, isHttpsUrl, logRetentionProblems } from "./args";
import { loadSchemaFile, PreparedSchema, providersFor, UserAuth } from "./graphql-schema";
import { autonameProblems, NAME_LIMITS } from "./names";
import { cachedBundle } from "./bundle";

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

/** A data source: a DynamoDB table the resolvers' code reads and writes, or a Lambda function. */
export type AppSyncDataSource =
  | {
      kind: "dynamodb";
      /** The table's name. */
      tableName: pulumi.Input<string>;
      /** The table's ARN: the data source's role is granted this table only. */
      tableArn: pulumi.Input<string>;
      /** The DynamoDB actions the resolvers send, e.g. `dynamodb:GetItem`; nothing else is allowed. */
      actions: string[];
      /** What it holds, shown in the console. */
      description?: string;
    }
  | {
      kind: "lambda";
      /** The function's ARN: the data source's role may invoke this function only. */
      functionArn: pulumi.Input<string>;
      /** What it answers, shown in the console. */
      description?: string;
    };

/** How one root field is resolved. */
export interface AppSyncResolver {
  /** A key of `AppSyncApiArgs.dataSources`. */
  dataSource: string;
  /**
   * An APPSYNC_JS file (runtime 1.0.0) exporting `request` and `response`; it may import its
   * own helper files, which are bundled in (esbuild, `@aws-appsync/utils` left to AppSync).
   * Required for DynamoDB data sources; without it a Lambda data source is a direct Lambda
   * resolver (the whole context reaches the function).
   */
  codeFile?: string;
}

export interface AppSyncApiArgs {
  /** The default provider: the user pool or the external OIDC issuer. */
  identity: AppSyncIdentity;
  /**
   * The schema file, written for Cognito (`@aws_cognito_user_pools`; rewritten to `@aws_oidc`
   * for an OIDC issuer). Every type and root field must say who may read it.
   */
  schemaFile: string;
  /** The data sources, by key (AppSync's name is the key in PascalCase). */
  dataSources: Record<string, AppSyncDataSource>;
  /** A resolver for every root field of the schema, keyed "Type.field". */
  resolvers: Record<string, AppSyncResolver>;
  /**
   * Values the resolvers' code reads as top-level constants (`const KEY = <JSON>;`), declared
   * in each resolver's bundled code after its imports: AppSync JS resolvers have no configuration of their
   * own that this provider can set. Keys are JavaScript identifiers; values JSON.
   */
  resolverConstants?: pulumi.Input<Record<string, unknown>>;
  /** AppSync field log level: ALL and DEBUG log field values. */
  fieldLogLevel: "NONE" | "ERROR" | "INFO" | "DEBUG" | "ALL";
  /** Whether introspection is allowed. */
  introspection: boolean;
  /** Maximum query depth, 1-75; 0 means no limit. */
  queryDepthLimit: number;
  /** Whether a WAF web ACL (per-IP rate rule and AWS managed rule groups) protects the API. */
  wafEnabled: boolean;
  /** Requests per IP per 5 minutes before WAF blocks. */
  wafRateLimit: number;
  /** Retention of the API's log group, in days. */
  logRetentionDays: number;
  /** Protect the API (its URL is in every client) and its log group from deletion. */
  protect?: boolean;
  /** Tags for every taggable child. */
  tags?: Record<string, string>;
}

const FIELD_LOG_LEVELS = ["NONE", "ERROR", "INFO", "DEBUG", "ALL"];
const DATA_SOURCE_KEY = /^[a-z][a-z0-9-]{0,30}$/;
const DYNAMODB_ACTION = /^dynamodb:[A-Za-z]+$/;

/** AppSync's data source name for a key: `loyalty-resolver` → `LoyaltyResolver`. */
export function dataSourceName(key: string): string {
  return key
    .split("-")
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join("");
}

function identityProblems(args: AppSyncApiArgs): string[] {
  const problems: string[] = [];
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
  return problems;
}

function dataSourceProblems(args: AppSyncApiArgs, name?: string): string[] {
  const problems: string[] = [];
  const sources = Object.entries(args.dataSources ?? {});
  if (sources.length === 0) problems.push("dataSources: expected at least one data source");
  for (const [key, source] of sources) {
    const at = `dataSources.${key}`;
    if (!DATA_SOURCE_KEY.test(key))
      problems.push(`${at}: expected a key of lowercase letters, digits and dashes (1-31)`);
    const kind = (source as { kind?: unknown })?.kind;
    if (kind !== "dynamodb" && kind !== "lambda")
      problems.push(`${at}.kind: expected "dynamodb" or "lambda", found ${JSON.stringify(kind)}`);
    if (kind === "dynamodb") {
      const actions = (source as { actions?: unknown }).actions;
      if (
        !Array.isArray(actions) ||
        actions.length === 0 ||
        !actions.every((a) => typeof a === "string" && DYNAMODB_ACTION.test(a))
      )
        problems.push(
          `${at}.actions: expected DynamoDB actions such as dynamodb:GetItem (no wildcards), found ${JSON.stringify(actions)}`,
        );
    }
    if (name !== undefined)
      problems.push(
        ...autonameProblems("name", "IAM role", [`${name}-${key}-ds-role`], NAME_LIMITS.iamRole),
      );
  }
  return problems;
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** A resolver's code with the constants declared in it; throws for a key that is no identifier. */
export function withConstants(constants: Record<string, unknown>, code: string): string {
  const keys = Object.keys(constants);
  const bad = keys.filter((k) => !IDENTIFIER.test(k));
  if (bad.length > 0)
    throw new Error(`resolverConstants: expected JavaScript identifiers, found ${bad.join(", ")}`);
  if (keys.length === 0) return code;
  const declarations = keys.map((k) => `const ${k} = ${JSON.stringify(constants[k])};`);
  // After the bundle's imports (esbuild writes them first), before any code that reads them.
  const lines = code.split("\n");
  const after = lines.reduce((last, line, i) => (/^import\s/.test(line) ? i + 1 : last), 0);
  return [...lines.slice(0, after), ...declarations, ...lines.slice(after)].join("\n");
}

function resolverProblems(args: AppSyncApiArgs): string[] {
  const problems: string[] = [];
  const constants = args.resolverConstants;
  if (constants !== undefined && !pulumi.Output.isInstance(constants))
    for (const k of Object.keys(constants).filter((key) => !IDENTIFIER.test(key)))
      problems.push(`resolverConstants.${k}: expected a JavaScript identifier`);
  for (const [field, resolver] of Object.entries(args.resolvers ?? {})) {
    const at = `resolvers['${field}']`;
    if (!/^[A-Za-z_]\w*\.[A-Za-z_]\w*$/.test(field))
      problems.push(`${at}: expected a key "Type.field"`);
    const source = args.dataSources?.[resolver?.dataSource];
    if (!source)
      problems.push(
        `${at}.dataSource: expected one of ${Object.keys(args.dataSources ?? {}).join(", ")}, found ${JSON.stringify(resolver?.dataSource)}`,
      );
    if (resolver?.codeFile !== undefined && !fs.existsSync(resolver.codeFile))
      problems.push(`${at}.codeFile: no file at ${resolver.codeFile}`);
    if (source?.kind === "dynamodb" && resolver?.codeFile === undefined)
      problems.push(`${at}.codeFile: required for the DynamoDB data source ${resolver.dataSource}`);
  }
  return problems;
}

/**
 * Every problem of the args, each naming its field; empty when they are fine. With the
 * component's `name`, also checks that the roles named after it fit IAM's 64 characters.
 */
export function validateAppSyncApiArgs(args: AppSyncApiArgs, name?: string): string[] {
  const problems: string[] = [];
  if (name !== undefined)
    problems.push(
      ...autonameProblems("name", "IAM role", [`${name}-logs-role`], NAME_LIMITS.iamRole),
    );
  problems.push(...identityProblems(args), ...dataSourceProblems(args, name));
  problems.push(...resolverProblems(args));
  if (!FIELD_LOG_LEVELS.includes(args.fieldLogLevel))
    problems.push(
      `fieldLogLevel: expected one of ${FIELD_LOG_LEVELS.join(", ")}, found ${JSON.stringify(args.fieldLogLevel)}`,
    );
  const depth = args.queryDepthLimit;
  if (!Number.isInteger(depth) || depth < 0 || depth > 75)
    problems.push(`queryDepthLimit: expected an integer from 0 (no limit) to 75, found ${depth}`);
  const rate = args.wafRateLimit;
  if (args.wafEnabled && (!Number.isInteger(rate) || rate < 10 || rate > 2_000_000_000))
    problems.push(`wafRateLimit: expected an integer from 10 to 2000000000, found ${rate}`);
  problems.push(...logRetentionProblems("logRetentionDays", args.logRetentionDays));
  return problems;
}

/**
 * The code AppSync runs for a resolver file: the file and the helpers it imports, bundled into
 * one ES module (AppSync takes one file per resolver), `@aws-appsync/*` left to the runtime.
 * Paths in esbuild's comments are relative to the file's folder, so the code does not depend on
 * where the program runs. Throws esbuild's failure with file, line and column.
 */
export function resolverCode(file: string): string {
  const entry = path.resolve(file);
  return cachedBundle(entry, {
    absWorkingDir: path.dirname(entry),
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2020",
    external: ["@aws-appsync/*"],
    minify: false,
    sourcemap: false,
    legalComments: "none",
    logLevel: "silent",
  });
}

/** Bundles every resolver's code; a file that does not build becomes a problem with its place. */
function bundleResolvers(args: AppSyncApiArgs, problems: string[]): Map<string, string> {
  const code = new Map<string, string>();
  for (const [field, resolver] of Object.entries(args.resolvers ?? {})) {
    if (!resolver?.codeFile || !fs.existsSync(resolver.codeFile)) continue;
    try {
      code.set(field, resolverCode(resolver.codeFile));
    } catch (err) {
      const errors = (err as BuildFailure).errors ?? [];
      const where = errors.map((e) =>
        e.location
          ? `${e.location.file}:${e.location.line}:${e.location.column + 1}: ${e.text}`
          : e.text,
      );
      problems.push(
        `resolvers['${field}'].codeFile: ${where.length > 0 ? where.join("; ") : (err as Error).message}`,
      );
    }
  }
  return code;
}

/**
 * Loads the schema and checks it against the resolvers: a bad schema is reported with file, line
 * and column, a root field without resolver or a resolver without field by name.
 */
function schemaProblems(args: AppSyncApiArgs, problems: string[]): PreparedSchema | undefined {
  const userAuth = args.identity?.kind as UserAuth;
  if (userAuth !== "cognito" && userAuth !== "oidc") return undefined;
  let schema: PreparedSchema;
  try {
    schema = loadSchemaFile(args.schemaFile, userAuth);
  } catch (err) {
    problems.push(`schemaFile: ${(err as Error).message}`);
    return undefined;
  }
  const resolved = Object.keys(args.resolvers ?? {});
  for (const f of schema.rootFields.filter((x) => !resolved.includes(x)))
    problems.push(`resolvers: ${f} is a root field of the schema without a resolver`);
  for (const f of resolved.filter((x) => !schema.rootFields.includes(x)))
    problems.push(`resolvers['${f}']: not a root field of the schema`);
  return schema;
}

/** AppSync's trust in a role, limited to this account (and, when known, one API). */
function appsyncTrust(account: pulumi.Input<string>, sourceArn: Record<string, unknown>) {
  return pulumi.jsonStringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: "appsync.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:SourceAccount": account }, ...sourceArn },
      },
    ],
  });
}

/**
 * The GraphQL API with its providers, schema, data sources (each with a role for this API only,
 * allowed only what it calls), resolvers, logging, tracing and, when enabled, a WAF web ACL.
 */
export class AppSyncApi extends pulumi.ComponentResource {
  /** The GraphQL API resource. */
  public readonly api: aws.appsync.GraphQLApi;
  /** The API's id. */
  public readonly apiId: pulumi.Output<string>;
  /** The API's ARN. */
  public readonly arn: pulumi.Output<string>;
  /** The GraphQL endpoint, `https://<id>.appsync-api.<region>.amazonaws.com/graphql`. */
  public readonly graphqlUrl: pulumi.Output<string>;
  /** The API's log group, `/aws/appsync/apis/<apiId>`. */
  public readonly logGroupName: pulumi.Output<string>;
  /** The web ACL's ARN when WAF is enabled. */
  public readonly webAclArn: pulumi.Output<string | undefined>;
  /** The providers the API accepts: the default first. */
  public readonly authenticationTypes: string[];

  private readonly account: pulumi.Output<string>;
  private readonly tags: Record<string, string>;

  constructor(name: string, args: AppSyncApiArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sec1:appsync:AppSyncApi", name, {}, opts);
    // Args, schema and resolver code are checked together, before any child exists.
    const problems = validateAppSyncApiArgs(args, name);
    const schema = schemaProblems(args, problems);
    const code = bundleResolvers(args, problems);
    assertValidArgs("AppSyncApi", name, problems, this);

    this.tags = args.tags ?? {};
    this.account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
    this.authenticationTypes = providersFor(args.identity.kind);
    this.api = this.graphqlApi(name, args, (schema as PreparedSchema).sdl);
    this.apiId = this.api.id;
    this.arn = this.api.arn;
    this.graphqlUrl = this.api.uris.apply((u) => u["GRAPHQL"]);
    this.logGroupName = this.logs(name, args);
    const sources = this.dataSources(name, args);
    this.resolvers(name, args, sources, code);
    this.webAclArn = args.wafEnabled ? this.waf(name, args) : pulumi.output(undefined);

    this.registerOutputs({
      apiId: this.apiId,
      arn: this.arn,
      graphqlUrl: this.graphqlUrl,
      logGroupName: this.logGroupName,
      webAclArn: this.webAclArn,
    });
  }

  /** The API, with its log role (AppSync writes its logs as that role). */
  private graphqlApi(name: string, args: AppSyncApiArgs, sdl: string): aws.appsync.GraphQLApi {
    const parent = { parent: this };
    const partition = aws.getPartitionOutput({}, parent).partition;
    const region = aws.getRegionOutput({}, parent).region;
    // Confused deputy: only AppSync APIs of this account (the API's ARN is not known yet).
    this.logRole = new aws.iam.Role(
      `${name}-logs-role`,
      {
        description: `AppSync ${name} writes its logs`,
        assumeRolePolicy: appsyncTrust(this.account, {
          ArnLike: {
            "aws:SourceArn": pulumi.interpolate`arn:${partition}:appsync:${region}:${this.account}:apis/*`,
          },
        }),
        tags: this.tags,
      },
      parent,
    );
    return new aws.appsync.GraphQLApi(
      `${name}-api`,
      {
        name: `${name}-${pulumi.getStack()}`,
        ...userProvider(args.identity),
        // Service callers sign with SigV4; there is no API_KEY provider.
        additionalAuthenticationProviders: [{ authenticationType: "AWS_IAM" }],
        schema: sdl,
        visibility: "GLOBAL",
        xrayEnabled: true,
        introspectionConfig: args.introspection ? "ENABLED" : "DISABLED",
        queryDepthLimit: args.queryDepthLimit > 0 ? args.queryDepthLimit : undefined,
        logConfig: {
          cloudwatchLogsRoleArn: this.logRole.arn,
          fieldLogLevel: args.fieldLogLevel,
          // Request/response headers and resolver mapping contents carry tokens and personal data.
          excludeVerboseContent: true,
        },
        tags: this.tags,
      },
      { parent: this, protect: args.protect ?? false },
    );
  }

  private logRole!: aws.iam.Role;

  /**
   * AppSync writes to /aws/appsync/apis/<apiId>. The group exists (with retention) before the
   * role may write to it, so AppSync never creates it without retention.
   */
  private logs(name: string, args: AppSyncApiArgs): pulumi.Output<string> {
    const logGroup = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      {
        name: pulumi.interpolate`/aws/appsync/apis/${this.api.id}`,
        retentionInDays: args.logRetentionDays,
        tags: this.tags,
      },
      { parent: this, protect: args.protect ?? false },
    );
    new aws.iam.RolePolicy(
      `${name}-logs-policy`,
      {
        role: this.logRole.id,
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
      { parent: this },
    );
    return logGroup.name;
  }

  /** Each data source with its role: assumable by AppSync for this API only, allowed only what it calls. */
  private dataSources(name: string, args: AppSyncApiArgs): Map<string, aws.appsync.DataSource> {
    const region = aws.getRegionOutput({}, { parent: this }).region;
    const sources = new Map<string, aws.appsync.DataSource>();
    for (const [key, source] of Object.entries(args.dataSources)) {
      const dsName = dataSourceName(key);
      const statement =
        source.kind === "dynamodb"
          ? {
              Sid: `Use${dsName}`,
              Effect: "Allow",
              Action: source.actions,
              Resource: source.tableArn,
            }
          : {
              Sid: `Invoke${dsName}`,
              Effect: "Allow",
              Action: "lambda:InvokeFunction",
              Resource: source.functionArn,
            };
      const role = new aws.iam.Role(
        `${name}-${key}-ds-role`,
        {
          description: `AppSync ${name} data source ${key}`,
          assumeRolePolicy: appsyncTrust(this.account, {
            ArnEquals: { "aws:SourceArn": this.api.arn },
          }),
          tags: this.tags,
        },
        { parent: this },
      );
      const policy = new aws.iam.RolePolicy(
        `${name}-${key}-ds-policy`,
        {
          role: role.id,
          policy: pulumi.jsonStringify({ Version: "2012-10-17", Statement: [statement] }),
        },
        { parent: this },
      );
      const config =
        source.kind === "dynamodb"
          ? { type: "AMAZON_DYNAMODB", dynamodbConfig: { tableName: source.tableName, region } }
          : { type: "AWS_LAMBDA", lambdaConfig: { functionArn: source.functionArn } };
      const dataSource = new aws.appsync.DataSource(
        `${name}-${key}-ds`,
        {
          apiId: this.api.id,
          name: dsName,
          description: source.description,
          ...config,
          serviceRoleArn: role.arn,
        },
        // AppSync checks the role when the data source is created and first used.
        { parent: this, dependsOn: [policy] },
      );
      sources.set(key, dataSource);
    }
    return sources;
  }

  /** One UNIT resolver per root field. */
  private resolvers(
    name: string,
    args: AppSyncApiArgs,
    sources: Map<string, aws.appsync.DataSource>,
    code: Map<string, string>,
  ): void {
    for (const [key, resolver] of Object.entries(args.resolvers)) {
      const [type, field] = key.split(".");
      const js = code.get(key);
      new aws.appsync.Resolver(
        `${name}-${type.toLowerCase()}-${field}`,
        {
          apiId: this.api.id,
          type,
          field,
          kind: "UNIT",
          dataSource: sources.get(resolver.dataSource)!.name,
          // Lambda data sources without code are direct Lambda resolvers: the whole context
          // (arguments, identity, info) reaches the function.
          ...(js !== undefined
            ? {
                runtime: { name: "APPSYNC_JS", runtimeVersion: "1.0.0" },
                code: pulumi
                  .output(args.resolverConstants ?? {})
                  .apply((constants) => withConstants(constants, js)),
              }
            : {}),
        },
        { parent: this },
      );
    }
  }

  /** A REGIONAL web ACL: a per-IP rate rule and AWS's managed rule groups. */
  private waf(name: string, args: AppSyncApiArgs): pulumi.Output<string> {
    const parent = { parent: this };
    const tags = this.tags;
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
    this.wafLogging(name, acl, args);
    return acl.arn;
  }

  /**
   * The web ACL's request log: without it, what WAF blocked or let through leaves no record.
   * WAF writes only to log groups named `aws-waf-logs-*` and adds the group's resource policy
   * itself; the authorization header (a bearer token) is redacted before it is written.
   */
  private wafLogging(name: string, acl: aws.wafv2.WebAcl, args: AppSyncApiArgs): void {
    const logGroup = new aws.cloudwatch.LogGroup(
      `${name}-waf-logs`,
      {
        // A prefix, not a name: two stacks in one account and region never collide.
        namePrefix: `aws-waf-logs-${name}-`,
        retentionInDays: args.logRetentionDays,
        tags: this.tags,
      },
      { parent: this, protect: args.protect ?? false },
    );
    new aws.wafv2.WebAclLoggingConfiguration(
      `${name}-waf-logging`,
      {
        resourceArn: acl.arn,
        logDestinationConfigs: [logGroup.arn],
        redactedFields: [{ singleHeader: { name: "authorization" } }],
      },
      { parent: this },
    );
  }
}

/** The default provider's part of the API's args. */
function userProvider(identity: AppSyncIdentity) {
  if (identity.kind === "cognito")
    return {
      authenticationType: "AMAZON_COGNITO_USER_POOLS",
      userPoolConfig: {
        userPoolId: identity.userPoolId,
        awsRegion: identity.region,
        appIdClientRegex: identity.appIdClientRegex,
        // AppSync requires ALLOW when additional providers exist; the schema's directives then
        // decide per field.
        defaultAction: "ALLOW",
      },
    };
  return {
    authenticationType: "OPENID_CONNECT",
    openidConnectConfig: {
      issuer: identity.issuer,
      clientId:
        identity.audiences !== undefined
          ? pulumi.output(identity.audiences).apply((a) => audienceRegex(a) as string)
          : identity.clientId,
    },
  };
}
