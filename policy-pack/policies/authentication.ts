/**
 * SEC1 practice A: every operation is authenticated and authorized.
 * REST methods, HTTP and WebSocket routes, their authorizers, AppSync providers, Cognito identity
 * pools, Lambda function URLs, and APIs defined without separate method or route resources.
 */
import * as aws from "@pulumi/aws";
import {
  Policies,
  PolicyResource,
  ResourceValidationPolicy,
  StackValidationPolicy,
  validateResourceOfType,
} from "@pulumi/policy";
import { sec1Metadata } from "../lib/metadata";
import { validateEachType, validateStackWith } from "../lib/typed-validation";
import {
  configSchema,
  exemptHttpMethodsProperty,
  exemptResourcesProperty,
  readConfig,
  stringListProperty,
} from "../lib/policy-config";
import { openOperations } from "../lib/openapi-security";
import {
  accessModel,
  describePath,
  EntryKind,
  EntryPoint,
  routeProtocol,
} from "../lib/access-model";
import { matchesAnyGlob, ofType, rawProps, resolveReference, TYPES } from "../lib/stack-refs";
import {
  asNumber,
  asRecord,
  isUnknownValue,
  knownString,
  knownStrings,
  nameOf,
  upperString as upper,
} from "../lib/values";

const DOCS = {
  restAccess:
    "https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-control-access-to-api.html",
  lambdaAuthorizer:
    "https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-use-lambda-authorizer.html",
  httpAccess:
    "https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-access-control.html",
  jwtAuthorizer:
    "https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-jwt-authorizer.html",
  appsyncAuth: "https://docs.aws.amazon.com/appsync/latest/devguide/security-authz.html",
  identityPools: "https://docs.aws.amazon.com/cognito/latest/developerguide/identity-pools.html",
  functionUrlAuth: "https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html",
  openApiAuth:
    "https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions-authorizer.html",
  httpApiDevelop:
    "https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop.html",
  websocketConnect:
    "https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-route-keys-connect-disconnect.html",
};

// ---------------------------------------------------------------------------------------------
// A1. REST methods

/** Config of sec1-a-rest-method-authorization. */
export interface RestMethodAuthorizationArgs {
  /** HTTP methods that may be open (CORS preflight). Default: ["OPTIONS"]. */
  exemptHttpMethods: string[];
  /** Logical names of Method resources that may be open (`*` wildcards). Default: []. */
  exemptResources: string[];
}

const restMethodSchema = configSchema({
  exemptHttpMethods: exemptHttpMethodsProperty("HTTP methods that may be open (CORS preflight)."),
  exemptResources: exemptResourcesProperty("Method resources that may be open"),
});

/** The model's REST entry points by method resource (to quote a method's path). */
function entryOf(
  kind: EntryKind,
  resources: unknown,
  resource: PolicyResource,
): EntryPoint | undefined {
  return accessModel(resources)
    .entries(kind)
    .find((e) => e.resource === resource);
}

/** "(anyone on the internet → GET /orders (NONE) → function orders → ...)" for a message. */
function pathNote(entry: EntryPoint | undefined): string {
  if (!entry || entry.callers.length === 0) return "";
  return ` (${entry.callers.map((c) => describePath(c, entry)).join("; ")})`;
}

/** A1: a REST method requires IAM, Cognito or a Lambda authorizer; an API key is not enough. */
export const restMethodAuthorization: StackValidationPolicy = {
  name: "sec1-a-rest-method-authorization",
  description:
    "REST API methods must authenticate callers (AWS_IAM, COGNITO_USER_POOLS or CUSTOM with an authorizer); an API key alone identifies no one. Each diagnostic names who reaches what through the open method. Path guarded: anyone on the internet (for a PRIVATE API, anyone who reaches its VPC endpoints) → the method → its integration and what that reaches.",
  enforcementLevel: "mandatory",
  configSchema: restMethodSchema,
  ...sec1Metadata(
    "A",
    "critical",
    "Set `authorization` to AWS_IAM, COGNITO_USER_POOLS or CUSTOM on every method, and give COGNITO_USER_POOLS and CUSTOM methods an `authorizerId`. Exempt only CORS preflight (OPTIONS) or methods listed in the policy config.",
    DOCS.restAccess,
    ["api-gateway", "rest"],
  ),
  validateStack: validateStackWith(TYPES.restMethod, (args, report) => {
    const config = readConfig<RestMethodAuthorizationArgs>(args, restMethodSchema);
    for (const method of ofType(args.resources, TYPES.restMethod)) {
      const props = rawProps(method.props);
      const name = nameOf(method);
      const httpMethod = upper(props.httpMethod);
      if (httpMethod === undefined) continue;
      if (config.exemptHttpMethods.some((m) => m.toUpperCase() === httpMethod)) continue;
      if (matchesAnyGlob(name, config.exemptResources)) continue;
      const authorization = upper(props.authorization);
      if (authorization === undefined) continue;
      if (authorization === "NONE") {
        const keyNote =
          props.apiKeyRequired === true ? " (apiKeyRequired alone is not authentication)" : "";
        report(
          `API Gateway Method '${name}' (${httpMethod}) must authenticate callers${keyNote}${pathNote(entryOf("rest-method", args.resources, method))}; set authorization to AWS_IAM, COGNITO_USER_POOLS or CUSTOM.`,
          method.urn,
        );
        continue;
      }
      if (authorization === "CUSTOM" || authorization === "COGNITO_USER_POOLS") {
        const authorizerId = props.authorizerId;
        if (isUnknownValue(authorizerId)) continue;
        if (typeof authorizerId !== "string" || authorizerId.trim() === "") {
          report(
            `API Gateway Method '${name}' must name the authorizer its ${authorization} authorization uses; set authorizerId to the id of an aws.apigateway.Authorizer of the same API.`,
            method.urn,
          );
        }
      }
    }
  }),
};

// ---------------------------------------------------------------------------------------------
// A2. REST authorizers

/** A2: REST authorizers are complete: Cognito provider ARNs, or a Lambda URI and identity source. */
export const restAuthorizerConfig: ResourceValidationPolicy = {
  name: "sec1-a-rest-authorizer-config",
  description:
    "REST API authorizers must be complete: COGNITO_USER_POOLS with user pool ARNs, TOKEN and REQUEST with a Lambda URI and an identity source, so no request is authorized by a half-configured authorizer. Advisory by default: API Gateway refuses a Cognito authorizer without provider ARNs and a Lambda authorizer without a URI, and an authorizer that cannot run denies, so a gap here breaks calls rather than opening them; configure it mandatory to catch it before deploy.",
  enforcementLevel: "advisory",
  ...sec1Metadata(
    "A",
    "high",
    "For COGNITO_USER_POOLS set `providerArns` to the user pool ARNs; for TOKEN and REQUEST set `authorizerUri` to the Lambda invoke ARN and `identitySource` to the header(s) carrying the credential.",
    DOCS.lambdaAuthorizer,
    ["api-gateway", "rest"],
  ),
  validateResource: validateResourceOfType(
    aws.apigateway.Authorizer,
    (authorizer, args, report) => {
      const props = rawProps(authorizer);
      const name = nameOf(args);
      const type = props.type === undefined ? "TOKEN" : upper(props.type);
      if (type === undefined) return;
      if (type === "COGNITO_USER_POOLS") {
        const arns = knownStrings(props.providerArns);
        if (arns !== undefined && arns.length === 0) {
          report(
            `API Gateway Authorizer '${name}' must name the Cognito user pools it trusts; set providerArns to the user pool ARNs.`,
          );
        }
        return;
      }
      if (type !== "TOKEN" && type !== "REQUEST") return;
      const uri = props.authorizerUri;
      if (!isUnknownValue(uri) && (typeof uri !== "string" || uri.trim() === "")) {
        report(
          `API Gateway Authorizer '${name}' must invoke a Lambda function; set authorizerUri to the function's invokeArn.`,
        );
      }
      // TOKEN defaults to the Authorization header; a REQUEST authorizer without identity sources
      // would cache one caller's decision for every caller.
      const sources = props.identitySource;
      if (type === "REQUEST" && !isUnknownValue(sources)) {
        if (typeof sources !== "string" || sources.trim() === "") {
          report(
            `API Gateway Authorizer '${name}' must read the caller's credential; set identitySource to e.g. "method.request.header.Authorization".`,
          );
        }
      }
    },
  ),
};

/** Config of sec1-a-authorizer-result-ttl. */
export interface AuthorizerResultTtlArgs {
  /** Longest time an authorization decision may be cached, in seconds. Default: 300. */
  maxResultTtlSeconds: number;
  /** Shortest cache time, in seconds (0 allows no caching). Default: 0. */
  minResultTtlSeconds: number;
}

const ttlSchema = configSchema({
  maxResultTtlSeconds: {
    type: "integer",
    minimum: 0,
    maximum: 3600,
    default: 300,
    description: "Longest time an authorization decision may be cached, in seconds.",
  },
  minResultTtlSeconds: {
    type: "integer",
    minimum: 0,
    maximum: 3600,
    default: 0,
    description: "Shortest cache time, in seconds (0 allows no caching).",
  },
});

function checkTtl(
  service: string,
  props: Record<string, unknown>,
  name: string,
  config: AuthorizerResultTtlArgs,
  report: (message: string) => void,
): void {
  const raw = props.authorizerResultTtlInSeconds;
  if (isUnknownValue(raw)) return;
  const ttl = raw === undefined ? 300 : asNumber(raw); // AWS caches for 300 s unless told
  if (ttl === undefined) return;
  if (ttl > config.maxResultTtlSeconds || ttl < config.minResultTtlSeconds) {
    report(
      `${service} Authorizer '${name}' must cache authorization decisions for ${config.minResultTtlSeconds}-${config.maxResultTtlSeconds} seconds (revoked credentials stay valid while cached); set authorizerResultTtlInSeconds to a value in that range (now ${ttl}).`,
    );
  }
}

/** Identity sources that vary by route: a cache keyed on one of them never crosses routes. */
const ROUTE_SOURCES =
  /^\$?context\.(routeKey|resourcePath|resourceId|httpMethod|path|http\.path|http\.method)$/i;

/**
 * A REQUEST authorizer cached by caller credentials alone: API Gateway keys its cache on the
 * identity sources (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html),
 * so a decision made for one route is reused for every route the same token calls. That is an
 * exposure only if the function decides by route and returns a decision that covers other routes
 * (a simple response, a policy with a wildcard); the code is out of the pack's sight, so this is
 * advice. WebSocket authorizers (route.request.*) run on $connect only and are left alone.
 */
function checkCacheKey(
  service: string,
  props: Record<string, unknown>,
  name: string,
  report: (message: string) => void,
): void {
  const raw = props.authorizerResultTtlInSeconds;
  const ttl = raw === undefined ? 300 : asNumber(raw);
  const sources = knownStrings(props.identitySources ?? props.identitySource);
  if (ttl === undefined || ttl <= 0 || sources === undefined || sources.length === 0) return;
  const list = sources.flatMap((s) => s.split(",").map((x) => x.trim()));
  if (list.some((s) => s.startsWith("route.request.") || ROUTE_SOURCES.test(s))) return;
  report(
    `${service} Authorizer '${name}' caches its decision for ${ttl} s by ${list.join(", ")} alone: if its function decides by route, a decision made for one route is reused for the next route the same caller calls; add the route to identitySources ($context.routeKey, or context.resourcePath and context.httpMethod on REST) or set authorizerResultTtlInSeconds to 0.`,
  );
}

/** A2/A4: Lambda authorizer decisions are not cached longer than the config allows. */
export const authorizerResultTtl: ResourceValidationPolicy = {
  name: "sec1-a-authorizer-result-ttl",
  description:
    "Lambda authorizer results must not be cached longer than the configured bound: a revoked token keeps working for as long as its decision is cached. A REQUEST authorizer cached by the caller's credentials alone (no route in identitySources) reuses a decision made for one route on every route: advice to review, since whether its function decides by route is in code the pack cannot read.",
  enforcementLevel: "advisory",
  configSchema: ttlSchema,
  ...sec1Metadata(
    "A",
    "medium",
    "Set `authorizerResultTtlInSeconds` within the configured bounds (default 0-300 s; AWS caches for 300 s when unset).",
    DOCS.lambdaAuthorizer,
    ["api-gateway"],
  ),
  validateResource: validateEachType(
    validateResourceOfType(aws.apigateway.Authorizer, (authorizer, args, report) => {
      const props = rawProps(authorizer);
      const type = props.type === undefined ? "TOKEN" : upper(props.type);
      if (type !== "TOKEN" && type !== "REQUEST") return;
      checkTtl("API Gateway", props, nameOf(args), readConfig(args, ttlSchema), report);
      if (type === "REQUEST") checkCacheKey("API Gateway", props, nameOf(args), report);
    }),
    validateResourceOfType(aws.apigatewayv2.Authorizer, (authorizer, args, report) => {
      const props = rawProps(authorizer);
      if (upper(props.authorizerType) !== "REQUEST") return;
      checkTtl("API Gateway v2", props, nameOf(args), readConfig(args, ttlSchema), report);
      checkCacheKey("API Gateway v2", props, nameOf(args), report);
    }),
  ),
};

/** True when `a` and `b` name the same resource: equal known values or a shared dependency. */
function sameTarget(a: PolicyResource, b: PolicyResource, prop: string): boolean {
  const va = knownString(rawProps(a.props)[prop]);
  if (va !== undefined && va === knownString(rawProps(b.props)[prop])) return true;
  const da = asRecord(a.propertyDependencies)?.[prop];
  const db = asRecord(b.propertyDependencies)?.[prop];
  return Array.isArray(da) && Array.isArray(db) && da.some((r) => db.includes(r));
}

/** The function an integration proxies to (AWS_PROXY or AWS with a Lambda URI), if any. */
function proxiedFunction(integration: PolicyResource): string | undefined {
  const props = rawProps(integration.props);
  const type = upper(props.type);
  if (type !== "AWS_PROXY" && type !== "AWS") return undefined;
  const uri = knownString(props.uri);
  return uri?.match(/:lambda:[^:]+:\d{12}:function:([A-Za-z0-9_-]+)/)?.[1];
}

/**
 * A1 (advisory): CORS preflight is answered by API Gateway, not by a function. OPTIONS methods
 * are exempt from authorization (a browser sends no credentials on preflight), so an OPTIONS
 * method proxied to a function lets anyone on the internet invoke that function, unauthenticated,
 * with any headers and body; a function that routes by path and ignores the method serves them.
 */
export const restPreflightMock: StackValidationPolicy = {
  name: "sec1-a-rest-preflight-mock",
  description:
    "A REST OPTIONS method without authorization should be answered by a MOCK integration: proxied to a function (AWS_PROXY), it lets anyone on the internet invoke that function unauthenticated. Advisory: the function may answer only preflight, which the pack cannot read.",
  enforcementLevel: "advisory",
  ...sec1Metadata(
    "A",
    "medium",
    'Give OPTIONS methods a `MOCK` integration with `requestTemplates: {"application/json": "{\\"statusCode\\": 200}"}` and the CORS headers in the integration response, or enable CORS on the API; keep functions behind authenticated methods only.',
    DOCS.restAccess,
    ["api-gateway", "rest", "cors"],
  ),
  validateStack: validateStackWith(TYPES.restIntegration, (args, report) => {
    const integrations = ofType(args.resources, TYPES.restIntegration).filter(
      (i) => upper(rawProps(i.props).httpMethod) === "OPTIONS",
    );
    if (integrations.length === 0) return;
    for (const method of ofType(args.resources, TYPES.restMethod)) {
      const props = rawProps(method.props);
      if (upper(props.httpMethod) !== "OPTIONS" || upper(props.authorization) !== "NONE") continue;
      for (const integration of integrations) {
        if (!sameTarget(method, integration, "resourceId")) continue;
        if (!sameTarget(method, integration, "restApi")) continue;
        const fn = proxiedFunction(integration);
        if (fn === undefined) continue;
        report(
          `API Gateway Method '${nameOf(method)}' (OPTIONS) should answer CORS preflight with a MOCK integration (anyone on the internet → OPTIONS, no authorization → integration '${nameOf(integration)}' → function ${fn}); set the integration type to MOCK.`,
          method.urn,
        );
      }
    }
  }),
};

// ---------------------------------------------------------------------------------------------
// A3. HTTP and WebSocket routes (stack: the route's API decides WebSocket, the authorizer's API
// must be the route's)

/** Config of sec1-a-http-route-authorization. */
export interface HttpRouteAuthorizationArgs {
  /** HTTP methods whose routes may be open (CORS preflight). Default: ["OPTIONS"]. */
  exemptHttpMethods: string[];
  /** Route keys that may be open, e.g. "GET /health" (`*` wildcards). Default: []. */
  exemptRouteKeys: string[];
}

const routeSchema = configSchema({
  exemptHttpMethods: exemptHttpMethodsProperty(
    "HTTP methods whose routes may be open (CORS preflight).",
  ),
  exemptRouteKeys: stringListProperty(
    [],
    'Route keys that may be open, e.g. "GET /health" (`*` wildcards).',
  ),
});

type Protocol = "HTTP" | "WEBSOCKET" | undefined;

function protocolOf(route: PolicyResource, apis: PolicyResource[]): Protocol {
  const ref = resolveReference(route, "apiId", apis);
  if (ref.kind !== "found") return undefined;
  const protocols = new Set(ref.resources.map((a) => upper(rawProps(a.props).protocolType)));
  if (protocols.size !== 1) return undefined;
  const [protocol] = [...protocols];
  return protocol === "HTTP" || protocol === "WEBSOCKET" ? protocol : undefined;
}

/** A3: HTTP routes and WebSocket `$connect` routes authenticate, with an authorizer of their API. */
export const httpRouteAuthorization: StackValidationPolicy = {
  name: "sec1-a-http-route-authorization",
  description:
    "HTTP API routes and WebSocket $connect routes must authenticate callers (AWS_IAM, JWT or CUSTOM); a missing authorizationType means NONE, and a JWT or CUSTOM route must use an authorizer of its own API. Path guarded: anyone on the internet → the route (on WebSocket, a connection and every message route behind it) → its integration and what that reaches.",
  enforcementLevel: "mandatory",
  configSchema: routeSchema,
  ...sec1Metadata(
    "A",
    "critical",
    "Set `authorizationType` to AWS_IAM, JWT or CUSTOM on every HTTP route and on the WebSocket `$connect` route, and set `authorizerId` to an authorizer created for the same `apiId`.",
    DOCS.httpAccess,
    ["api-gateway", "http-api", "websocket"],
  ),
  validateStack: validateStackWith(TYPES.httpRoute, (args, report) => {
    const config = readConfig<HttpRouteAuthorizationArgs>(args, routeSchema);
    const apis = ofType(args.resources, TYPES.httpApi);
    const authorizers = ofType(args.resources, TYPES.httpAuthorizer);
    for (const route of ofType(args.resources, TYPES.httpRoute)) {
      const props = rawProps(route.props);
      const name = nameOf(route);
      const routeKey = knownString(props.routeKey);
      if (routeKey === undefined) continue;
      // Without the API in the stack, the key or the integration tells (routeProtocol).
      const protocol =
        protocolOf(route, apis) ?? routeProtocol(accessModel(args.resources).index, route);
      if (protocol === undefined) continue;
      // WebSocket: only $connect carries auth; messages ride on the authenticated connection.
      if (protocol === "WEBSOCKET" && routeKey !== "$connect") continue;
      if (protocol === "HTTP") {
        const method = routeKey.split(" ")[0].toUpperCase();
        if (config.exemptHttpMethods.some((m) => m.toUpperCase() === method)) continue;
        if (matchesAnyGlob(routeKey, config.exemptRouteKeys)) continue;
      }
      const rawType = props.authorizationType;
      if (isUnknownValue(rawType)) continue;
      const type = rawType === undefined || rawType === null ? "NONE" : upper(rawType);
      if (type === undefined) continue;
      const service =
        protocol === "HTTP" ? "API Gateway HTTP API Route" : "API Gateway WebSocket Route";
      if (type === "NONE") {
        const allowed = protocol === "HTTP" ? "AWS_IAM, JWT or CUSTOM" : "AWS_IAM or CUSTOM";
        const entry = entryOf(
          protocol === "HTTP" ? "http-route" : "websocket-route",
          args.resources,
          route,
        );
        report(
          `${service} '${name}' (${routeKey}) must authenticate callers${pathNote(entry)}; set authorizationType to ${allowed} (a missing authorizationType means NONE).`,
          route.urn,
        );
        continue;
      }
      if (type !== "JWT" && type !== "CUSTOM") continue;
      const authorizerId = props.authorizerId;
      if (
        !isUnknownValue(authorizerId) &&
        (typeof authorizerId !== "string" || authorizerId.trim() === "")
      ) {
        report(
          `${service} '${name}' (${routeKey}) must name its ${type} authorizer; set authorizerId to an aws.apigatewayv2.Authorizer of the same API.`,
          route.urn,
        );
        continue;
      }
      // The authorizer must belong to the route's API: another API's authorizer id is rejected
      // at deploy time at best, or (same id reused) authorizes against the wrong issuer.
      const authorizerRef = resolveReference(route, "authorizerId", authorizers);
      const routeApi = resolveReference(route, "apiId", apis);
      if (authorizerRef.kind !== "found") continue;
      for (const authorizer of authorizerRef.resources) {
        const authorizerApi = resolveReference(authorizer, "apiId", apis);
        const sameByRef =
          routeApi.kind === "found" &&
          authorizerApi.kind === "found" &&
          authorizerApi.resources.some((a) => routeApi.resources.includes(a));
        const routeApiId = knownString(props.apiId);
        const authorizerApiId = knownString(rawProps(authorizer.props).apiId);
        const sameById = routeApiId !== undefined && routeApiId === authorizerApiId;
        const decidable =
          (routeApi.kind === "found" && authorizerApi.kind === "found") ||
          (routeApiId !== undefined && authorizerApiId !== undefined);
        if (decidable && !sameByRef && !sameById) {
          report(
            `${service} '${name}' (${routeKey}) must use an authorizer of its own API; set authorizerId to an authorizer whose apiId is the route's apiId (authorizer '${nameOf(authorizer)}' belongs to another API).`,
            route.urn,
          );
        }
      }
    }
  }),
};

/**
 * The route keys of the stack's routes on `api`; undefined when some route's API is unknown, or
 * a $connect route names an API that is not found (it may be this one).
 */
function routeKeysOf(api: PolicyResource, resources: unknown): string[] | undefined {
  const apis = ofType(resources, TYPES.httpApi);
  const keys: string[] = [];
  for (const route of ofType(resources, TYPES.httpRoute)) {
    const ref = resolveReference(route, "apiId", apis);
    const key = knownString(rawProps(route.props).routeKey);
    if (ref.kind === "unknown") return undefined;
    // A $connect route whose apiId names no API found here may still be this API's.
    if (ref.kind === "none" && key !== "$connect") continue;
    if (ref.kind === "found" && !ref.resources.includes(api)) continue;
    if (key === undefined || ref.kind === "none") return undefined;
    keys.push(key);
  }
  return keys;
}

/** A3 on the API: a WebSocket API has a $connect route, where its only authorization runs. */
export const websocketConnectRoute: StackValidationPolicy = {
  name: "sec1-a-websocket-connect-route",
  description:
    "A WebSocket API must have a $connect route (whose authorization sec1-a-http-route-authorization checks): authorization runs on $connect only, and API Gateway accepts connections to an API without one, so anyone on the internet may connect and send messages to every route.",
  enforcementLevel: "mandatory",
  ...sec1Metadata(
    "A",
    "critical",
    "Add an aws.apigatewayv2.Route with routeKey `$connect`, `authorizationType` AWS_IAM or CUSTOM and an `authorizerId` of the same API.",
    DOCS.websocketConnect,
    ["api-gateway", "websocket"],
  ),
  validateStack: validateStackWith(TYPES.httpApi, (args, report) => {
    for (const api of ofType(args.resources, TYPES.httpApi)) {
      if (upper(rawProps(api.props).protocolType) !== "WEBSOCKET") continue;
      const keys = routeKeysOf(api, args.resources);
      if (keys === undefined || keys.includes("$connect")) continue;
      const reached = keys.length > 0 ? `routes ${keys.join(", ")}` : "its connections";
      report(
        `API Gateway WebSocket Api '${nameOf(api)}' must authorize connections on a $connect route (anyone on the internet → connect, no $connect route → ${reached}); add a $connect route with authorizationType AWS_IAM or CUSTOM.`,
        api.urn,
      );
    }
  }),
};

// ---------------------------------------------------------------------------------------------
// A4. HTTP/WebSocket authorizers

/** A4: JWT authorizers trust an https issuer for named audiences; REQUEST ones are complete. */
export const jwtAuthorizerConfig: ResourceValidationPolicy = {
  name: "sec1-a-jwt-authorizer-config",
  description:
    "HTTP API JWT authorizers must trust an https:// issuer for a non-empty list of audiences (otherwise tokens issued to any client pass), and REQUEST authorizers must have a Lambda URI and identity sources. Path guarded: without audiences a token the issuer gave any client, of any application, passes; with an http issuer whoever alters the key download in transit can mint tokens the authorizer accepts.",
  enforcementLevel: "mandatory",
  ...sec1Metadata(
    "A",
    "high",
    "Set `jwtConfiguration.issuer` to the https:// issuer URL and `jwtConfiguration.audiences` to the app client ids; for REQUEST authorizers set `authorizerUri` and `identitySources`.",
    DOCS.jwtAuthorizer,
    ["api-gateway", "http-api", "jwt"],
  ),
  validateResource: validateResourceOfType(
    aws.apigatewayv2.Authorizer,
    (authorizer, args, report) => {
      const props = rawProps(authorizer);
      const name = nameOf(args);
      const type = upper(props.authorizerType);
      if (type === "JWT") {
        const jwt = props.jwtConfiguration;
        if (isUnknownValue(jwt)) return;
        const config = asRecord(jwt) ?? {};
        const issuer = config.issuer;
        if (
          !isUnknownValue(issuer) &&
          !(typeof issuer === "string" && /^https:\/\/[^\s/]+/i.test(issuer))
        ) {
          report(
            `API Gateway v2 Authorizer '${name}' must trust an https:// token issuer; set jwtConfiguration.issuer to the issuer URL (e.g. https://cognito-idp.<region>.amazonaws.com/<pool id>).`,
          );
        }
        const audiences = knownStrings(config.audiences);
        if (audiences !== undefined && audiences.length === 0) {
          report(
            `API Gateway v2 Authorizer '${name}' must accept tokens only for named audiences; set jwtConfiguration.audiences to the app client ids.`,
          );
        }
        return;
      }
      if (type !== "REQUEST") return;
      const uri = props.authorizerUri;
      if (!isUnknownValue(uri) && (typeof uri !== "string" || uri.trim() === "")) {
        report(
          `API Gateway v2 Authorizer '${name}' must invoke a Lambda function; set authorizerUri to the function's invokeArn.`,
        );
      }
      const sources = knownStrings(props.identitySources);
      if (sources !== undefined && sources.length === 0) {
        report(
          `API Gateway v2 Authorizer '${name}' must read the caller's credential; set identitySources to e.g. ["$request.header.Authorization"].`,
        );
      }
    },
  ),
};

// ---------------------------------------------------------------------------------------------
// A5. AppSync

/** Config of sec1-a-appsync-auth-providers. */
export interface AppSyncAuthProvidersArgs {
  /**
   * Authentication types allowed as default or additional providers. Default:
   * ["AMAZON_COGNITO_USER_POOLS", "OPENID_CONNECT", "AWS_IAM", "AWS_LAMBDA"].
   */
  allowedAuthenticationTypes: string[];
}

const appsyncSchema = configSchema({
  allowedAuthenticationTypes: {
    type: "array",
    items: {
      type: "string",
      enum: ["AMAZON_COGNITO_USER_POOLS", "OPENID_CONNECT", "AWS_IAM", "AWS_LAMBDA", "API_KEY"],
    },
    default: ["AMAZON_COGNITO_USER_POOLS", "OPENID_CONNECT", "AWS_IAM", "AWS_LAMBDA"],
    description:
      "Authentication types allowed as default or additional providers (API_KEY is never allowed as the default or the only public provider).",
  },
});

function providerGaps(type: string, provider: Record<string, unknown>): string[] {
  const gaps: string[] = [];
  const missing = (v: unknown) => !isUnknownValue(v) && (typeof v !== "string" || v.trim() === "");
  if (type === "AMAZON_COGNITO_USER_POOLS") {
    const pool = provider.userPoolConfig;
    if (isUnknownValue(pool)) return gaps;
    const config = asRecord(pool) ?? {};
    if (missing(config.userPoolId)) gaps.push("userPoolConfig.userPoolId to the user pool id");
    if (missing(config.awsRegion)) gaps.push("userPoolConfig.awsRegion to the user pool's region");
  } else if (type === "OPENID_CONNECT") {
    const oidc = provider.openidConnectConfig;
    if (isUnknownValue(oidc)) return gaps;
    const config = asRecord(oidc) ?? {};
    const issuer = config.issuer;
    if (
      !isUnknownValue(issuer) &&
      !(typeof issuer === "string" && /^https:\/\/[^\s/]+/i.test(issuer))
    ) {
      gaps.push("openidConnectConfig.issuer to the https:// issuer URL");
    }
    if (missing(config.clientId))
      gaps.push("openidConnectConfig.clientId to the client id tokens must be issued for");
  } else if (type === "AWS_LAMBDA") {
    const lambda = provider.lambdaAuthorizerConfig;
    if (isUnknownValue(lambda)) return gaps;
    if (missing((asRecord(lambda) ?? {}).authorizerUri)) {
      gaps.push("lambdaAuthorizerConfig.authorizerUri to the authorizer function's ARN");
    }
  }
  return gaps;
}

/** A5: AppSync providers are allowed types, never API_KEY first or alone, and completely set up. */
export const appsyncAuthProviders: ResourceValidationPolicy = {
  name: "sec1-a-appsync-auth-providers",
  description:
    "AppSync GraphQL APIs must authenticate with allowed identity providers: API_KEY is never the default nor the only public provider, and every provider's config (user pool id and region, https OIDC issuer and client id, Lambda authorizer) is complete. Path guarded: anyone holding the API key, which the app ships to every browser, → every field the default provider serves → its resolvers' data.",
  enforcementLevel: "mandatory",
  configSchema: appsyncSchema,
  ...sec1Metadata(
    "A",
    "critical",
    "Use AMAZON_COGNITO_USER_POOLS, OPENID_CONNECT, AWS_LAMBDA or AWS_IAM as `authenticationType`; add API_KEY only as an additional provider next to an identity provider, and complete each provider's config block.",
    DOCS.appsyncAuth,
    ["appsync", "graphql"],
  ),
  validateResource: validateResourceOfType(aws.appsync.GraphQLApi, (api, args, report) => {
    const props = rawProps(api);
    const name = nameOf(args);
    const config = readConfig<AppSyncAuthProvidersArgs>(args, appsyncSchema);
    const allowed = new Set(config.allowedAuthenticationTypes.map((t) => t.toUpperCase()));
    const defaultType = upper(props.authenticationType);
    const rawExtra = props.additionalAuthenticationProviders;
    const extra = isUnknownValue(rawExtra)
      ? undefined
      : (Array.isArray(rawExtra) ? rawExtra : []).map((p) => asRecord(p) ?? {});
    if (defaultType !== undefined) {
      if (defaultType === "API_KEY") {
        report(
          `AppSync GraphQLApi '${name}' must not use an API key as its default authentication (a key identifies no caller); set authenticationType to AMAZON_COGNITO_USER_POOLS, OPENID_CONNECT, AWS_LAMBDA or AWS_IAM.`,
        );
      } else if (!allowed.has(defaultType)) {
        report(
          `AppSync GraphQLApi '${name}' must use an allowed authentication type; set authenticationType to one of ${[...allowed].join(", ")} (not ${defaultType}).`,
        );
      }
      for (const gap of providerGaps(defaultType, props)) {
        report(
          `AppSync GraphQLApi '${name}' must configure its ${defaultType} provider completely; set ${gap}.`,
        );
      }
    }
    if (extra === undefined) return;
    const extraTypes: (string | undefined)[] = [];
    extra.forEach((provider, i) => {
      const type = upper(provider.authenticationType);
      extraTypes.push(type);
      if (type === undefined) return;
      // An additional API_KEY is judged on what it reaches (sec1-a-appsync-api-key-reach).
      if (!allowed.has(type) && type !== "API_KEY") {
        report(
          `AppSync GraphQLApi '${name}' must use allowed additional providers; set additionalAuthenticationProviders[${i}].authenticationType to one of ${[...allowed].join(", ")} (not ${type}).`,
        );
      }
      for (const gap of providerGaps(type, provider)) {
        report(
          `AppSync GraphQLApi '${name}' must configure additional provider ${i} (${type}) completely; set additionalAuthenticationProviders[${i}].${gap}.`,
        );
      }
    });
    // "Public" providers are the ones internet callers use; AWS_IAM is for signed AWS callers.
    if (defaultType === undefined || extraTypes.includes(undefined)) return;
    const publicTypes = [defaultType, ...(extraTypes as string[])].filter((t) => t !== "AWS_IAM");
    if (
      defaultType !== "API_KEY" &&
      publicTypes.length > 0 &&
      publicTypes.every((t) => t === "API_KEY")
    ) {
      report(
        `AppSync GraphQLApi '${name}' must not leave an API key as the only provider for public callers; set authenticationType or additionalAuthenticationProviders to include AMAZON_COGNITO_USER_POOLS, OPENID_CONNECT or AWS_LAMBDA.`,
      );
    }
  }),
};

// ---------------------------------------------------------------------------------------------
// A6. Cognito identity pools: judged on what their roles reach, in ./reach.ts.

// ---------------------------------------------------------------------------------------------
// A7. Lambda function URLs

/** Config of sec1-a-lambda-function-url-auth. */
export interface FunctionUrlAuthArgs {
  /** Logical names of function URLs that may be open (`*` wildcards). Default: []. */
  exemptResources: string[];
}

const functionUrlSchema = configSchema({
  exemptResources: exemptResourcesProperty("function URLs that may be open"),
});

/** A7: function URLs are an API too: they require IAM (SigV4) authentication. */
export const lambdaFunctionUrlAuth: StackValidationPolicy = {
  name: "sec1-a-lambda-function-url-auth",
  description:
    "Lambda function URLs must require IAM authentication: with NONE the function is an unauthenticated public API that bypasses API Gateway and its authorizers.",
  enforcementLevel: "mandatory",
  configSchema: functionUrlSchema,
  ...sec1Metadata(
    "A",
    "critical",
    "Set `authorizationType` to AWS_IAM and grant `lambda:InvokeFunctionUrl` to the callers, or put the function behind an authenticated API Gateway route.",
    DOCS.functionUrlAuth,
    ["lambda"],
  ),
  validateStack: validateStackWith(TYPES.functionUrl, (args, report) => {
    const { exemptResources } = readConfig<FunctionUrlAuthArgs>(args, functionUrlSchema);
    for (const url of ofType(args.resources, TYPES.functionUrl)) {
      const name = nameOf(url);
      if (upper(rawProps(url.props).authorizationType) !== "NONE") continue;
      if (matchesAnyGlob(name, exemptResources)) continue;
      report(
        `Lambda FunctionUrl '${name}' must authenticate callers${pathNote(entryOf("function-url", args.resources, url))}; set authorizationType to AWS_IAM.`,
        url.urn,
      );
    }
  }),
};

// ---------------------------------------------------------------------------------------------
// A8. APIs without separate method/route resources

/** Config of sec1-a-openapi-body-security. */
export interface OpenApiBodySecurityArgs {
  /** HTTP methods that may be open in a body (CORS preflight). Default: ["OPTIONS"]. */
  exemptHttpMethods: string[];
  /** Logical names of APIs whose bodies are not checked (`*` wildcards). Default: []. */
  exemptResources: string[];
}

const openApiSchema = configSchema({
  exemptHttpMethods: exemptHttpMethodsProperty(
    "HTTP methods that may be open in a body (CORS preflight).",
  ),
  exemptResources: exemptResourcesProperty("APIs whose bodies are not checked"),
});

/** The paths of a body's open operations, from the model (up to `max`, then "and N more"). */
function openPaths(resources: unknown, api: PolicyResource, open: string[], max = 3): string {
  const entries = accessModel(resources)
    .entries("openapi-operation")
    .filter((e) => e.resource === api && e.auth === "NONE");
  const paths = open.map((label) => {
    const entry = entries.find((e) => e.operation === label);
    return entry ? describePath(entry.callers[0], entry) : label;
  });
  const more = paths.length > max ? `; and ${paths.length - max} more` : "";
  return paths.slice(0, max).join("; ") + more;
}

/** A8: an API imported from an OpenAPI `body` declares authentication on every operation. */
export const openApiBodySecurity: StackValidationPolicy = {
  name: "sec1-a-openapi-body-security",
  description:
    "REST and HTTP APIs imported from an OpenAPI body (JSON or YAML) must require an authorizer or IAM on every operation: an operation without a security requirement API Gateway enforces is open to anyone (an API key scheme is not authentication).",
  enforcementLevel: "mandatory",
  configSchema: openApiSchema,
  ...sec1Metadata(
    "A",
    "critical",
    "Give every operation (or the document root) a `security` requirement naming a scheme with `x-amazon-apigateway-authorizer` (Lambda, Cognito or JWT) or `x-amazon-apigateway-authtype: awsSigv4`; never an empty requirement `{}`.",
    DOCS.openApiAuth,
    ["api-gateway", "openapi"],
  ),
  validateStack: (args, report) => {
    const config = readConfig<OpenApiBodySecurityArgs>(args, openApiSchema);
    const apis = [
      ...ofType(args.resources, TYPES.restApi).map((api) => ({
        api,
        service: "API Gateway RestApi",
      })),
      ...ofType(args.resources, TYPES.httpApi)
        .filter((api) => upper(rawProps(api.props).protocolType) === "HTTP")
        .map((api) => ({ api, service: "API Gateway v2 Api" })),
    ];
    for (const { api, service } of apis) {
      const name = nameOf(api);
      const body = rawProps(api.props).body;
      if (body === undefined || body === null || matchesAnyGlob(name, config.exemptResources)) {
        continue;
      }
      const verdict = openOperations(body, config.exemptHttpMethods);
      if (verdict.kind !== "known" || verdict.open.length === 0) continue;
      report(
        `${service} '${name}' must authenticate every operation of its OpenAPI body (${verdict.open.length} open: ${openPaths(args.resources, api, verdict.open)}); set security on each operation (or at the root) to a scheme with x-amazon-apigateway-authorizer or x-amazon-apigateway-authtype awsSigv4.`,
        api.urn,
      );
    }
  },
};

/** Config of sec1-a-http-api-quick-create. */
export interface HttpApiQuickCreateArgs {
  /** Logical names of HTTP APIs allowed to use quick create (`*` wildcards). Default: []. */
  exemptResources: string[];
}

const quickCreateSchema = configSchema({
  exemptResources: exemptResourcesProperty("HTTP APIs allowed to use quick create"),
});

/** A8: quick create makes a default route with no authorizer, out of the program's reach. */
export const httpApiQuickCreate: ResourceValidationPolicy = {
  name: "sec1-a-http-api-quick-create",
  description:
    "HTTP APIs must not use quick create (routeKey/target on the API): it creates a $default route and stage with no authorizer that the program cannot secure. Path guarded: anyone on the internet → the $default route → the target.",
  enforcementLevel: "mandatory",
  configSchema: quickCreateSchema,
  ...sec1Metadata(
    "A",
    "high",
    "Remove `routeKey` and `target` from the Api and create an aws.apigatewayv2.Integration, an aws.apigatewayv2.Route with `authorizationType`, and an aws.apigatewayv2.Stage.",
    DOCS.httpApiDevelop,
    ["api-gateway", "http-api"],
  ),
  validateResource: validateResourceOfType(aws.apigatewayv2.Api, (api, args, report) => {
    const props = rawProps(api);
    const name = nameOf(args);
    if (upper(props.protocolType) !== "HTTP") return;
    const quick = ["routeKey", "target"].filter((k) => props[k] !== undefined && props[k] !== null);
    if (quick.length === 0) return;
    if (
      matchesAnyGlob(
        name,
        readConfig<HttpApiQuickCreateArgs>(args, quickCreateSchema).exemptResources,
      )
    )
      return;
    report(
      `API Gateway v2 Api '${name}' must not be quick-created (its default route has no authorizer); set ${quick.join(" and ")} to undefined and define routes with aws.apigatewayv2.Route and an authorizationType.`,
    );
  }),
};

/** Every policy of practice A. */
export const policies: Policies = [
  restMethodAuthorization,
  restPreflightMock,
  restAuthorizerConfig,
  authorizerResultTtl,
  httpRouteAuthorization,
  websocketConnectRoute,
  jwtAuthorizerConfig,
  appsyncAuthProviders,
  lambdaFunctionUrlAuth,
  openApiBodySecurity,
  httpApiQuickCreate,
];
