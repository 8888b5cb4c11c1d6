/**
 * One Lambda function: its bundled handler, an execution role with only what it is given (or a
 * role made elsewhere, bound to this function), a log group with retention, invoke permissions
 * that always name their source.
 */
import * as fs from "fs";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { assertValidArgs } from "./args";
import { BundleError, bundleHandler, handlerEntry } from "./bundle";
import { autonameProblems, NAME_LIMITS } from "./names";

/** One IAM policy statement, as the function's role needs it. */
export interface PolicyStatement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action: string | string[];
  Resource: pulumi.Input<string> | pulumi.Input<string>[];
  Condition?: Record<string, Record<string, unknown>>;
}

/** Log levels Lambda filters application logs by (JSON log format). */
export type ApplicationLogLevel = "TRACE" | "DEBUG" | "INFO" | "WARN" | "ERROR" | "FATAL";

export interface FunctionArgs {
  /** Handler folder name under `handlers/` (bundled from `handlers/<handler>/index.ts`). */
  handler: string;
  /**
   * The entry point to bundle instead of `handlers/<handler>/index.ts` (an absolute path).
   * For handlers kept elsewhere and for tests.
   */
  entry?: string;
  /** What the function does, shown in the console. */
  description: string;
  /** Retention of the function's log group, in days (a CloudWatch Logs retention value). */
  logRetentionDays: number;
  /** Lowest application log level Lambda keeps (default INFO). */
  logLevel?: ApplicationLogLevel;
  /** Environment variables. Lambda's reserved names (AWS_REGION, _HANDLER, ...) are refused. */
  environment?: Record<string, pulumi.Input<string>>;
  /**
   * The only permissions the function gets beyond writing its logs and traces (and managing its
   * network interfaces in a VPC). No `*` action and no plain `*` resource.
   */
  statements?: PolicyStatement[];
  /** Run in these private subnets with these security groups. */
  vpc?: {
    subnetIds: pulumi.Input<pulumi.Input<string>[]>;
    securityGroupIds: pulumi.Input<string>[];
  };
  /**
   * Use this role instead of creating one: for a function whose role is an invoker role made
   * elsewhere (trusted by lambda.amazonaws.com). The log, trace and VPC permissions and
   * `statements` are added to it as an inline policy of this component.
   */
  role?: aws.iam.Role;
  /**
   * With `role`: actions of that role that only this function's code may use. An identity-policy
   * Deny on them unless `lambda:SourceFunctionArn` is this function, so a function someone else
   * creates with the role (whoever may `iam:PassRole` it) cannot use them. The key is set on
   * requests signed with a function's execution-role credentials and works in identity policies
   * only, which is why the Deny sits on the role.
   */
  exclusiveRoleActions?: string[];
  /** Memory in MB, 128-10240 (default 256). */
  memorySize?: number;
  /** Timeout in seconds, 1-900 (default 10; API Gateway gives up after 29 s anyway). */
  timeout?: number;
  /** Reserved concurrency (>= 1); caps what one function can take from the account's pool. */
  reservedConcurrency?: number;
  /**
   * Protect the log group (what the function logged: requests, callers, errors) from deletion,
   * so a `pulumi destroy` or a replacement cannot drop it before its retention ends (prod).
   */
  protect?: boolean;
  /** Tags for every taggable child. */
  tags?: Record<string, string>;
}

/** A service allowed to invoke the function, always from one named source. */
export interface InvokePermissionArgs {
  /** The calling service, e.g. `apigateway.amazonaws.com` or `appsync.amazonaws.com`. */
  principal: string;
  /**
   * The ARN the call must come from: for API Gateway the execute-api ARN of the API (narrowed
   * to stage, method and path where possible), for AppSync the GraphQL API's ARN. Required: a
   * permission without it lets any API in any account invoke the function.
   */
  sourceArn: pulumi.Input<string>;
}

/** Environment variable names the Lambda runtime reserves; setting them fails the deploy. */
export const RESERVED_ENVIRONMENT = [
  "_HANDLER",
  "_X_AMZN_TRACE_ID",
  "AWS_ACCESS_KEY",
  "AWS_ACCESS_KEY_ID",
  "AWS_DEFAULT_REGION",
  "AWS_EXECUTION_ENV",
  "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
  "AWS_LAMBDA_FUNCTION_NAME",
  "AWS_LAMBDA_FUNCTION_VERSION",
  "AWS_LAMBDA_INITIALIZATION_TYPE",
  "AWS_LAMBDA_LOG_GROUP_NAME",
  "AWS_LAMBDA_LOG_STREAM_NAME",
  "AWS_LAMBDA_RUNTIME_API",
  "AWS_REGION",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "LAMBDA_RUNTIME_DIR",
  "LAMBDA_TASK_ROOT",
] as const;

const isInt = (v: number, min: number, max: number) => Number.isInteger(v) && v >= min && v <= max;

/**
 * Checks function args and returns every problem (empty when valid), each naming its field.
 * Pure apart from checking that the entry point exists. With the component's `name`, also
 * checks that the function's and its role's autonames fit their 64-character limits.
 */
export function validateFunctionArgs(args: FunctionArgs, name?: string): string[] {
  return [
    ...(name !== undefined ? autonameProblemsOf(args, name) : []),
    ...handlerProblems(args),
    ...settingProblems(args),
    ...environmentProblems(args),
    ...statementProblems(args),
    ...roleAndVpcProblems(args),
  ];
}

/** The function's and its role's autonames must fit their 64-character limits. */
function autonameProblemsOf(args: FunctionArgs, name: string): string[] {
  const problems: string[] = [];
  problems.push(
    ...autonameProblems(
      "name",
      "Lambda function",
      [`${name}-function`],
      NAME_LIMITS.lambdaFunction,
    ),
  );
  if (!args.role)
    problems.push(...autonameProblems("name", "IAM role", [`${name}-role`], NAME_LIMITS.iamRole));
  return problems;
}

/** The handler must be a folder name whose entry point exists (the one impure check). */
function handlerProblems(args: FunctionArgs): string[] {
  const problems: string[] = [];
  if (!/^[a-z][a-z0-9-]{0,62}$/.test(args.handler ?? "")) {
    problems.push(
      `handler: expected a handler folder name (lowercase letters, digits, dashes), found '${args.handler}'`,
    );
  } else {
    const entry = args.entry ?? handlerEntry(args.handler);
    if (!fs.existsSync(entry)) problems.push(`handler: no entry point at ${entry}`);
  }
  return problems;
}

/** Description, log retention, memory, timeout and concurrency within Lambda's limits. */
function settingProblems(args: FunctionArgs): string[] {
  const problems: string[] = [];
  if (!args.description || args.description.length > 256) {
    problems.push("description: expected 1-256 characters");
  }
  if (!isInt(args.logRetentionDays, 1, 3653)) {
    problems.push(`logRetentionDays: expected a number of days, found ${args.logRetentionDays}`);
  }
  if (args.memorySize !== undefined && !isInt(args.memorySize, 128, 10240)) {
    problems.push(`memorySize: expected 128-10240 MB, found ${args.memorySize}`);
  }
  if (args.timeout !== undefined && !isInt(args.timeout, 1, 900)) {
    problems.push(`timeout: expected 1-900 seconds, found ${args.timeout}`);
  }
  if (args.reservedConcurrency !== undefined && !isInt(args.reservedConcurrency, 1, 100_000)) {
    problems.push(
      `reservedConcurrency: expected an integer >= 1 (0 would stop every invocation), found ${args.reservedConcurrency}`,
    );
  }
  return problems;
}

/** Environment names must be valid and not the ones the Lambda runtime sets. */
function environmentProblems(args: FunctionArgs): string[] {
  const problems: string[] = [];
  for (const key of Object.keys(args.environment ?? {})) {
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(key)) {
      problems.push(`environment.${key}: expected a name of letters, digits and underscores`);
    } else if ((RESERVED_ENVIRONMENT as readonly string[]).includes(key)) {
      problems.push(`environment.${key}: reserved by the Lambda runtime`);
    }
  }
  return problems;
}

/** Least privilege: no whole-service actions, no `*` resources on Allow statements. */
function statementProblems(args: FunctionArgs): string[] {
  const problems: string[] = [];
  (args.statements ?? []).forEach((s, i) => {
    const actions = Array.isArray(s.Action) ? s.Action : [s.Action];
    if (actions.length === 0)
      problems.push(`statements[${i}].Action: expected at least one action`);
    for (const a of actions) {
      if (typeof a !== "string" || a === "*" || /^[^:]*\*[^:]*:/.test(a) || /^[\w-]+:\*$/.test(a)) {
        problems.push(
          `statements[${i}].Action: '${a}' grants a whole service; list the actions the function calls`,
        );
      }
    }
    const resources = Array.isArray(s.Resource) ? s.Resource : [s.Resource];
    if (resources.length === 0) {
      problems.push(`statements[${i}].Resource: expected at least one ARN`);
    }
    if (s.Effect === "Allow" && resources.some((r) => r === "*")) {
      problems.push(`statements[${i}].Resource: '*' grants every resource; name the ARNs`);
    }
  });
  return problems;
}

/** Exclusive role actions only with a role passed in; a VPC config needs a security group. */
function roleAndVpcProblems(args: FunctionArgs): string[] {
  const problems: string[] = [];
  if (args.exclusiveRoleActions !== undefined) {
    if (!args.role) problems.push("exclusiveRoleActions: only with a role passed in (role)");
    if (
      args.exclusiveRoleActions.length === 0 ||
      args.exclusiveRoleActions.some((a) => !/^[a-z0-9-]+:[A-Za-z0-9*]+$/.test(a))
    )
      problems.push(
        `exclusiveRoleActions: expected actions such as execute-api:Invoke, found ${JSON.stringify(args.exclusiveRoleActions)}`,
      );
  }
  if (
    args.vpc &&
    Array.isArray(args.vpc.securityGroupIds) &&
    args.vpc.securityGroupIds.length === 0
  ) {
    problems.push("vpc.securityGroupIds: expected at least one security group");
  }
  return problems;
}

/** Checks an invoke permission: a service principal and a source ARN. */
export function validateInvokePermission(args: InvokePermissionArgs): string[] {
  const problems: string[] = [];
  if (!/^[a-z0-9-]+(\.[a-z0-9-]+)*\.amazonaws\.com$/.test(args.principal ?? "")) {
    problems.push(`principal: expected a service principal, found '${args.principal}'`);
  }
  if (args.sourceArn === undefined || args.sourceArn === null || args.sourceArn === "") {
    problems.push("sourceArn: required, so that only the named API can invoke the function");
  } else if (typeof args.sourceArn === "string" && !/^arn:aws[a-z-]*:/.test(args.sourceArn)) {
    problems.push(`sourceArn: expected an ARN, found '${args.sourceArn}'`);
  }
  return problems;
}

/**
 * What every function may do besides its own `statements`: write its own logs and traces and, in
 * a VPC, manage its network interfaces.
 */
export function baseStatements(
  logGroupArn: pulumi.Input<string>,
  inVpc: boolean,
): PolicyStatement[] {
  const base: PolicyStatement[] = [
    {
      Sid: "WriteOwnLogs",
      Effect: "Allow",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: pulumi.interpolate`${logGroupArn}:*`,
    },
    // X-Ray accepts no resource-level scoping for these actions.
    {
      Sid: "WriteTraces",
      Effect: "Allow",
      Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
      Resource: "*",
    },
  ];
  if (inVpc) {
    // What AWSLambdaVPCAccessExecutionRole grants: Lambda creates the function's ENIs with
    // the execution role, and EC2 does not scope Describe* (or these creates) by resource.
    base.push({
      Sid: "ManageVpcNetworkInterfaces",
      Effect: "Allow",
      Action: [
        "ec2:CreateNetworkInterface",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSubnets",
        "ec2:DeleteNetworkInterface",
        "ec2:AssignPrivateIpAddresses",
        "ec2:UnassignPrivateIpAddresses",
      ],
      Resource: "*",
    });
  }
  return base;
}

/**
 * One Lambda function: its handler bundled with esbuild, its own role with only what it is
 * given, a log group with retention created before it, X-Ray tracing, arm64 on Node.js 22.
 */
export class Function extends pulumi.ComponentResource {
  /** The Lambda function resource. */
  public readonly function: aws.lambda.Function;
  /** Its execution role (its own, or the one passed in `role`). */
  public readonly role: aws.iam.Role;
  /** The inline policy with the function's permissions (on its own role or the given one). */
  public readonly policy: aws.iam.RolePolicy;
  /** The function's log group (with retention). */
  public readonly logGroup: aws.cloudwatch.LogGroup;
  public readonly arn: pulumi.Output<string>;
  /** The same ARN under the name the API components' `LambdaTarget` uses. */
  public readonly functionArn: pulumi.Output<string>;
  /** The API Gateway invoke ARN of the function. */
  public readonly invokeArn: pulumi.Output<string>;
  /** The function's name (for invoke permissions). */
  public readonly functionName: pulumi.Output<string>;
  /** The execution role's ARN. */
  public readonly roleArn: pulumi.Output<string>;
  /** The log group's name. */
  public readonly logGroupName: pulumi.Output<string>;
  private readonly name: string;

  constructor(name: string, args: FunctionArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sec1:lambda:Function", name, {}, opts);
    this.name = name;
    const problems = validateFunctionArgs(args, name);
    assertValidArgs("Function", name, problems, this);
    // Bundle before any child: a build error fails the preview, naming file and line.
    let bundle: string;
    try {
      bundle = bundleHandler(args.entry ?? handlerEntry(args.handler));
    } catch (err) {
      if (err instanceof BundleError) throw new pulumi.ResourceError(err.message, this, true);
      throw err;
    }
    const tags = args.tags ?? {};

    // Lambda writes to this group through loggingConfig, so the function cannot create an
    // unmanaged group without retention, and the group exists before the first invocation.
    this.logGroup = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      { retentionInDays: args.logRetentionDays, tags },
      { parent: this, protect: args.protect ?? false },
    );

    this.role = args.role ?? this.executionRole(tags);

    const statements = [
      ...baseStatements(this.logGroup.arn, args.vpc !== undefined),
      ...(args.statements ?? []),
    ];
    // An inline policy of this component, also on a role passed in: it is deleted with the
    // function and never widens what other users of that role may do beyond this function's needs.
    this.policy = new aws.iam.RolePolicy(
      `${name}-policy`,
      {
        role: this.role.name,
        policy: pulumi.jsonStringify({ Version: "2012-10-17", Statement: statements }),
      },
      { parent: this },
    );

    this.function = this.lambdaFunction(args, bundle, tags);
    if (args.exclusiveRoleActions) this.bindRole(name, args.exclusiveRoleActions);

    this.arn = this.function.arn;
    this.functionArn = this.function.arn;
    this.invokeArn = this.function.invokeArn;
    this.functionName = this.function.name;
    this.roleArn = this.role.arn;
    this.logGroupName = this.logGroup.name;
    this.registerOutputs({
      arn: this.arn,
      invokeArn: this.invokeArn,
      functionName: this.functionName,
      roleArn: this.roleArn,
      logGroupName: this.logGroupName,
    });
  }

  /** The Lambda function: the bundle, JSON logs to its group, tracing, the given role. */
  private lambdaFunction(
    args: FunctionArgs,
    bundle: string,
    tags: Record<string, string>,
  ): aws.lambda.Function {
    const name = this.name;
    return new aws.lambda.Function(
      `${name}-function`,
      {
        description: args.description,
        runtime: aws.lambda.Runtime.NodeJS22dX,
        architectures: ["arm64"],
        handler: "index.handler",
        code: new pulumi.asset.AssetArchive({ "index.js": new pulumi.asset.StringAsset(bundle) }),
        role: this.role.arn,
        memorySize: args.memorySize ?? 256,
        timeout: args.timeout ?? 10,
        reservedConcurrentExecutions: args.reservedConcurrency,
        tracingConfig: { mode: "Active" },
        loggingConfig: {
          logFormat: "JSON",
          logGroup: this.logGroup.name,
          applicationLogLevel: args.logLevel ?? "INFO",
          systemLogLevel: "INFO",
        },
        environment: args.environment ? { variables: { ...args.environment } } : undefined,
        vpcConfig: args.vpc
          ? { subnetIds: args.vpc.subnetIds, securityGroupIds: args.vpc.securityGroupIds }
          : undefined,
        tags,
      },
      // The role's permissions must exist before the first invocation (logs, ENIs), and the
      // log group before Lambda would create an unmanaged one.
      { parent: this, dependsOn: [this.policy, this.logGroup] },
    );
  }

  /**
   * The function's own execution role. Lambda sends `aws:SourceAccount` and `aws:SourceArn` when
   * it assumes an execution role: only this account's functions in this region may (a function's
   * own ARN cannot be named here, the function is created after its role).
   */
  private executionRole(tags: Record<string, string>): aws.iam.Role {
    const name = this.name;
    const parent = { parent: this };
    const account = aws.getCallerIdentityOutput({}, parent).accountId;
    const region = aws.getRegionOutput({}, parent).region;
    const partition = aws.getPartitionOutput({}, parent).partition;
    return new aws.iam.Role(
      `${name}-role`,
      {
        description: `Execution role of ${name}`,
        assumeRolePolicy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { Service: "lambda.amazonaws.com" },
              Action: "sts:AssumeRole",
              Condition: {
                StringEquals: { "aws:SourceAccount": account },
                ArnLike: {
                  "aws:SourceArn": pulumi.interpolate`arn:${partition}:lambda:${region}:${account}:function:*`,
                },
              },
            },
          ],
        }),
        tags,
      },
      parent,
    );
  }

  /**
   * Binds a role made elsewhere to this function for `actions`: a Deny unless the request comes
   * from this function's code. A policy of its own, after the function: it names the ARN.
   */
  private bindRole(name: string, actions: string[]): aws.iam.RolePolicy {
    return new aws.iam.RolePolicy(
      `${name}-bind-role`,
      {
        role: this.role.name,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "OnlyThisFunctionsCode",
              Effect: "Deny",
              Action: actions,
              Resource: "*",
              // Also denies when the key is absent: the role's credentials used outside Lambda.
              Condition: { ArnNotEquals: { "lambda:SourceFunctionArn": this.function.arn } },
            },
          ],
        }),
      },
      { parent: this },
    );
  }

  /**
   * Lets one service invoke the function from one source (an API Gateway execute-api ARN, an
   * AppSync API ARN). `id` names the permission: `${name}-invoke-${id}`. Call it from the
   * component that owns the API, once its ARN exists.
   */
  public allowInvoke(
    id: string,
    args: InvokePermissionArgs,
    opts: pulumi.CustomResourceOptions = {},
  ): aws.lambda.Permission {
    const problems = validateInvokePermission(args);
    if (problems.length > 0) {
      throw new pulumi.ResourceError(
        `Function '${this.name}' invoke permission '${id}' is invalid:\n  - ${problems.join("\n  - ")}`,
        this,
        true,
      );
    }
    return new aws.lambda.Permission(
      `${this.name}-invoke-${id}`,
      {
        function: this.function.name,
        action: "lambda:InvokeFunction",
        principal: args.principal,
        sourceArn: args.sourceArn,
      },
      { parent: this, ...opts },
    );
  }
}
