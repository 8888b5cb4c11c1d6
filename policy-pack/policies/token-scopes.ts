/**
 * SEC1 practice A, which tokens an authorizer lets through. A JWT authorizer checks issuer and
 * audience; without `authorizationScopes` on the route, every token of that audience passes
 * (a Cognito ID token too, and tokens of every app client the audience lists). For the app's
 * own clients that is the design: every signed-in user may call the route, so the scope check is
 * advisory. It is mandatory where the audience also admits a machine client (a Cognito app
 * client with the client_credentials flow): its token carries no user and only the scopes it
 * was granted, so without route scopes that partner or service calls every route meant for the
 * app's users. An AppSync Cognito provider without `appIdClientRegex` accepts tokens of every
 * app client of the pool, and so does a REST Cognito authorizer on a method without scopes
 * (advisory). An AppSync API whose only provider is a Lambda authorizer lets code decide which
 * tokens pass (advisory). No peer checker looks at any of these.
 */
import * as aws from "@pulumi/aws";
import {
  Policies,
  PolicyResource,
  ResourceValidationPolicy,
  StackValidationPolicy,
  validateResourceOfType,
} from "@pulumi/policy";
import { accessModel, Caller, describePath } from "../lib/access-model";
import { sec1Metadata } from "../lib/metadata";
import { validateStackWith } from "../lib/typed-validation";
import {
  configSchema,
  exemptResourcesProperty,
  readConfig,
  stringListProperty,
} from "../lib/policy-config";
import { matchesAnyGlob, ofType, rawProps, resolveReference, TYPES } from "../lib/stack-refs";
import {
  asRecord,
  hasUnknown,
  isUnknownValue,
  knownString,
  knownStrings,
  nameOf,
  upperString as upper,
} from "../lib/values";

const DOCS = {
  jwtScopes:
    "https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-jwt-authorizer.html",
  appsyncCognito:
    "https://docs.aws.amazon.com/appsync/latest/devguide/security-authz.html#amazon-cognito-user-pools-authorization",
  appsyncLambda:
    "https://docs.aws.amazon.com/appsync/latest/devguide/security-authz.html#aws-lambda-authorization",
  restCognito:
    "https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-enable-cognito-user-pool.html",
};

const USER_POOL = "aws:cognito/userPool:UserPool";
const USER_POOL_CLIENT = "aws:cognito/userPoolClient:UserPoolClient";

/** Config of sec1-a-jwt-route-scopes. */
export interface JwtRouteScopesArgs {
  /** Route keys (`*` wildcards) that may accept any token of the audience. Default: []. */
  exemptRouteKeys: string[];
  /** Logical names of Route resources exempt (`*` wildcards). Default: []. */
  exemptResources: string[];
}

const jwtScopesSchema = configSchema({
  exemptRouteKeys: stringListProperty(
    [],
    "Route keys (`*` wildcards) that may accept any token of the audience, e.g. `GET /me`.",
  ),
  exemptResources: exemptResourcesProperty("Route resources exempt"),
});

/** The route keys and logical names a JWT-scopes policy leaves alone. */
function exempt(name: string, routeKey: string, config: JwtRouteScopesArgs): boolean {
  return (
    matchesAnyGlob(name, config.exemptResources) || matchesAnyGlob(routeKey, config.exemptRouteKeys)
  );
}

/** A: JWT routes name the scopes a token must carry (hardening for the app's own clients). */
export const jwtRouteScopes: ResourceValidationPolicy = {
  name: "sec1-a-jwt-route-scopes",
  description:
    "HTTP API routes with a JWT authorizer should require OAuth scopes: without authorizationScopes every token issued for the audience passes, ID tokens included, whatever the caller was granted. Advisory by default: for the app's own clients every signed-in user may call the route by design (sec1-a-jwt-route-machine-client is mandatory where the audience also admits a machine client); configure it mandatory to require scopes everywhere.",
  enforcementLevel: "advisory",
  configSchema: jwtScopesSchema,
  ...sec1Metadata(
    "A",
    "high",
    "Set `authorizationScopes` on each JWT route to the scopes of its operation (e.g. `airline/bookings.read`), defined on the Cognito resource server or your IdP; exempt routes that any signed-in user may call through `exemptRouteKeys`.",
    DOCS.jwtScopes,
    ["api-gateway", "jwt", "oauth-scopes"],
  ),
  validateResource: validateResourceOfType(aws.apigatewayv2.Route, (route, args, report) => {
    const props = rawProps(route);
    if (upper(props.authorizationType) !== "JWT") return;
    const name = nameOf(args);
    const config = readConfig<JwtRouteScopesArgs>(args, jwtScopesSchema);
    const routeKey = props.routeKey;
    if (typeof routeKey !== "string" || isUnknownValue(routeKey)) return;
    if (exempt(name, routeKey, config)) return;
    const scopes = knownStrings(props.authorizationScopes);
    if (scopes === undefined || scopes.length > 0) return;
    report(
      `API Gateway v2 Route '${name}' (${routeKey}) must require OAuth scopes, or every token of the audience (ID tokens too) passes; set authorizationScopes to the scopes of this operation.`,
    );
  }),
};

/** True when a user pool client is a machine client: it may use the client_credentials flow. */
function isMachineClient(client: PolicyResource): boolean {
  const flows = knownStrings(rawProps(client.props).allowedOauthFlows) ?? [];
  return flows.some((f) => f.toLowerCase() === "client_credentials");
}

/**
 * The machine clients a JWT authorizer's audience admits: app clients of the stack named in
 * `jwtConfiguration.audiences` (by property dependency or id). An audience that is not known yet
 * names no one here: an unknown makes the path unknown, never a verdict.
 */
function machineClients(resources: PolicyResource[], authorizer: PolicyResource): PolicyResource[] {
  const index = accessModel(resources).index;
  const audiences = asRecord(rawProps(authorizer.props).jwtConfiguration)?.audiences;
  const byDep = (
    (authorizer.propertyDependencies as Record<string, PolicyResource[]> | undefined)
      ?.jwtConfiguration ?? []
  ).filter((d) => d && d.type === USER_POOL_CLIENT);
  const byId = (knownStrings(audiences) ?? []).flatMap((a) => index.byValue(a, [USER_POOL_CLIENT]));
  return [...new Set([...byDep, ...byId])].filter(isMachineClient);
}

/** A: a JWT route whose audience admits a machine client requires the scopes that separate it. */
export const jwtRouteMachineClient: StackValidationPolicy = {
  name: "sec1-a-jwt-route-machine-client",
  description:
    "HTTP API routes whose JWT authorizer also admits a machine client (a Cognito app client with the client_credentials flow, such as a partner or service) must require OAuth scopes. Path guarded: the machine client's access token carries no user and only the scopes it was granted; on a route without authorizationScopes it passes like a user's token, so that client calls every route meant for the app's users and whatever they reach.",
  enforcementLevel: "mandatory",
  configSchema: jwtScopesSchema,
  ...sec1Metadata(
    "A",
    "critical",
    "Set `authorizationScopes` on each JWT route to the scopes of its operation, and grant the machine client only the scopes of the routes it is meant to call (or give it its own authorizer with its own audience).",
    DOCS.jwtScopes,
    ["api-gateway", "jwt", "oauth-scopes", "client-credentials"],
  ),
  validateStack: validateStackWith(TYPES.httpRoute, (args, report) => {
    const config = readConfig<JwtRouteScopesArgs>(args, jwtScopesSchema);
    const model = accessModel(args.resources);
    for (const entry of model.entries("http-route")) {
      const props = rawProps(entry.resource.props);
      if (entry.auth !== "JWT" || exempt(nameOf(entry.resource), entry.operation, config)) continue;
      const scopes = knownStrings(props.authorizationScopes);
      if (scopes === undefined || scopes.length > 0) continue;
      const ref = model.index.ref(entry.resource, "authorizerId", [TYPES.httpAuthorizer]);
      if (!Array.isArray(ref)) continue;
      for (const client of ref.flatMap((a) => machineClients(args.resources, a))) {
        const caller: Caller = {
          kind: "signed-in",
          label: `machine client ${nameOf(client)} (client_credentials)`,
        };
        report(
          `API Gateway v2 Route '${nameOf(entry.resource)}' (${entry.operation}) must require OAuth scopes: its authorizer also admits a machine client (${describePath(caller, entry)}); set authorizationScopes to the scopes of this operation.`,
          entry.resource.urn,
        );
      }
    }
  }),
};

/** Config of sec1-a-appsync-cognito-client-regex. */
export interface AppSyncClientRegexArgs {
  /** Logical names of GraphQL APIs exempt (`*` wildcards). Default: []. */
  exemptResources: string[];
}

const clientRegexSchema = configSchema({
  exemptResources: exemptResourcesProperty("GraphQL APIs exempt"),
});

/** Regexes that accept any app client, which is the same as none. */
const MATCH_ALL = new Set([".*", ".+", "^.*$", "^.+$", "*"]);

/** The Cognito provider configs of an API: the default one and each additional one. */
function cognitoConfigs(props: Record<string, unknown>): { where: string; config: unknown }[] {
  const out: { where: string; config: unknown }[] = [];
  if (upper(props.authenticationType) === "AMAZON_COGNITO_USER_POOLS") {
    out.push({ where: "userPoolConfig", config: props.userPoolConfig });
  }
  const extra = props.additionalAuthenticationProviders;
  if (Array.isArray(extra)) {
    extra.forEach((p, i) => {
      const provider = asRecord(p);
      if (upper(provider?.authenticationType) !== "AMAZON_COGNITO_USER_POOLS") return;
      out.push({
        where: `additionalAuthenticationProviders[${i}].userPoolConfig`,
        config: provider?.userPoolConfig,
      });
    });
  }
  return out;
}

/** A: AppSync Cognito providers accept only the app clients meant to call the API. */
export const appsyncCognitoClientRegex: ResourceValidationPolicy = {
  name: "sec1-a-appsync-cognito-client-regex",
  description:
    "AppSync Cognito user pool providers should name the app clients they accept (appIdClientRegex): without it, a token from any app client of the pool, including ones made for other applications, calls the API. Advisory by default: every such caller still signed in to the pool, and the schema's directives still decide per field; make it mandatory where a pool serves several applications.",
  enforcementLevel: "advisory",
  configSchema: clientRegexSchema,
  ...sec1Metadata(
    "A",
    "medium",
    "Set `appIdClientRegex` in each Cognito `userPoolConfig` (default and additional providers) to the ids of the app clients that call this API, e.g. `^(<webClientId>|<mobileClientId>)$`.",
    DOCS.appsyncCognito,
    ["appsync", "cognito"],
  ),
  validateResource: validateResourceOfType(aws.appsync.GraphQLApi, (api, args, report) => {
    const props = rawProps(api);
    const name = nameOf(args);
    if (
      matchesAnyGlob(
        name,
        readConfig<AppSyncClientRegexArgs>(args, clientRegexSchema).exemptResources,
      )
    ) {
      return;
    }
    if (
      hasUnknown(props.authenticationType) ||
      isUnknownValue(props.additionalAuthenticationProviders)
    ) {
      return;
    }
    for (const { where, config } of cognitoConfigs(props)) {
      if (isUnknownValue(config)) continue;
      const regex = asRecord(config)?.appIdClientRegex;
      if (isUnknownValue(regex)) continue;
      if (typeof regex === "string" && regex.trim() !== "" && !MATCH_ALL.has(regex.trim()))
        continue;
      report(
        `AppSync GraphQLApi '${name}' must accept tokens only from its own app clients; set ${where}.appIdClientRegex to their client ids${typeof regex === "string" && regex.trim() !== "" ? ` (not '${regex}')` : ""}.`,
      );
    }
  }),
};

/** The app clients of the user pools a REST Cognito authorizer trusts, by pool. */
function clientsByPool(
  authorizer: PolicyResource,
  resources: unknown,
): { pool: PolicyResource; clients: PolicyResource[] }[] {
  const pools = ofType(resources, USER_POOL);
  const clients = ofType(resources, USER_POOL_CLIENT);
  const trusted = new Set<PolicyResource>(
    (asRecord(authorizer.propertyDependencies)?.providerArns as PolicyResource[] | undefined) ?? [],
  );
  for (const arn of knownStrings(rawProps(authorizer.props).providerArns) ?? []) {
    pools.filter((p) => rawProps(p.props).arn === arn).forEach((p) => trusted.add(p));
  }
  return pools
    .filter((pool) => trusted.has(pool))
    .map((pool) => ({
      pool,
      clients: clients.filter((c) => {
        const ref = resolveReference(c, "userPoolId", pools);
        return ref.kind === "found" && ref.resources.includes(pool);
      }),
    }));
}

/**
 * A (advisory): a REST method behind a Cognito authorizer names scopes when the pool has several
 * app clients. Without authorizationScopes the authorizer takes the ID token of any app client
 * of the pool (it checks no audience), so users of another app of the pool call the method.
 * Advisory: they are still signed-in users of the pool, which may be the design.
 */
export const restCognitoClientScopes: StackValidationPolicy = {
  name: "sec1-a-rest-cognito-client-scopes",
  description:
    "A REST method with a COGNITO_USER_POOLS authorizer and no authorizationScopes accepts the ID token of every app client of the pool (API Gateway checks no audience): where the pool has several app clients, users of each of them call the method. Advisory: they are signed-in users of the pool; make it mandatory where a pool serves several applications.",
  enforcementLevel: "advisory",
  ...sec1Metadata(
    "A",
    "medium",
    "Set `authorizationScopes` on the method to a scope of a resource server that only this API's app clients are allowed (access tokens then carry it), or give this API its own user pool.",
    DOCS.restCognito,
    ["api-gateway", "rest", "cognito"],
  ),
  validateStack: validateStackWith(TYPES.restAuthorizer, (args, report) => {
    const authorizers = ofType(args.resources, TYPES.restAuthorizer);
    for (const method of ofType(args.resources, TYPES.restMethod)) {
      const props = rawProps(method.props);
      if (upper(props.authorization) !== "COGNITO_USER_POOLS") continue;
      const scopes = knownStrings(props.authorizationScopes);
      if (scopes === undefined || scopes.length > 0) continue;
      const ref = resolveReference(method, "authorizerId", authorizers);
      if (ref.kind !== "found") continue;
      for (const { pool, clients } of ref.resources.flatMap((a) =>
        clientsByPool(a, args.resources),
      )) {
        if (clients.length < 2) continue;
        report(
          `API Gateway Method '${nameOf(method)}' (${knownString(props.httpMethod) ?? "?"}) accepts the ID token of every app client of user pool '${nameOf(pool)}' (users of ${clients.map((c) => nameOf(c)).join(", ")} → ID token → COGNITO_USER_POOLS, no scopes → this method); set authorizationScopes to a scope only this API's clients are allowed.`,
          method.urn,
        );
      }
    }
  }),
};

/**
 * A (advisory): an AppSync API whose only provider is AWS_LAMBDA lets code decide every call.
 * Anyone on the internet may send it any token; only the function says no, and its code is out
 * of the pack's sight. Advice to review that function, or to put an identity provider first.
 */
export const appsyncLambdaOnlyAuth: ResourceValidationPolicy = {
  name: "sec1-a-appsync-lambda-only-auth",
  description:
    "An AppSync API whose only provider is AWS_LAMBDA lets its authorizer function alone decide every call: anyone on the internet may send any token, and a bug or a permissive default in that function opens every field. Advisory: the function may be sound, which the pack cannot read.",
  enforcementLevel: "advisory",
  ...sec1Metadata(
    "A",
    "medium",
    "Make an identity provider (AMAZON_COGNITO_USER_POOLS, OPENID_CONNECT or AWS_IAM) the default and keep AWS_LAMBDA for the fields that need it; otherwise set `lambdaAuthorizerConfig.identityValidationExpression` and review that the function denies by default.",
    DOCS.appsyncLambda,
    ["appsync", "lambda-authorizer"],
  ),
  validateResource: validateResourceOfType(aws.appsync.GraphQLApi, (api, args, report) => {
    const props = rawProps(api);
    if (upper(props.authenticationType) !== "AWS_LAMBDA") return;
    const extra = props.additionalAuthenticationProviders;
    if (hasUnknown(extra) || (extra !== undefined && extra !== null && !Array.isArray(extra)))
      return;
    const others = (Array.isArray(extra) ? extra : []).filter(
      (p) => upper(asRecord(p)?.authenticationType) !== "AWS_LAMBDA",
    );
    if (others.length > 0) return;
    const uri = knownString(asRecord(props.lambdaAuthorizerConfig)?.authorizerUri) ?? "";
    const name = uri.split(":function:")[1]?.split(":")[0];
    const fn = name ? `function ${name}` : "its authorizer function";
    report(
      `AppSync GraphQLApi '${nameOf(args)}' lets its Lambda authorizer alone decide every call (anyone on the internet → any token → ${fn} → every field); make an identity provider the default, or set lambdaAuthorizerConfig.identityValidationExpression and have the function deny by default.`,
    );
  }),
};

/** Every policy of this file. */
export const policies: Policies = [
  jwtRouteScopes,
  jwtRouteMachineClient,
  appsyncCognitoClientRegex,
  restCognitoClientScopes,
  appsyncLambdaOnlyAuth,
];
