import * as path from "path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { bundleHandler } from "./bundle";

/** One IAM policy statement, as the function's role needs it. */
export interface PolicyStatement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action: string | string[];
  Resource: pulumi.Input<string> | pulumi.Input<string>[];
  Condition?: Record<string, Record<string, unknown>>;
}

export interface FunctionArgs {
  /** Handler folder name under `handlers/` (bundled from `handlers/<handler>/index.ts`). */
  handler: string;
  /** What the function does, shown in the console. */
  description: string;
  /** Retention of the function's log group, in days. */
  logRetentionDays: number;
  /** Environment variables. */
  environment?: Record<string, pulumi.Input<string>>;
  /** The only permissions the function gets beyond writing its logs and traces. */
  statements?: PolicyStatement[];
  /** Run in these private subnets with these security groups. */
  vpc?: { subnetIds: pulumi.Input<pulumi.Input<string>[]>; securityGroupIds: pulumi.Input<string>[] };
  /**
   * Use this role instead of creating one: for a function whose role is an invoker role made
   * elsewhere (trusted by lambda.amazonaws.com). Log, trace and VPC permissions are added to it.
   */
  role?: aws.iam.Role;
  /** Memory in MB (default 256). */
  memorySize?: number;
  /** Timeout in seconds (default 10). */
  timeout?: number;
  /** Reserved concurrency; caps what one function can take from the account's pool. */
  reservedConcurrency?: number;
  /** Tags for every child. */
  tags?: Record<string, string>;
}

/**
 * One Lambda function: its handler bundled with esbuild, its own role with only what it is
 * given, a log group with retention created before it, X-Ray tracing, arm64 on Node.js 22.
 */
export class Function extends pulumi.ComponentResource {
  public readonly function: aws.lambda.Function;
  public readonly role: aws.iam.Role;
  public readonly logGroup: aws.cloudwatch.LogGroup;
  public readonly arn: pulumi.Output<string>;
  public readonly invokeArn: pulumi.Output<string>;
  public readonly functionName: pulumi.Output<string>;

  constructor(name: string, args: FunctionArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sec1:lambda:Function", name, {}, opts);
    // Bundle first: a build error fails the preview before any child is registered.
    const bundle = bundleHandler(path.join(__dirname, "..", "handlers", args.handler, "index.ts"));
    const tags = args.tags ?? {};

    // Lambda writes to this group through loggingConfig, so the function cannot create an
    // unmanaged group without retention, and the group exists before the first invocation.
    this.logGroup = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      { retentionInDays: args.logRetentionDays, tags },
      { parent: this },
    );

    this.role =
      args.role ??
      new aws.iam.Role(
        `${name}-role`,
        {
          description: `Execution role of ${name}`,
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
          tags,
        },
        { parent: this },
      );

    const base: PolicyStatement[] = [
      {
        Sid: "WriteOwnLogs",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: pulumi.interpolate`${this.logGroup.arn}:*`,
      },
      // X-Ray accepts no resource-level scoping for these actions.
      {
        Sid: "WriteTraces",
        Effect: "Allow",
        Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
        Resource: "*",
      },
    ];
    if (args.vpc) {
      // ENI management for VPC functions; EC2 does not support resource scoping on Describe*.
      base.push({
        Sid: "ManageVpcNetworkInterfaces",
        Effect: "Allow",
        Action: [
          "ec2:CreateNetworkInterface",
          "ec2:DescribeNetworkInterfaces",
          "ec2:DeleteNetworkInterface",
          "ec2:AssignPrivateIpAddresses",
          "ec2:UnassignPrivateIpAddresses",
        ],
        Resource: "*",
      });
    }
    const statements = [...base, ...(args.statements ?? [])];
    const policy = new aws.iam.RolePolicy(
      `${name}-policy`,
      {
        role: this.role.id,
        policy: pulumi.jsonStringify({ Version: "2012-10-17", Statement: statements }),
      },
      { parent: this },
    );

    this.function = new aws.lambda.Function(
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
        loggingConfig: { logFormat: "JSON", logGroup: this.logGroup.name },
        environment: args.environment
          ? { variables: { NODE_OPTIONS: "--enable-source-maps", ...args.environment } }
          : undefined,
        vpcConfig: args.vpc
          ? { subnetIds: args.vpc.subnetIds, securityGroupIds: args.vpc.securityGroupIds }
          : undefined,
        tags,
      },
      // The role's permissions must exist before the first invocation (logs, ENIs).
      { parent: this, dependsOn: [policy, this.logGroup] },
    );

    this.arn = this.function.arn;
    this.invokeArn = this.function.invokeArn;
    this.functionName = this.function.name;
    this.registerOutputs({
      arn: this.arn,
      invokeArn: this.invokeArn,
      functionName: this.functionName,
      roleArn: this.role.arn,
      logGroupName: this.logGroup.name,
    });
  }
}
