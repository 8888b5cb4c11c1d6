/**
 * The typed stack configuration: one schema, validated once, every problem reported at once.
 *
 * The program reads the project's config keys (`sec1-api-platform:<key>`) through
 * `pulumi.runtime.allConfig()`, validates them with {@link parsePlatformConfig} and hands the
 * result to the components. Nothing else in the program reads config.
 */
import * as pulumi from "@pulumi/pulumi";
import * as z from "zod";
import { SECRET_FIELDS, validateIdentityProviders } from "./components/identity-providers";
import {
  BOOKINGS_ROUTE_KEYS,
  HANDLER_NAMES,
  LOYALTY_RESOLVER_CALLER,
  LOYALTY_ROUTE_KEYS,
} from "./app/airline/contract";
import { LOG_RETENTION_DAYS } from "./components/args";
import { groupRoleProblems, scopedRoleProblems } from "./components/identity-pool-access";

/** The project name of Pulumi.yaml; config keys are qualified with it. */
export const PROJECT = "sec1-api-platform";

const IPV4_CIDR =
  /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/(\d|[12]\d|3[0-2])$/;
const IAM_ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const ACCOUNT_ID = /^\d{12}$/;
const SERVICE_PRINCIPAL = /^[a-z0-9-]+(\.[a-z0-9-]+)*\.amazonaws\.com$/;
const NAME = /^[a-z][a-z0-9-]{1,38}[a-z0-9]$/;

/** An https URL; Cognito also accepts http://localhost callbacks for local development. */
const httpsUrl = (what: string, allowLocalhost = false) =>
  z.string().refine(
    (v) => {
      try {
        const u = new URL(v);
        if (allowLocalhost && u.protocol === "http:" && u.hostname === "localhost") return true;
        return u.protocol === "https:" && u.hostname.length > 0;
      } catch {
        return false;
      }
    },
    {
      message: `expected an https:// URL${allowLocalhost ? " (or http://localhost)" : ""} for ${what}`,
    },
  );

/** An http(s) origin for CORS: scheme://host[:port], no path. `*` is checked per environment. */
const corsOrigin = z.string().refine(
  (v) => {
    if (v === "*") return true;
    try {
      const u = new URL(v);
      return (
        (u.protocol === "https:" || u.protocol === "http:") &&
        (u.pathname === "/" || u.pathname === "") &&
        !v.endsWith("/")
      );
    } catch {
      return false;
    }
  },
  { message: "expected an origin such as https://app.example.com (scheme and host, no path)" },
);

const throttle = z.strictObject({
  rateLimit: z.number().positive().max(10_000),
  burstLimit: z.number().int().positive().max(5_000),
});

const routeKey = (routes: readonly string[]) =>
  z.string().refine((v) => routes.includes(v), {
    message: `expected one of the API's routes: ${routes.join(", ")}`,
  });

const usagePlanTier = z.strictObject({
  name: z.string().regex(NAME, "expected a lowercase name of 3-40 letters, digits and dashes"),
  description: z.string().max(200).optional(),
  rateLimit: z.number().positive().max(10_000),
  burstLimit: z.number().int().positive().max(5_000),
  quota: z.strictObject({
    limit: z.number().int().positive(),
    period: z.enum(["DAY", "WEEK", "MONTH"]),
  }),
  /** Per-route throttles, keyed by "METHOD /path" of the private API. */
  methodThrottles: z.record(routeKey(LOYALTY_ROUTE_KEYS), throttle).optional(),
});

/** Who an internal caller is: a service (its invoker role is assumed by the service), an account or a role. */
const callerPrincipal = z.union([
  z.strictObject({
    service: z
      .string()
      .regex(SERVICE_PRINCIPAL, "expected a service principal such as lambda.amazonaws.com"),
  }),
  // An account is trusted only with an external id its callers present (prefer roleArn).
  z.strictObject({
    accountId: z.string().regex(ACCOUNT_ID, "expected a 12-digit AWS account id"),
    externalId: z
      .string()
      .regex(/^[\w+=,.@:/-]{2,1224}$/, "expected an external id of 2-1224 characters"),
  }),
  z.strictObject({ roleArn: z.string().regex(IAM_ROLE_ARN, "expected an IAM role ARN") }),
]);

/** A guest or group role's grant: exact actions on exact ARNs (checked by the component's rules). */
const scopedRole = {
  actions: z.array(z.string()),
  resources: z.array(z.string()),
};
const retentionDays = z.number().int().min(1).max(3650);

/** The identity pool over the user pool: temporary credentials for travellers' own S3 folders. */
const identityPoolSchema = z
  .strictObject({
    enabled: z.boolean(),
    /** Guests off unless given; then exactly these actions on these resources (telemetry only). */
    guestRole: z.strictObject(scopedRole).optional(),
    /** Roles for members of user-pool groups (`cognito:groups`), instead of the traveller role. */
    groupRoles: z.array(z.strictObject({ group: z.string(), ...scopedRole })).default([]),
    documentRetentionDays: retentionDays.default(30),
    boardingPassRetentionDays: retentionDays.default(30),
  })
  .default({
    enabled: false,
    groupRoles: [],
    documentRetentionDays: 30,
    boardingPassRetentionDays: 30,
  });

/**
 * The WebSocket API for live booking updates: a signed-in traveller's connections get every
 * change of their own bookings. Switchable per stack.
 */
const webSocketSchema = z
  .strictObject({
    enabled: z.boolean(),
    /** The stage name in the wss:// URL. */
    stageName: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,128}$/, "expected letters, digits, '-' and '_'")
      .default("live"),
    /** Throttle of connects and messages on the stage. */
    rateLimit: z.number().positive().max(10_000).default(20),
    burstLimit: z.number().int().positive().max(5_000).default(40),
    /** How long a connection record lives (API Gateway closes connections after 2 hours). */
    connectionTtlHours: z.number().int().min(2).max(24).default(3),
  })
  .default({
    enabled: false,
    stageName: "live",
    rateLimit: 20,
    burstLimit: 40,
    connectionTtlHours: 3,
  });

const internalCaller = z.strictObject({
  name: z.string().regex(NAME, "expected a lowercase name of 3-40 letters, digits and dashes"),
  principal: callerPrincipal,
  routes: z.array(routeKey(LOYALTY_ROUTE_KEYS)).min(1, "expected at least one granted route"),
  usagePlan: z.string(),
});

// ---- Federated identity providers (identityProviders): shapes here, meaning in
// components/identity-providers.ts, secrets checked against the keys the engine marks secret.
const attributeMapping = z.record(z.string(), z.string()).optional();
const idpIdentifiers = z.array(z.string()).optional();
const oauthFields = <T extends "Google" | "Facebook" | "LoginWithAmazon">(type: T) => ({
  type: z.literal(type),
  // Cognito names a social provider after its type: the name may be left out.
  name: z.literal(type).default(type),
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  scopes: z.array(z.string().min(1)).optional(),
  attributeMapping,
  idpIdentifiers,
});
const identityProviderEntry = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("SAML"),
    name: z.string(),
    metadataUrl: z.string().optional(),
    metadataFile: z.string().optional(),
    idpInitiated: z.boolean().optional(),
    idpSignout: z.boolean().optional(),
    signRequests: z.boolean().optional(),
    encryptedResponses: z.boolean().optional(),
    attributeMapping,
    idpIdentifiers,
  }),
  z.strictObject({
    type: z.literal("OIDC"),
    name: z.string(),
    issuer: z.string(),
    clientId: z.string().min(1),
    clientSecret: z.string().min(1),
    scopes: z.array(z.string().min(1)).optional(),
    attributesRequestMethod: z.enum(["GET", "POST"]).optional(),
    authorizeUrl: z.string().optional(),
    tokenUrl: z.string().optional(),
    attributesUrl: z.string().optional(),
    jwksUri: z.string().optional(),
    attributeMapping,
    idpIdentifiers,
  }),
  z.strictObject(oauthFields("Google")),
  z.strictObject({
    ...oauthFields("Facebook"),
    apiVersion: z
      .string()
      .regex(/^v\d+\.\d+$/, "expected a Graph API version such as v17.0")
      .optional(),
  }),
  z.strictObject(oauthFields("LoginWithAmazon")),
  z.strictObject({
    type: z.literal("SignInWithApple"),
    name: z.literal("SignInWithApple").default("SignInWithApple"),
    clientId: z.string().min(1),
    teamId: z.string().min(1),
    keyId: z.string().min(1),
    privateKey: z.string().min(1),
    scopes: z.array(z.string().min(1)).optional(),
    attributeMapping,
    idpIdentifiers,
  }),
]);

/**
 * The federation rules that need more than one entry or key: each entry's meaning (validated by
 * the Identity component's own validator), providers only with a user pool, local users off only
 * with a provider, and client secrets only as Pulumi secrets. The engine marks a structured key
 * secret when any value in it is `secure:`; a secret in a key it does not mark was written in
 * plain text. `secretKeys` undefined: the caller cannot tell, so that rule is not judged.
 */
function federationProblems(
  c: Partial<PlatformConfig>,
  secretKeys: readonly string[] | undefined,
): { path: PropertyKey[]; message: string }[] {
  const providers = c.identityProviders ?? [];
  const problems = validateIdentityProviders(providers).map((p) => ({
    path: ["identityProviders", ...p.path],
    message: p.message,
  }));
  if (providers.length > 0 && c.identityProvider === "oidc")
    problems.push({
      path: ["identityProviders"],
      message:
        "expected no providers when identityProvider is oidc (they federate into the user pool)",
    });
  if (c.cognitoLocalUsers === false && providers.length === 0)
    problems.push({
      path: ["cognitoLocalUsers"],
      message: "may be false only with identityProviders (nobody could sign in)",
    });
  if (secretKeys && !secretKeys.includes(`${PROJECT}:identityProviders`)) {
    providers.forEach((p, i) => {
      for (const field of SECRET_FIELDS[p.type]) {
        if ((p as Record<string, unknown>)[field] === undefined) continue;
        problems.push({
          path: ["identityProviders", i, field],
          message: `must be a Pulumi secret, not plain text in the stack file: pulumi config set --secret --path '${PROJECT}:identityProviders[${i}].${field}' <value>`,
        });
      }
    });
  }
  return problems;
}
// ---- end of identityProviders

const schema = z.strictObject({
  /** The environment's name: a label for tags and outputs, never a code path. */
  environment: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,30}$/, "expected a lowercase name such as dev, staging or prod"),
  /**
   * What the stack must guarantee: `production` turns every safeguard (protection, retention,
   * MFA, https origins, no data trace, no introspection, a depth limit, WAF) into a requirement;
   * `development` leaves them to the stack's own keys. Default production: a new stack is safe
   * until it says otherwise.
   */
  posture: z.enum(["production", "development"]).default("production"),
  /**
   * Where the stack deploys among the stacks of its posture, lowest first (the deploy workflow
   * reads it through tools/stack-list.js); every production stack sets its own once there are
   * two, so `staging` deploys before `prod` because config says so, not because of its name.
   */
  deployOrder: z.number().int().min(0, "expected an integer >= 0").optional(),
  protectResources: z.boolean().default(false),
  logRetentionDays: z
    .number()
    .int()
    .refine((v) => (LOG_RETENTION_DAYS as readonly number[]).includes(v), {
      message: `expected a CloudWatch Logs retention: ${LOG_RETENTION_DAYS.join(", ")}`,
    })
    .default(14),
  tags: z.record(z.string().regex(/^[\w .:/=+@-]{1,128}$/), z.string().max(256)).default({}),

  vpcMode: z.enum(["create", "existing"]).default("create"),
  vpcCidrBlock: z
    .string()
    .regex(IPV4_CIDR, "expected an IPv4 CIDR such as 10.20.0.0/16")
    .default("10.20.0.0/16"),
  availabilityZoneCount: z.number().int().min(2).max(6).default(2),
  natGateways: z.enum(["None", "Single", "OnePerAz"]).default("None"),
  existingVpcId: z
    .string()
    .regex(/^vpc-[0-9a-f]{8,17}$/, "expected a VPC id such as vpc-0abc12345def67890")
    .optional(),
  existingPrivateSubnetIds: z
    .array(
      z
        .string()
        .regex(/^subnet-[0-9a-f]{8,17}$/, "expected a subnet id such as subnet-0abc12345def67890"),
    )
    .optional(),
  /**
   * The existing VPC's execute-api interface endpoint, used instead of creating one (a VPC has one
   * with private DNS at most); the private API's resource policy pins it.
   */
  existingExecuteApiEndpointId: z
    .string()
    .regex(/^vpce-[0-9a-f]{8,17}$/, "expected a VPC endpoint id such as vpce-0abc12345def67890")
    .optional(),
  /**
   * Private DNS on the execute-api endpoint the stack creates: true by default in a new VPC,
   * required in an existing one (see {@link PRIVATE_DNS_EFFECT}).
   */
  executeApiPrivateDns: z.boolean().optional(),
  endpointAllowedSecurityGroupIds: z
    .array(
      z
        .string()
        .regex(/^sg-[0-9a-f]{8,17}$/, "expected a security group id such as sg-0abc12345def67890"),
    )
    .default([]),

  identityProvider: z.enum(["cognito", "oidc"]).default("cognito"),
  cognitoDomainPrefix: z
    .string()
    .regex(
      /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/,
      "expected a lowercase domain prefix (letters, digits, dashes)",
    )
    .optional(),
  cognitoCallbackUrls: z.array(httpsUrl("cognitoCallbackUrls", true)).default([]),
  cognitoLogoutUrls: z.array(httpsUrl("cognitoLogoutUrls", true)).default([]),
  cognitoMfa: z.enum(["OPTIONAL", "ON"]).default("OPTIONAL"),
  identityProviders: z.array(identityProviderEntry).default([]),
  cognitoLocalUsers: z.boolean().default(true),
  oidcIssuer: httpsUrl("oidcIssuer").optional(),
  oidcAudiences: z.array(z.string().min(1)).default([]),
  oidcJwksUri: httpsUrl("oidcJwksUri").optional(),
  /** The external IdP's claim listing a user's groups (members of `admin` are admins); unset: no admins. */
  oidcGroupsClaim: z
    .string()
    .regex(/^[\w:./-]{1,128}$/, "expected a claim name such as groups or https://example.com/roles")
    .optional(),
  authorizerMode: z.enum(["jwt", "lambda"]).default("jwt"),
  identityPool: identityPoolSchema,
  webSocket: webSocketSchema,

  corsAllowOrigins: z.array(corsOrigin).default([]),
  httpApiRateLimit: z.number().positive().max(10_000).default(50),
  httpApiBurstLimit: z.number().int().positive().max(5_000).default(100),
  httpApiRouteThrottles: z.record(routeKey(BOOKINGS_ROUTE_KEYS), throttle).default({}),

  privateApiStageName: z
    .string()
    .regex(/^[A-Za-z0-9_]{1,64}$/, "expected letters, digits and underscores")
    .default("v1"),
  privateApiRateLimit: z.number().positive().max(10_000).default(20),
  privateApiBurstLimit: z.number().int().positive().max(5_000).default(40),
  privateApiLoggingLevel: z.enum(["ERROR", "INFO"]).default("ERROR"),
  privateApiDataTrace: z.boolean().default(false),
  /**
   * Whether this stack sets the account-and-region-wide API Gateway CloudWatch role. Exactly one
   * stack per account and region should (the others would overwrite it, and destroying one would
   * break the others' logging).
   */
  manageApiGatewayAccount: z.boolean().default(true),
  /**
   * Whether the VPC gets an SSM interface endpoint, for functions in private subnets that read
   * SecureStrings. False when the VPC already has one (private DNS: one per service and VPC).
   */
  ssmEndpoint: z.boolean().default(true),

  usagePlans: z.array(usagePlanTier).min(1, "expected at least one usage plan tier"),
  internalCallers: z.array(internalCaller),

  appsyncFieldLogLevel: z.enum(["NONE", "ERROR", "INFO", "DEBUG", "ALL"]).default("ERROR"),
  appsyncIntrospection: z.boolean().default(true),
  appsyncQueryDepthLimit: z.number().int().min(0).max(75).default(0),
  wafEnabled: z.boolean().default(false),
  wafRateLimit: z.number().int().min(10).max(2_000_000_000).default(1000),
  reservedConcurrency: z
    .partialRecord(z.enum(HANDLER_NAMES), z.number().int().min(1).max(1000))
    .default({}),
  /**
   * The account's Lambda concurrent-executions quota in the stack's region (Service Quotas,
   * "Concurrent executions"; 1,000 by default, lower in some new accounts). The stack's
   * reservations must leave the 100 that Lambda keeps unreserved.
   */
  accountConcurrencyQuota: z.number().int().min(10).max(10_000_000).default(1000),
});

/** The validated stack configuration. */
export type PlatformConfig = z.infer<typeof schema>;
/** One usage-plan tier. */
export type UsagePlanTier = PlatformConfig["usagePlans"][number];
/** One internal caller of the private API. */
export type InternalCaller = PlatformConfig["internalCallers"][number];

/** One problem of a rule that relates several keys: the path of the key at fault. */
type Problem = { path: PropertyKey[]; message: string };

/**
 * Rules that relate several keys. They run on whatever keys parsed, so one run reports every
 * problem; a rule whose keys did not parse stays silent (the key's own problem is reported).
 */
function crossFieldProblems(c: Partial<PlatformConfig>): Problem[] {
  return [
    ...sourceProblems(c),
    ...throttleProblems(c),
    ...callerProblems(c),
    ...concurrencyProblems(c),
    ...identityPoolProblems(c),
    ...webSocketProblems(c),
    ...(c.posture === "production" ? postureProblems(c) : []),
  ];
}

const need = (key: string, message: string): Problem => ({ path: [key], message });

/**
 * What private DNS on an execute-api endpoint does to the VPC it is in, for the error that asks
 * for the choice. https://repost.aws/knowledge-center/api-gateway-vpc-connections
 */
export const PRIVATE_DNS_EFFECT =
  "true: every public API Gateway default host name (https://<api-id>.execute-api.<region>.amazonaws.com: REST, HTTP and WebSocket APIs, this stack's bookings API included) called from anywhere in that VPC resolves to the endpoint and gets 403 Forbidden, and the VPC needs enableDnsSupport and enableDnsHostnames; false: public APIs stay reachable, and callers of the private API in the VPC (the loyalty resolver) use the endpoint-specific host name <api-id>-<vpce-id>.execute-api.<region>.amazonaws.com";

/** The execute-api endpoint in an existing VPC: the VPC's own, or one made with a DNS choice. */
function endpointProblems(c: Partial<PlatformConfig>): Problem[] {
  const problems: Problem[] = [];
  const existingVpc = c.vpcMode === "existing";
  if (c.existingExecuteApiEndpointId !== undefined && !existingVpc)
    problems.push(need("existingExecuteApiEndpointId", "only with vpcMode existing"));
  if (c.existingExecuteApiEndpointId !== undefined && c.executeApiPrivateDns !== undefined)
    problems.push(
      need(
        "executeApiPrivateDns",
        "not with existingExecuteApiEndpointId (the existing endpoint's own private DNS setting applies)",
      ),
    );
  if (
    existingVpc &&
    c.existingExecuteApiEndpointId === undefined &&
    c.executeApiPrivateDns === undefined
  )
    problems.push(
      need(
        "executeApiPrivateDns",
        `required when vpcMode is existing and the stack creates the execute-api endpoint (or name the VPC's own with existingExecuteApiEndpointId). ${PRIVATE_DNS_EFFECT}`,
      ),
    );
  return problems;
}

/** The VPC and the identity provider: the keys each mode requires. */
function sourceProblems(c: Partial<PlatformConfig>): Problem[] {
  const problems: Problem[] = [...endpointProblems(c)];
  if (c.vpcMode === "existing") {
    if (!c.existingVpcId) problems.push(need("existingVpcId", "required when vpcMode is existing"));
    if (!c.existingPrivateSubnetIds || c.existingPrivateSubnetIds.length < 2)
      problems.push(
        need(
          "existingPrivateSubnetIds",
          "expected at least two private subnet ids (two AZs) when vpcMode is existing",
        ),
      );
  }
  if (c.identityProvider === "cognito" || c.identityProvider === undefined) {
    if (!c.cognitoDomainPrefix)
      problems.push(need("cognitoDomainPrefix", "required when identityProvider is cognito"));
    if (c.cognitoCallbackUrls?.length === 0)
      problems.push(
        need(
          "cognitoCallbackUrls",
          "expected at least one callback URL when identityProvider is cognito",
        ),
      );
  } else {
    if (!c.oidcIssuer) problems.push(need("oidcIssuer", "required when identityProvider is oidc"));
    if (c.oidcAudiences?.length === 0)
      problems.push(
        need("oidcAudiences", "expected at least one audience when identityProvider is oidc"),
      );
  }
  return problems;
}

/** A burst below its rate would throttle every burst: API Gateway wants burst >= rate. */
function throttleProblems(c: Partial<PlatformConfig>): Problem[] {
  const problems: Problem[] = [];
  const below = (burst?: number, rate?: number) =>
    burst !== undefined && rate !== undefined && burst < rate;
  if (below(c.httpApiBurstLimit, c.httpApiRateLimit))
    problems.push(need("httpApiBurstLimit", "must be at least httpApiRateLimit"));
  if (below(c.privateApiBurstLimit, c.privateApiRateLimit))
    problems.push(need("privateApiBurstLimit", "must be at least privateApiRateLimit"));
  c.usagePlans?.forEach((t, i) => {
    if (t.burstLimit < t.rateLimit)
      problems.push({
        path: ["usagePlans", i, "burstLimit"],
        message: `must be at least rateLimit (${t.rateLimit})`,
      });
  });
  return problems;
}

/** Tiers and callers: unique names, each caller on a tier, and the GraphQL resolver's caller. */
function callerProblems(c: Partial<PlatformConfig>): Problem[] {
  const problems: Problem[] = [];
  const tiers = new Set<string>();
  c.usagePlans?.forEach((t, i) => {
    if (tiers.has(t.name))
      problems.push({
        path: ["usagePlans", i, "name"],
        message: `duplicate tier name '${t.name}'`,
      });
    tiers.add(t.name);
  });
  const callers = new Set<string>();
  c.internalCallers?.forEach((caller, i) => {
    if (callers.has(caller.name))
      problems.push({
        path: ["internalCallers", i, "name"],
        message: `duplicate caller name '${caller.name}'`,
      });
    callers.add(caller.name);
    if (c.usagePlans && !tiers.has(caller.usagePlan))
      problems.push({
        path: ["internalCallers", i, "usagePlan"],
        message: `expected one of the usagePlans tiers (${[...tiers].join(", ")}), found '${caller.usagePlan}'`,
      });
  });
  if (c.internalCallers && c.usagePlans) {
    const { name, service, route } = LOYALTY_RESOLVER_CALLER;
    const resolver = c.internalCallers.find((x) => x.name === name);
    const fits =
      resolver &&
      "service" in resolver.principal &&
      resolver.principal.service === service &&
      resolver.routes.includes(route);
    if (!fits)
      problems.push({
        path: ["internalCallers"],
        message: `expected a caller named ${name} with principal { service: ${service} } granted ${route}: the GraphQL loyalty resolver runs as its invoker role`,
      });
  }
  return problems;
}

/**
 * Lambda keeps 100 of the account's concurrent executions unreserved, and refuses a reservation
 * that would leave fewer ("decreases account's UnreservedConcurrentExecution below its minimum
 * value of [100]"), late in the deploy, after other resources changed. The stack's reservations
 * are summed here instead, each function's share named. Other stacks' and teams' reservations in
 * the same account and region count against the same quota: this is the least the account needs.
 * The authorizer's share counts only with `authorizerMode: lambda` (no function otherwise).
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html
 */
export const UNRESERVED_CONCURRENCY_MINIMUM = 100;

function concurrencyProblems(c: Partial<PlatformConfig>): Problem[] {
  const shares = Object.entries(c.reservedConcurrency ?? {}).filter(
    (e): e is [string, number] =>
      typeof e[1] === "number" && (e[0] !== "authorizer" || c.authorizerMode === "lambda"),
  );
  const quota = c.accountConcurrencyQuota;
  if (quota === undefined || shares.length === 0) return [];
  const total = shares.reduce((sum, [, n]) => sum + n, 0);
  const reservable = Math.max(0, quota - UNRESERVED_CONCURRENCY_MINIMUM);
  if (total <= reservable) return [];
  const each = shares.map(([fn, n]) => `${fn} ${n}`).join(", ");
  return [
    need(
      "reservedConcurrency",
      `reserves ${total} concurrent executions (${each}), but accountConcurrencyQuota ${quota} leaves at most ${reservable} to reserve (Lambda keeps ${UNRESERVED_CONCURRENCY_MINIMUM} unreserved); lower the shares or raise the account's quota (Service Quotas: Lambda "Concurrent executions") and set accountConcurrencyQuota`,
    ),
  ];
}

/** "guestRole.actions[0]: message" → the path under identityPool and the message. */
function underIdentityPool(problem: string): Problem {
  const sep = problem.indexOf(": ");
  const path = problem
    .slice(0, sep)
    .split(/\.|\[(\d+)\]/)
    .filter((p) => p !== undefined && p !== "")
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  return { path: ["identityPool", ...path], message: problem.slice(sep + 2) };
}

/** The WebSocket stage: its burst at least its rate, like the other stages. */
function webSocketProblems(c: Partial<PlatformConfig>): Problem[] {
  const ws = c.webSocket;
  if (!ws?.enabled || ws.burstLimit >= ws.rateLimit) return [];
  return [{ path: ["webSocket", "burstLimit"], message: "must be at least webSocket.rateLimit" }];
}

/** The identity pool: over this stack's user pool, with guest and group roles the rules allow. */
function identityPoolProblems(c: Partial<PlatformConfig>): Problem[] {
  const pool = c.identityPool;
  if (!pool?.enabled) return [];
  const problems: Problem[] = [];
  if (c.identityProvider === "oidc")
    problems.push({
      path: ["identityPool", "enabled"],
      message: "needs identityProvider cognito (the identity pool trusts this stack's user pool)",
    });
  if (c.corsAllowOrigins?.includes("*") || c.corsAllowOrigins?.length === 0)
    problems.push({
      path: ["corsAllowOrigins"],
      message: "must name the app's origins when identityPool is enabled (the bucket's CORS rule)",
    });
  const roleProblems = [
    ...(pool.guestRole ? scopedRoleProblems("guestRole", pool.guestRole) : []),
    ...groupRoleProblems("groupRoles", pool.groupRoles),
  ];
  return [...problems, ...roleProblems.map(underIdentityPool)];
}

/** The production posture: every safeguard a requirement. */
function postureProblems(c: Partial<PlatformConfig>): Problem[] {
  const problems: Problem[] = [];
  const safeguard = (key: string, what: string) =>
    problems.push(need(key, `production posture: ${what}`));
  if (c.protectResources === false) safeguard("protectResources", "must be true in production");
  if (c.logRetentionDays !== undefined && c.logRetentionDays < 90)
    safeguard("logRetentionDays", "must be at least 90 in production");
  if (c.cognitoMfa === "OPTIONAL" && c.identityProvider === "cognito")
    safeguard("cognitoMfa", "must be ON in production");
  c.corsAllowOrigins?.forEach((o, i) => {
    if (!o.startsWith("https://"))
      problems.push({
        path: ["corsAllowOrigins", i],
        message: `production posture: expected an https:// origin, found '${o}'`,
      });
  });
  if (c.privateApiDataTrace)
    safeguard(
      "privateApiDataTrace",
      "must be false in production (it logs full request and response bodies)",
    );
  if (c.appsyncIntrospection === true)
    safeguard("appsyncIntrospection", "must be false in production");
  if (c.appsyncQueryDepthLimit === 0)
    safeguard("appsyncQueryDepthLimit", "must be between 1 and 75 in production");
  if (c.appsyncFieldLogLevel === "ALL" || c.appsyncFieldLogLevel === "DEBUG")
    safeguard(
      "appsyncFieldLogLevel",
      "must be NONE, ERROR or INFO in production (ALL and DEBUG log field values)",
    );
  if (c.wafEnabled === false) safeguard("wafEnabled", "must be true in production");
  return problems;
}

/** Every config key the project knows, in schema order. */
export const CONFIG_KEYS: readonly string[] = Object.keys(schema.shape);

/** How the engine's string value of a key is decoded before validation. */
function kindOf(key: string): "string" | "number" | "boolean" | "json" {
  let inner: z.ZodType = schema.shape[key as keyof typeof schema.shape];
  while (inner instanceof z.ZodDefault || inner instanceof z.ZodOptional)
    inner = inner.unwrap() as z.ZodType;
  if (inner instanceof z.ZodNumber) return "number";
  if (inner instanceof z.ZodBoolean) return "boolean";
  if (inner instanceof z.ZodString || inner instanceof z.ZodEnum) return "string";
  return "json";
}

/** Raised for bad stack config; its message lists every bad key. */
export class ConfigError extends Error {
  constructor(public readonly problems: { key: string; message: string }[]) {
    super(
      `Invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((p) => `  - ${p.key}: ${p.message}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

/** Fields whose values error messages never show (they may be real, decrypted secrets). */
const SECRET_VALUE_FIELDS = new Set(["clientSecret", "privateKey"]);

function describe(value: unknown, path: readonly PropertyKey[] = []): string {
  if (value === undefined) return "nothing";
  if (SECRET_VALUE_FIELDS.has(String(path[path.length - 1]))) return "a value (not shown)";
  const text = JSON.stringify(value, (k, v) => (SECRET_VALUE_FIELDS.has(k) ? "[not shown]" : v));
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function at(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const p of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

function keyOf(path: readonly PropertyKey[]): string {
  let key = `${PROJECT}:${String(path[0] ?? "")}`;
  for (const p of path.slice(1)) key += typeof p === "number" ? `[${p}]` : `.${String(p)}`;
  return key;
}

/**
 * Validates raw stack config (the `project:key` → string map the engine hands the program) and
 * returns the typed config, or throws one {@link ConfigError} listing every bad key.
 * Keys of other namespaces (`aws:region`, ...) are ignored.
 */
export function parsePlatformConfig(
  raw: Record<string, string>,
  secretKeys?: readonly string[],
): PlatformConfig {
  const problems: { key: string; message: string }[] = [];
  const values: Record<string, unknown> = {};
  for (const [fullKey, text] of Object.entries(raw)) {
    const sep = fullKey.indexOf(":");
    if (sep < 0 || fullKey.slice(0, sep) !== PROJECT) continue;
    const key = fullKey.slice(sep + 1);
    if (!CONFIG_KEYS.includes(key)) {
      problems.push({
        key: fullKey,
        message: `unknown key (found ${describe(text)}); expected one of ${CONFIG_KEYS.join(", ")}`,
      });
      continue;
    }
    values[key] = decode(text, kindOf(key));
  }
  const parsed: Record<string, unknown> = {};
  for (const key of CONFIG_KEYS) {
    const field = schema.shape[key as keyof typeof schema.shape];
    const result = field.safeParse(values[key]);
    if (result.success) {
      if (result.data !== undefined) parsed[key] = result.data;
      continue;
    }
    for (const issue of result.error.issues) {
      const path = [key, ...issue.path];
      const found = values[key] === undefined ? "nothing" : describe(at(values, path), path);
      const message = values[key] === undefined ? "required" : issue.message;
      problems.push({ key: keyOf(path), message: `${message} (found ${found})` });
    }
  }
  const rules = [
    ...crossFieldProblems(parsed as Partial<PlatformConfig>),
    ...federationProblems(parsed as Partial<PlatformConfig>, secretKeys),
  ];
  for (const p of rules) {
    const raw = at(values, p.path);
    const fallback = at(parsed, p.path);
    const found =
      raw !== undefined
        ? describe(raw, p.path)
        : fallback === undefined
          ? "nothing"
          : `the default ${describe(fallback, p.path)}`;
    problems.push({ key: keyOf(p.path), message: `${p.message} (found ${found})` });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return parsed as PlatformConfig;
}

/**
 * The engine passes every value as a string; structured values arrive as JSON. Numbers and
 * booleans are decoded so the schema can name a wrong type ("expected number, received string").
 */
function decode(text: string, kind: ReturnType<typeof kindOf>): unknown {
  const trimmed = text.trim();
  if (kind === "number" && /^-?\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  if (kind === "boolean" && (trimmed === "true" || trimmed === "false")) return trimmed === "true";
  if (kind === "json") {
    try {
      return JSON.parse(trimmed);
    } catch {
      return text;
    }
  }
  return text;
}

/** Reads and validates the running stack's config (and which keys the engine marked secret). Throws {@link ConfigError} before anything is registered. */
export function loadPlatformConfig(): PlatformConfig {
  const all = pulumi.runtime.allConfig();
  return parsePlatformConfig(
    all,
    Object.keys(all).filter((key) => runtimeConfig.isConfigSecret(key)),
  );
}

// The SDK's own test of the keys the engine marked secret (PULUMI_CONFIG_SECRET_KEYS, or the
// secret keys given to setAllConfig under mocks); exported by the module, left out of its typings.
const runtimeConfig = require("@pulumi/pulumi/runtime/config") as {
  isConfigSecret(key: string): boolean;
};
