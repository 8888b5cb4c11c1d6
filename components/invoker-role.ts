/**
 * A least-privilege role for one internal caller of a private REST API: it may invoke exactly
 * the API, stage, method and path it is granted, and nothing else.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { assertValidArgs } from "./args";
import { autonameProblems, NAME_LIMITS } from "./names";

/** HTTP methods a REST API route may use. */
export const HTTP_METHODS = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"] as const;

/**
 * Who assumes the role: one role (preferred), an AWS service of this account, or principals of
 * an account that must present an external id (an account alone would trust every principal its
 * IAM admins allow, with nothing in this role saying which).
 */
export type InvokerPrincipal =
  | { service: string }
  | {
      accountId: string;
      /** The `sts:ExternalId` the account's caller must present. */
      externalId: string;
    }
  | { roleArn: string };

/**
 * `aws:SourceArn` patterns of the services whose requests to assume a role carry it: the
 * service's resources in this account and region. Every service principal also gets
 * `aws:SourceAccount` (the confused-deputy keys AWS documents for service roles).
 */
export const SERVICE_SOURCE_ARNS: Record<
  string,
  (p: string, region: string, account: string) => string
> = {
  "lambda.amazonaws.com": (p, region, account) => `arn:${p}:lambda:${region}:${account}:function:*`,
};

/** A route key "METHOD /path", split. */
export interface ParsedRoute {
  /** The HTTP method, upper case. */
  method: (typeof HTTP_METHODS)[number];
  /** The path with a leading slash and no trailing slash, e.g. `/loyalty/{customerId}`. */
  path: string;
  /** The path's segments, e.g. `["loyalty", "{customerId}"]`. */
  segments: string[];
}

const SEGMENT = /^(?:[A-Za-z0-9._~-]+|\{[A-Za-z_][A-Za-z0-9_]*\+?\})$/;
const SERVICE_PRINCIPAL = /^[a-z0-9-]+(\.[a-z0-9-]+)*\.amazonaws\.com(\.cn)?$/;
const ACCOUNT_ID = /^\d{12}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;

/** Parses "METHOD /path" or returns a message saying what is wrong with it. */
export function parseRoute(route: string): ParsedRoute | string {
  const match = /^([A-Z]+) (\/\S*)$/.exec(route);
  if (!match)
    return `expected "METHOD /path" such as "GET /loyalty/{customerId}", found '${route}'`;
  const method = match[1] as ParsedRoute["method"];
  if (!HTTP_METHODS.includes(method))
    return `unknown method '${match[1]}' in '${route}' (expected one of ${HTTP_METHODS.join(", ")})`;
  const segments = match[2].split("/").slice(1);
  if (segments.length === 0 || segments.some((s) => !SEGMENT.test(s)))
    return `bad path in '${route}': expected /segment/{param}/... with no empty segments`;
  return { method, path: `/${segments.join("/")}`, segments };
}

/**
 * The part of an execute-api ARN after `<apiId>/<stage>/` for a route: `<METHOD>/<path>` with
 * each path parameter (`{customerId}`, `{proxy+}`) replaced by `*`, e.g. `GET/loyalty/*`.
 */
export function routeArnSuffix(route: ParsedRoute): string {
  return `${route.method}/${route.segments.map((s) => (s.startsWith("{") ? "*" : s)).join("/")}`;
}

/** Does an IAM ARN pattern (`*` any run of characters, `?` one character) match a value? */
export function arnPatternMatches(pattern: string, value: string): boolean {
  const regex = pattern
    .split("")
    .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\/-]/g, "\\$&")))
    .join("");
  return new RegExp(`^${regex}$`).test(value);
}

/**
 * Routes of the API that a granted route's ARN pattern also matches although they were not
 * granted. IAM's `*` matches across `/`, so `GET/loyalty/*` (for `GET /loyalty/{id}`) would also
 * cover a route `GET /loyalty/{id}/history`; such routes get an explicit Deny.
 */
export function overreachedRoutes(granted: ParsedRoute[], apiRoutes: ParsedRoute[]): ParsedRoute[] {
  const grantedKeys = new Set(granted.map((r) => `${r.method} ${r.path}`));
  // A concrete request to a route: every parameter filled with a sample value.
  const sample = (r: ParsedRoute) =>
    `${r.method}/${r.segments.map((s) => (s.startsWith("{") ? "x" : s)).join("/")}`;
  return apiRoutes.filter(
    (r) =>
      !grantedKeys.has(`${r.method} ${r.path}`) &&
      granted.some((g) => arnPatternMatches(routeArnSuffix(g), sample(r))) &&
      // A Deny that would also hit a granted route (a greedy `{proxy+}`) cannot be expressed.
      !granted.some((g) => arnPatternMatches(routeArnSuffix(r), sample(g))),
  );
}

export interface InvokerRoleArgs {
  /** Who may assume the role (from the caller's config). */
  principal: InvokerPrincipal;
  /**
   * The API's execution ARN, `arn:<partition>:execute-api:<region>:<account>:<apiId>` (the
   * RestApi's `executionArn`): it carries partition, region, account and API id.
   */
  executionArn: pulumi.Input<string>;
  /** The stage the caller may invoke, e.g. `v1`. */
  stageName: pulumi.Input<string>;
  /** The routes granted, as "METHOD /path"; at least one. */
  routes: string[];
  /**
   * Every route of the API, as "METHOD /path". Granted routes must be among them; routes that a
   * granted pattern would also match get an explicit Deny. Default: the granted routes.
   */
  apiRoutes?: string[];
  /** What the role is for, shown in IAM. */
  description?: string;
  /** Tags for every taggable child. */
  tags?: Record<string, string>;
}

/**
 * Every problem with the args, each naming its field; empty when they are fine.
 * Run before any child is created. With the component's `name`, also checks that the role's
 * autoname fits IAM's 64 characters.
 */
export function validateInvokerRoleArgs(args: InvokerRoleArgs, name?: string): string[] {
  const problems: string[] =
    name === undefined
      ? []
      : autonameProblems("name", "IAM role", [`${name}-role`], NAME_LIMITS.iamRole);
  const p = args.principal as Record<string, unknown> | undefined;
  const kinds = p ? Object.keys(p).filter((k) => p[k] !== undefined && k !== "externalId") : [];
  if (kinds.length !== 1 || !["service", "accountId", "roleArn"].includes(kinds[0])) {
    problems.push("principal: expected exactly one of service, accountId or roleArn");
  } else if (kinds[0] !== "accountId" && p?.externalId !== undefined) {
    problems.push("principal.externalId: only with accountId");
  } else if ("service" in args.principal && !SERVICE_PRINCIPAL.test(args.principal.service)) {
    problems.push(
      `principal.service: expected a service principal such as lambda.amazonaws.com, found '${args.principal.service}'`,
    );
  } else if ("accountId" in args.principal && !ACCOUNT_ID.test(args.principal.accountId)) {
    problems.push(
      `principal.accountId: expected a 12-digit account id, found '${args.principal.accountId}'`,
    );
  } else if ("accountId" in args.principal && !EXTERNAL_ID.test(args.principal.externalId ?? "")) {
    problems.push(
      "principal.externalId: required with accountId (2-1224 characters of letters, digits and +=,.@:/-_): prefer roleArn, or the account's callers must present this external id",
    );
  } else if ("roleArn" in args.principal && !ROLE_ARN.test(args.principal.roleArn)) {
    problems.push(`principal.roleArn: expected an IAM role ARN, found '${args.principal.roleArn}'`);
  }
  if (!args.routes || args.routes.length === 0)
    problems.push("routes: expected at least one granted route");
  const apiRoutes = args.apiRoutes ?? args.routes ?? [];
  (args.apiRoutes ?? []).forEach((r, i) => {
    const parsed = parseRoute(r);
    if (typeof parsed === "string") problems.push(`apiRoutes[${i}]: ${parsed}`);
  });
  const seen = new Set<string>();
  (args.routes ?? []).forEach((r, i) => {
    const parsed = parseRoute(r);
    if (typeof parsed === "string") problems.push(`routes[${i}]: ${parsed}`);
    else if (!apiRoutes.includes(r))
      problems.push(`routes[${i}]: '${r}' is not a route of the API (${apiRoutes.join(", ")})`);
    if (seen.has(r)) problems.push(`routes[${i}]: duplicate route '${r}'`);
    seen.add(r);
  });
  return problems;
}

/** Where a role lives: partition, region and account (all in an execute-api execution ARN). */
export interface RoleHome {
  partition: string;
  region: string;
  account: string;
}

/** Partition, region and account of an ARN such as the API's execution ARN. */
export function homeOf(arn: string): RoleHome {
  const [, partition = "aws", , region = "", account = ""] = arn.split(":");
  return { partition, region, account };
}

/**
 * The trust policy for a principal. A role is trusted by its ARN; an account only with its
 * external id; a service only on behalf of this account (`aws:SourceAccount`) and, where the
 * service sends it, of its resources here (`aws:SourceArn`), so another account cannot make the
 * service assume this role for it (the confused deputy).
 */
export function trustPolicy(principal: InvokerPrincipal, home: RoleHome) {
  let who: Record<string, string>;
  let condition: Record<string, Record<string, string>> | undefined;
  if ("service" in principal) {
    who = { Service: principal.service };
    condition = { StringEquals: { "aws:SourceAccount": home.account } };
    const sourceArn = SERVICE_SOURCE_ARNS[principal.service];
    if (sourceArn)
      condition.ArnLike = { "aws:SourceArn": sourceArn(home.partition, home.region, home.account) };
  } else if ("accountId" in principal) {
    who = { AWS: `arn:${home.partition}:iam::${principal.accountId}:root` };
    condition = { StringEquals: { "sts:ExternalId": principal.externalId } };
  } else {
    who = { AWS: principal.roleArn };
  }
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "AssumedByCaller",
        Effect: "Allow",
        Principal: who,
        Action: "sts:AssumeRole",
        ...(condition ? { Condition: condition } : {}),
      },
    ],
  };
}

/**
 * The execute-api ARNs a caller may invoke. The format is
 * `arn:<partition>:execute-api:<region>:<account>:<apiId>/<stage>/<METHOD>/<resource path>`
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-control-access-using-iam-policies-to-invoke-api.html):
 * the execution ARN already holds everything up to the API id; stage, method and path follow,
 * path parameters become `*` (so `GET /loyalty/{customerId}` → `.../v1/GET/loyalty/*`).
 */
export function invokeArns(
  executionArn: string,
  stageName: string,
  routes: ParsedRoute[],
): string[] {
  return routes.map((r) => `${executionArn}/${stageName}/${routeArnSuffix(r)}`);
}

/**
 * One role per internal caller, trusted by that caller's principal, whose only permission is
 * `execute-api:Invoke` on the granted routes of one API stage.
 *
 * A caller whose principal is `lambda.amazonaws.com` is a function that uses this role as its
 * execution role; the function component adds its log, trace and VPC permissions to it.
 */
export class InvokerRole extends pulumi.ComponentResource {
  /** The role the caller assumes (or the function runs as). */
  public readonly role: aws.iam.Role;
  /** The role's ARN. */
  public readonly roleArn: pulumi.Output<string>;
  /** The role's name. */
  public readonly roleName: pulumi.Output<string>;
  /** The execute-api ARNs the role may invoke, one per granted route. */
  public readonly invokeArns: pulumi.Output<string[]>;

  constructor(name: string, args: InvokerRoleArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sec1:apigateway:InvokerRole", name, {}, opts);
    assertValidArgs("InvokerRole", name, validateInvokerRoleArgs(args, name), this);
    const tags = args.tags ?? {};
    const granted = args.routes.map((r) => parseRoute(r) as ParsedRoute);
    const all = (args.apiRoutes ?? args.routes).map((r) => parseRoute(r) as ParsedRoute);
    const overreached = overreachedRoutes(granted, all);

    this.role = new aws.iam.Role(
      `${name}-role`,
      {
        description:
          args.description ??
          `Invokes ${args.routes.join(", ")} of one private API stage (least privilege)`,
        assumeRolePolicy: pulumi
          .output(args.executionArn)
          .apply((arn) => JSON.stringify(trustPolicy(args.principal, homeOf(arn)))),
        maxSessionDuration: 3600,
        tags,
      },
      { parent: this },
    );

    this.invokeArns = pulumi
      .all([args.executionArn, args.stageName])
      .apply(([arn, stage]) => invokeArns(arn, stage, granted));
    const deniedArns = pulumi
      .all([args.executionArn, args.stageName])
      .apply(([arn, stage]) => invokeArns(arn, stage, overreached));

    // A separate policy resource, not the role's inline list: a function using this role as its
    // execution role attaches its own log/trace/VPC policy to the same role.
    new aws.iam.RolePolicy(
      `${name}-invoke`,
      {
        role: this.role.id,
        policy: pulumi.all([this.invokeArns, deniedArns]).apply(([allow, deny]) =>
          JSON.stringify({
            Version: "2012-10-17",
            Statement: [
              {
                Sid: "InvokeGrantedRoutes",
                Effect: "Allow",
                Action: "execute-api:Invoke",
                Resource: allow,
              },
              ...(deny.length > 0
                ? [
                    {
                      Sid: "DenyRoutesNotGranted",
                      Effect: "Deny",
                      Action: "execute-api:Invoke",
                      Resource: deny,
                    },
                  ]
                : []),
            ],
          }),
        ),
      },
      { parent: this },
    );

    this.roleArn = this.role.arn;
    this.roleName = this.role.name;
    this.registerOutputs({
      roleArn: this.roleArn,
      roleName: this.roleName,
      invokeArns: this.invokeArns,
    });
  }
}
