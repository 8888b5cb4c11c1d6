/**
 * The access model of a stack: who may call which entry point, and what each entry point reaches.
 *
 * Principals (callers): anyone on the internet, API-key holders, signed-in users of a user pool
 * or OIDC issuer, callers a Lambda authorizer admits, IAM principals, identity-pool guests and
 * users. Entry points: REST methods (separate resources and OpenAPI bodies), HTTP and WebSocket
 * routes, AppSync root fields by provider and schema directive, Lambda function URLs. Reach:
 * integrations and data sources → Lambda functions → the tables, buckets, functions and private
 * API routes their roles allow, with the actions.
 *
 * Built from types, ids, ARNs, property dependencies and the policy documents, in linear time
 * (lookups go through a one-pass index), lazily per kind and memoised on the resources array:
 * the analyzer server hands each stack policy its own array, so each policy builds only the part
 * it needs. A value that is unknown makes an edge unknown (drawn as "not known yet"), never a
 * verdict. Policies judge entry points by their callers; diagnostics quote `describePath`.
 */
import { PolicyResource } from "@pulumi/policy";
import { AppSyncAuthType, schemaAccess } from "./appsync-schema";
import { bodyOperations } from "./openapi-security";
import { allowedActions, ROLE, roleStatements, RoleStatements } from "./role-reach";
import { indexStack, Ref, StackIndex } from "./stack-index";
import { addTo, rawProps, TYPES } from "./stack-refs";
import { asRecord, hasUnknown, knownString, nameOf, upperString } from "./values";
import { restEntries } from "./access-rest";
import {
  AccessModel,
  ANYONE,
  API_KEY_HOLDERS,
  Caller,
  depsOf,
  EntryKind,
  EntryPoint,
  Hop,
  unknownHop,
} from "./access-types";

export { ANYONE, API_KEY_HOLDERS, depsOf, unknownHop } from "./access-types";
export type { AccessModel, Caller, CallerKind, EntryKind, EntryPoint, Hop } from "./access-types";

export const LAMBDA = TYPES.lambdaFunction;
const TABLE = "aws:dynamodb/table:Table";
const BUCKET = "aws:s3/bucket:Bucket";
const BUCKET_V2 = "aws:s3/bucketV2:BucketV2";
const USER_POOL = "aws:cognito/userPool:UserPool";
const RESOLVER = "aws:appsync/resolver:Resolver";
const APPSYNC_FUNCTION = "aws:appsync/function:Function";

const models = new WeakMap<object, AccessModel>();

/** The access model of `resources`, built once per array. */
export function accessModel(resources: unknown): AccessModel {
  const key = Array.isArray(resources) ? resources : [];
  let model = models.get(key);
  if (!model) {
    model = buildModel(indexStack(key));
    models.set(key, model);
  }
  return model;
}

const FUNCTION_ARN = /arn:[^:\s"]+:lambda:[^:\s"]+:\d{12}:function:[A-Za-z0-9_-]+/g;

function buildModel(index: StackIndex): AccessModel {
  const kinds = new Map<EntryKind, EntryPoint[]>();
  const hops = new Map<PolicyResource, Hop>();
  let roleMap: Map<PolicyResource, RoleStatements> | undefined;
  let federation: Map<PolicyResource, PolicyResource[]> | undefined;
  const model: AccessModel = {
    index,
    entries(kind) {
      let list = kinds.get(kind);
      if (!list) {
        kinds.set(kind, []); // a re-entrant ask while building sees no entries, never loops
        list = BUILDERS[kind](model);
        kinds.set(kind, list);
      }
      return list;
    },
    allEntries: () => (Object.keys(BUILDERS) as EntryKind[]).flatMap((k) => model.entries(k)),
    roles() {
      roleMap ??= roleStatements(index);
      return roleMap;
    },
    functionHop(fn) {
      let hop = hops.get(fn);
      if (!hop) {
        hop = lazyFunctionHop(model, fn);
        hops.set(fn, hop);
      }
      return hop;
    },
    dataSourceHop: (ds) => dataSourceHop(model, ds),
    iamEntries(role) {
      const statements = model.roles().get(role)?.statements ?? [];
      return iamRouteHops(model, statements).flatMap((h) =>
        model.allEntries().filter((e) => e.resource === h.resource && e.auth === "AWS_IAM"),
      );
    },
    federatedProviders(pool) {
      federation ??= federationOf(index);
      return federation.get(pool) ?? [];
    },
    functionsIn(from, prop, text) {
      const named = functionsNamedIn(index, from, prop, text);
      return named === "unknown" ? named : named.found;
    },
    functionHopsIn(from, prop, text) {
      const named = functionsNamedIn(index, from, prop, text);
      if (named === "unknown") return [unknownHop("function")];
      const outside = named.outside.map((n) => ({ label: `function ${n}`, next: [] }));
      return [...named.found.map((fn) => model.functionHop(fn)), ...outside];
    },
    issuerCaller: (issuer, detail, named) => issuerCallerOf(model, issuer, detail, named),
  };
  return model;
}

/**
 * A function's hop, its reach worked out when first read: after the entry points that lead to
 * it are built (its role may invoke those very routes).
 */
function lazyFunctionHop(model: AccessModel, fn: PolicyResource): Hop {
  let next: Hop[] | undefined;
  return {
    label: `function ${nameOf(fn)}`,
    resource: fn,
    get next(): Hop[] {
      if (next === undefined) {
        next = []; // a function that reaches itself stops here
        next.push(...functionReach(model, fn));
      }
      return next;
    },
  };
}

/** The functions a property names: in the stack, or by a name outside it. */
interface NamedFunctions {
  found: PolicyResource[];
  /** Function names a known ARN or name gives that no function of the stack has. */
  outside: string[];
}

/** "orders" for an ARN of function orders (a version or alias qualifier dropped). */
function functionNameOfArn(arn: string): string {
  return arn.slice(arn.indexOf(":function:") + ":function:".length).split(":")[0];
}

/**
 * True when a function may be the one `name` (from an ARN, or a function name) names: its known
 * name or ARN, else (its name not known) its logical name, bare or with the random suffix Pulumi
 * appends to auto-named resources (`orders-1a2b3c4`).
 */
function isNamed(fn: PolicyResource, arnOrName: string, name: string): boolean {
  const props = rawProps(fn.props);
  const own = knownString(props.name);
  const arn = knownString(props.arn);
  if (own !== undefined || arn !== undefined) return own === name || arn === arnOrName;
  const logical = nameOf(fn);
  return (
    name === logical ||
    (name.startsWith(`${logical}-`) && /^-[0-9a-f]{7}$/.test(name.slice(logical.length)))
  );
}

/**
 * The functions a property names. A property taken whole (`text` absent) names the functions it
 * came from (property dependencies), else the ARN or name it holds; a part of a property (`text`:
 * one operation's integration URI in an OpenAPI body) names the functions of its own ARNs, not
 * every function the property depends on. A known ARN or function name is never "not known
 * yet": without a function of that name in the stack it names a function outside it.
 */
function functionsNamedIn(
  index: StackIndex,
  from: PolicyResource,
  prop: string,
  text?: unknown,
): NamedFunctions | "unknown" {
  const deps = depsOf(from, prop).filter((d) => d && d.type === LAMBDA);
  if (text === undefined && deps.length > 0) return { found: deps, outside: [] };
  const value = text ?? rawProps(from.props)[prop];
  if (value === undefined || value === null) return { found: [], outside: [] };
  if (typeof value !== "string" || hasUnknown(value)) {
    return deps.length > 0 ? { found: deps, outside: [] } : "unknown";
  }
  const arns = value.match(FUNCTION_ARN) ?? [];
  const names = arns.length > 0 ? arns : prop === "functionName" ? [value] : [];
  const out: NamedFunctions = { found: [], outside: [] };
  for (const arnOrName of names) {
    const name = arnOrName.includes(":function:") ? functionNameOfArn(arnOrName) : arnOrName;
    const fromDeps = deps.filter((fn) => isNamed(fn, arnOrName, name));
    const found = [arnOrName, name].flatMap((v) => index.byValue(v, [LAMBDA]));
    const matched =
      [fromDeps, found, index.ofType(LAMBDA).filter((fn) => isNamed(fn, arnOrName, name))].find(
        (m) => m.length > 0,
      ) ?? [];
    if (matched.length > 0) out.found.push(...matched);
    else out.outside.push(name);
  }
  if (names.length === 0 && deps.length > 0) out.found.push(...deps);
  out.found = [...new Set(out.found)];
  return out;
}

/** The signed-in caller of an issuer, labelled with its user pool and federation when known. */
function issuerCallerOf(
  model: AccessModel,
  issuer: unknown,
  detail?: string,
  named?: PolicyResource[],
): Caller {
  const text = knownString(issuer);
  const fromDeps = (named ?? []).filter((p) => p && p.type === USER_POOL);
  const pool =
    fromDeps.length === 1
      ? fromDeps[0]
      : text
        ? model.index.ofType(USER_POOL).find((p) => endsWithId(text, p))
        : undefined;
  const federated = pool ? model.federatedProviders(pool).map(providerName) : [];
  const also = federated.length > 0 ? `, also federated from ${federated.join(", ")}` : "";
  const who = pool
    ? `user pool ${nameOf(pool)}${also}`
    : text
      ? `issuer ${text.replace(/^https:\/\//, "")}`
      : "an issuer not known yet";
  return {
    kind: "signed-in",
    label: `signed-in users of ${who}${detail ? ` (${detail})` : ""}`,
  };
}

const IDENTITY_PROVIDER = "aws:cognito/identityProvider:IdentityProvider";

/** Each user pool's federated identity providers (resource type → pool, by userPoolId). */
function federationOf(index: StackIndex): Map<PolicyResource, PolicyResource[]> {
  const out = new Map<PolicyResource, PolicyResource[]>();
  for (const idp of index.ofType(IDENTITY_PROVIDER)) {
    const ref = index.ref(idp, "userPoolId", [USER_POOL]);
    if (!Array.isArray(ref)) continue;
    for (const pool of ref) addTo(out, pool, idp);
  }
  return out;
}

/** "Google (Google)" or "corp-saml (SAML)": a federated provider's name and type. */
export function providerName(idp: PolicyResource): string {
  const props = rawProps(idp.props);
  const name = knownString(props.providerName) ?? nameOf(idp);
  const type = knownString(props.providerType);
  return type && type !== name ? `${name} (${type})` : name;
}

function endsWithId(issuer: string, pool: PolicyResource): boolean {
  const props = rawProps(pool.props);
  return [props.id, props.endpoint].some(
    (v) => typeof v === "string" && v !== "" && !hasUnknown(v) && issuer.endsWith(v),
  );
}

/** The hops of the functions a reference names, or an unknown hop. */
export function functionHops(model: AccessModel, ref: Ref, what = "function"): Hop[] {
  if (ref === "unknown") return [unknownHop(what)];
  return ref.map((fn) => model.functionHop(fn));
}

function arnOf(r: PolicyResource): string | undefined {
  return knownString(rawProps(r.props).arn);
}

/** What a function's role lets it reach: tables, buckets, other functions, IAM-only routes. */
function functionReach(model: AccessModel, fn: PolicyResource): Hop[] {
  const ref = model.index.ref(fn, "role", [ROLE]);
  if (ref === "unknown") return [unknownHop("role")];
  const out: Hop[] = [];
  for (const role of ref) {
    const statements = model.roles().get(role)?.statements ?? [];
    if (statements.length === 0) continue;
    out.push(...dataHops(model.index, statements));
    for (const other of candidates(model.index, statements, "lambda", [LAMBDA])) {
      const arn = arnOf(other);
      if (other === fn || !arn) continue;
      if (allowedActions(statements, "lambda", [arn]).some((a) => /^(\*|Invoke)/i.test(a))) {
        out.push(model.functionHop(other));
      }
    }
    out.push(...iamRouteHops(model, statements));
  }
  return out;
}

/**
 * The resources of `types` that Allows naming `service` actions might cover: the ones a literal
 * ARN names (a map lookup; `/index/...` and `/*` suffixes stripped), or every one of them when a
 * statement uses wildcards or NotResource. Keeps the model linear for stacks of literal grants.
 */
function candidates(
  index: StackIndex,
  statements: RoleStatements["statements"],
  service: string,
  types: readonly string[],
): Set<PolicyResource> {
  const out = new Set<PolicyResource>();
  for (const s of statements) {
    if (s.effect !== "Allow") continue;
    const names = s.action ?? [];
    if (
      !s.notAction &&
      !names.some((a) => a === "*" || a.toLowerCase().startsWith(`${service}:`))
    ) {
      continue;
    }
    for (const pattern of s.resource ?? ["*"]) {
      const literal = pattern.replace(/(\/index\/.*|\/\*)$/, "");
      if (/[*?]/.test(literal) || s.notResource) {
        types.forEach((t) => index.ofType(t).forEach((r) => out.add(r)));
        return out;
      }
      index.byValue(literal, types).forEach((r) => out.add(r));
    }
  }
  return out;
}

/** The tables and buckets `statements` allow, each with its actions. */
export function dataHops(index: StackIndex, statements: RoleStatements["statements"]): Hop[] {
  const out: Hop[] = [];
  for (const table of candidates(index, statements, "dynamodb", [TABLE])) {
    const arn = arnOf(table);
    if (!arn) continue;
    const actions = allowedActions(statements, "dynamodb", [arn, `${arn}/index/x`]);
    if (actions.length > 0) {
      out.push({
        label: `table ${nameOf(table)} (${actions.join(", ")})`,
        resource: table,
        actions,
        next: [],
      });
    }
  }
  for (const bucket of candidates(index, statements, "s3", [BUCKET, BUCKET_V2])) {
    const arn = arnOf(bucket);
    if (!arn) continue;
    const actions = allowedActions(statements, "s3", [arn, `${arn}/x`]);
    if (actions.length > 0) {
      out.push({
        label: `bucket ${nameOf(bucket)} (${actions.join(", ")})`,
        resource: bucket,
        actions,
        next: [],
      });
    }
  }
  return out;
}

/** The IAM-authorized REST methods and HTTP routes `statements` may invoke (by their ARNs). */
function iamRouteHops(model: AccessModel, statements: RoleStatements["statements"]): Hop[] {
  const mayInvoke = (s: RoleStatements["statements"][number]) =>
    s.effect === "Allow" &&
    (s.notAction !== undefined ||
      (s.action ?? []).some((a) => a === "*" || /^execute-api:/i.test(a)));
  if (!statements.some(mayInvoke)) return [];
  const out: Hop[] = [];
  for (const entry of [...model.entries("rest-method"), ...model.entries("http-route")]) {
    if (entry.auth !== "AWS_IAM") continue;
    const arns = invokeArns(model.index, entry);
    if (arns.length === 0) continue;
    if (allowedActions(statements, "execute-api", arns).some((a) => /^(\*|Invoke)/i.test(a))) {
      out.push({
        label: `${entry.operation} (${entry.auth})`,
        resource: entry.resource,
        next: entry.reaches,
      });
    }
  }
  return out;
}

const stageNames = new WeakMap<StackIndex, Map<PolicyResource, string[]>>();

/** The stage names of every API, in one pass over the stages. */
function stagesByApi(index: StackIndex): Map<PolicyResource, string[]> {
  let out = stageNames.get(index);
  if (out) return out;
  out = new Map();
  for (const stage of [...index.ofType(TYPES.restStage), ...index.ofType(TYPES.httpStage)]) {
    const rest = stage.type === TYPES.restStage;
    const ref = index.ref(stage, rest ? "restApi" : "apiId", [
      rest ? TYPES.restApi : TYPES.httpApi,
    ]);
    const props = rawProps(stage.props);
    const name = knownString(rest ? props.stageName : props.name);
    if (!Array.isArray(ref) || name === undefined) continue;
    for (const api of ref) addTo(out, api, name);
  }
  stageNames.set(index, out);
  return out;
}

/** The execute-api ARNs of an entry point, one per stage of its API (or `*` for the stage). */
export function invokeArns(index: StackIndex, entry: EntryPoint): string[] {
  if (!entry.api || entry.method === undefined) return [];
  const base = knownString(rawProps(entry.api.props).executionArn);
  if (!base) return [];
  const path = entry.operation.slice(entry.operation.indexOf(" ") + 1);
  const stages = stagesByApi(index).get(entry.api) ?? ["*"];
  return stages.map((st) => `${base}/${st}/${entry.method}${path}`);
}

// ---------------------------------------------------------------------------------------------
// Entry points other than REST methods (lib/access-rest.ts builds those).

/** The integrations a route's `target` ("integrations/<id>") names. */
function routeIntegrations(index: StackIndex, route: PolicyResource): Ref {
  const ref = index.ref(route, "target", [TYPES.httpIntegration]);
  const target = knownString(rawProps(route.props).target);
  if (Array.isArray(ref) && ref.length === 0 && target?.startsWith("integrations/")) {
    return index.byValue(target.slice("integrations/".length), [TYPES.httpIntegration]);
  }
  return ref;
}

/**
 * Whether a route belongs to an HTTP or a WebSocket API: its API's protocolType when the stack
 * holds the API; else its key ("GET /x" is HTTP, "$connect" or a bare name is WebSocket), and
 * for "$default" a JWT authorizationType or an integration with payloadFormatVersion 2.0, which
 * only HTTP APIs have. Undefined when nothing tells.
 */
export function routeProtocol(
  index: StackIndex,
  route: PolicyResource,
): "HTTP" | "WEBSOCKET" | undefined {
  const props = rawProps(route.props);
  const apiRef = index.ref(route, "apiId", [TYPES.httpApi]);
  const protocols = new Set(
    (Array.isArray(apiRef) ? apiRef : []).map((a) => upperString(rawProps(a.props).protocolType)),
  );
  const [protocol] = protocols.size === 1 ? [...protocols] : [undefined];
  if (protocol === "HTTP" || protocol === "WEBSOCKET") return protocol;
  const routeKey = knownString(props.routeKey);
  if (routeKey === undefined) return undefined;
  if (/^[A-Z]+ \//i.test(routeKey)) return "HTTP";
  if (routeKey !== "$default") return "WEBSOCKET";
  if (upperString(props.authorizationType) === "JWT") return "HTTP";
  const integrations = routeIntegrations(index, route);
  if (!Array.isArray(integrations)) return undefined;
  const v2 = integrations.some(
    (i) => knownString(rawProps(i.props).payloadFormatVersion) === "2.0",
  );
  return v2 ? "HTTP" : undefined;
}

function httpEntries(model: AccessModel): EntryPoint[] {
  const { index } = model;
  const out: EntryPoint[] = [];
  for (const route of index.ofType(TYPES.httpRoute)) {
    const props = rawProps(route.props);
    const routeKey = knownString(props.routeKey);
    if (routeKey === undefined) continue;
    const apiRef = index.ref(route, "apiId", [TYPES.httpApi]);
    const api = Array.isArray(apiRef) ? apiRef[0] : undefined;
    const protocol = routeProtocol(index, route);
    if (protocol === undefined) continue;
    const websocket = protocol === "WEBSOCKET";
    const rawAuth = props.authorizationType;
    if (hasUnknown(rawAuth)) continue;
    const auth = upperString(rawAuth) ?? "NONE";
    out.push({
      kind: websocket ? "websocket-route" : "http-route",
      resource: route,
      api,
      method: websocket ? undefined : routeKey.split(" ")[0].toUpperCase(),
      operation: routeKey,
      auth,
      callers: routeCallers(model, route, auth),
      reaches: routeReach(model, route),
    });
  }
  return out;
}

function routeCallers(model: AccessModel, route: PolicyResource, auth: string): Caller[] {
  if (auth === "NONE") return [ANYONE];
  if (auth === "AWS_IAM")
    return [{ kind: "iam", label: "IAM principals allowed execute-api:Invoke" }];
  const ref = model.index.ref(route, "authorizerId", [TYPES.httpAuthorizer]);
  const authorizer = Array.isArray(ref) ? ref[0] : undefined;
  if (auth === "JWT") {
    const jwt = asRecord(authorizer ? rawProps(authorizer.props).jwtConfiguration : undefined);
    const scopes = rawProps(route.props).authorizationScopes;
    const detail =
      Array.isArray(scopes) && scopes.length > 0 ? `scopes ${scopes.join(" ")}` : undefined;
    return [model.issuerCaller(jwt?.issuer, detail, depsOf(authorizer, "jwtConfiguration"))];
  }
  const label = authorizer ? `Lambda authorizer ${nameOf(authorizer)}` : "a Lambda authorizer";
  return [{ kind: "lambda-authorizer", label: `callers ${label} admits` }];
}

function routeReach(model: AccessModel, route: PolicyResource): Hop[] {
  const ref = routeIntegrations(model.index, route);
  if (ref === "unknown") return [unknownHop("integration")];
  return ref.flatMap((integration) => {
    const type = upperString(rawProps(integration.props).integrationType);
    const hops = model.functionHopsIn(integration, "integrationUri");
    if (hops.length > 0) return hops;
    return [
      {
        label: `${type ?? "an"} integration ${nameOf(integration)}`,
        resource: integration,
        next: [],
      },
    ];
  });
}

function openApiEntries(model: AccessModel): EntryPoint[] {
  const out: EntryPoint[] = [];
  for (const api of [...model.index.ofType(TYPES.restApi), ...model.index.ofType(TYPES.httpApi)]) {
    const parsed = bodyOperations(rawProps(api.props).body);
    if (parsed.kind !== "known") continue;
    for (const op of parsed.operations) {
      if (op.verdict === "undecided") continue;
      const reaches = op.integrationUri ? model.functionHopsIn(api, "body", op.integrationUri) : [];
      out.push({
        kind: "openapi-operation",
        resource: api,
        api,
        method: op.method,
        operation: `${op.method} ${op.path}`,
        auth: op.verdict === "open" ? "NONE" : op.iam ? "AWS_IAM" : "authorizer or IAM",
        callers: op.verdict === "open" ? [ANYONE] : [],
        reaches,
      });
    }
  }
  return out;
}

function functionUrlEntries(model: AccessModel): EntryPoint[] {
  const out: EntryPoint[] = [];
  for (const url of model.index.ofType(TYPES.functionUrl)) {
    const props = rawProps(url.props);
    const auth = upperString(props.authorizationType);
    if (auth === undefined) continue;
    const fns = model.functionsIn(url, "functionName");
    const name =
      Array.isArray(fns) && fns.length > 0 ? nameOf(fns[0]) : knownString(props.functionName);
    const reaches = model.functionHopsIn(url, "functionName");
    out.push({
      kind: "function-url",
      resource: url,
      operation: `function URL of ${name ?? nameOf(url)}`,
      auth,
      callers:
        auth === "NONE"
          ? [ANYONE]
          : [{ kind: "iam", label: "IAM principals allowed lambda:InvokeFunctionUrl" }],
      reaches,
    });
  }
  return out;
}

function providerCaller(
  model: AccessModel,
  api: PolicyResource,
  type: AppSyncAuthType,
  groups?: string[],
): Caller {
  const props = rawProps(api.props);
  const configs = [
    props,
    ...(Array.isArray(props.additionalAuthenticationProviders)
      ? props.additionalAuthenticationProviders
      : []),
  ]
    .map((p) => asRecord(p) ?? {})
    .filter((p) => upperString(p.authenticationType) === type);
  const detail = groups ? `groups ${groups.join(", ")}` : undefined;
  switch (type) {
    case "API_KEY":
      return API_KEY_HOLDERS;
    case "AWS_IAM":
      return { kind: "iam", label: "IAM principals allowed appsync:GraphQL" };
    case "AMAZON_COGNITO_USER_POOLS": {
      const poolId = knownString(asRecord(configs[0]?.userPoolConfig)?.userPoolId);
      const named =
        type === upperString(props.authenticationType) ? depsOf(api, "userPoolConfig") : [];
      return model.issuerCaller(poolId ? `/${poolId}` : undefined, detail, named);
    }
    case "OPENID_CONNECT":
      return model.issuerCaller(asRecord(configs[0]?.openidConnectConfig)?.issuer, detail);
    default:
      return { kind: "lambda-authorizer", label: "callers the AppSync Lambda authorizer admits" };
  }
}

function appsyncEntries(model: AccessModel): EntryPoint[] {
  const { index } = model;
  const out: EntryPoint[] = [];
  const resolvers = new Map<string, PolicyResource[]>();
  for (const r of index.ofType(RESOLVER)) {
    const props = rawProps(r.props);
    const apiRef = index.ref(r, "apiId", [TYPES.graphQLApi]);
    if (!Array.isArray(apiRef)) continue;
    for (const api of apiRef) {
      const key = `${api.urn}|${String(props.type)}.${String(props.field)}`;
      addTo(resolvers, key, r);
    }
  }
  for (const api of index.ofType(TYPES.graphQLApi)) {
    const props = rawProps(api.props);
    const defaultType = upperString(props.authenticationType) as AppSyncAuthType | undefined;
    const extra = props.additionalAuthenticationProviders;
    if (!defaultType || hasUnknown(extra)) continue;
    const configured = new Set<string>([defaultType]);
    if (Array.isArray(extra))
      extra.forEach((p) => configured.add(String(upperString(asRecord(p)?.authenticationType))));
    const access = schemaAccess(props.schema, defaultType, configured);
    if (access.kind !== "known") continue;
    for (const f of access.fields) {
      const operation = `${f.type}.${f.field}`;
      out.push({
        kind: "appsync-field",
        resource: api,
        api,
        operation,
        auth:
          f.providers
            .map((p) =>
              p.via === "the default provider" ? `default ${p.type}` : p.via.split(" on ")[0],
            )
            .join(" ") || "no provider",
        callers: f.providers.map((p) => providerCaller(model, api, p.type, p.groups)),
        reaches: (resolvers.get(`${api.urn}|${operation}`) ?? []).flatMap((r) =>
          resolverReach(model, r),
        ),
      });
    }
  }
  return out;
}

function resolverReach(model: AccessModel, resolver: PolicyResource): Hop[] {
  const { index } = model;
  const dsRef = index.ref(resolver, "dataSource", [TYPES.appsyncDataSource]);
  if (dsRef === "unknown") return [unknownHop("data source")];
  let sources = dsRef;
  if (sources.length === 0) {
    // Pipeline resolvers reach data through their AppSync functions' data sources.
    const fns =
      (resolver.propertyDependencies as Record<string, PolicyResource[]> | undefined)
        ?.pipelineConfig ?? [];
    sources = fns
      .filter((f) => f && f.type === APPSYNC_FUNCTION)
      .flatMap((f) => {
        const r = index.ref(f, "dataSource", [TYPES.appsyncDataSource]);
        return Array.isArray(r) ? r : [];
      });
  }
  return sources.map((ds) => dataSourceHop(model, ds));
}

const dsHops = new WeakMap<PolicyResource, Hop>();

function dataSourceHop(model: AccessModel, ds: PolicyResource): Hop {
  const cached = dsHops.get(ds);
  if (cached) return cached;
  const props = rawProps(ds.props);
  const name = knownString(props.name) ?? nameOf(ds);
  const hop: Hop = { label: `data source ${name}`, resource: ds, next: [] };
  dsHops.set(ds, hop);
  const type = upperString(props.type);
  if (type === "AWS_LAMBDA") {
    const arn = asRecord(props.lambdaConfig)?.functionArn;
    hop.next.push(...model.functionHopsIn(ds, "lambdaConfig", arn ?? null));
  } else {
    const roleRef = model.index.ref(ds, "serviceRoleArn", [ROLE]);
    if (roleRef === "unknown") hop.next.push(unknownHop("service role"));
    else {
      for (const role of roleRef)
        hop.next.push(...dataHops(model.index, model.roles().get(role)?.statements ?? []));
    }
  }
  return hop;
}

const routes = new WeakMap<AccessModel, EntryPoint[]>();

/** HTTP and WebSocket routes, built once for both kinds. */
function routesOf(model: AccessModel): EntryPoint[] {
  let list = routes.get(model);
  if (!list) {
    list = httpEntries(model);
    routes.set(model, list);
  }
  return list;
}

const BUILDERS: Record<EntryKind, (model: AccessModel) => EntryPoint[]> = {
  "rest-method": (model) => restEntries(model),
  "openapi-operation": openApiEntries,
  "http-route": (model) => routesOf(model).filter((e) => e.kind === "http-route"),
  "websocket-route": (model) => routesOf(model).filter((e) => e.kind === "websocket-route"),
  "appsync-field": appsyncEntries,
  "function-url": functionUrlEntries,
};

/** Renders hops as "function orders → table orders (GetItem, PutItem)", guarding against cycles. */
export function describeHops(hops: Hop[], seen: Set<Hop> = new Set(), depth = 0): string {
  return hops
    .map((h) => {
      if (seen.has(h) || depth > 6) return h.label;
      const inner = new Set(seen).add(h);
      return h.next.length > 0 ? `${h.label} → ${describeHops(h.next, inner, depth + 1)}` : h.label;
    })
    .join(" and ");
}

/** "anyone on the internet → GET /orders (NONE) → function orders → table orders (GetItem, PutItem)". */
export function describePath(caller: Caller, entry: EntryPoint): string {
  const head = `${caller.label} → ${entry.operation} (${entry.auth})`;
  return entry.reaches.length > 0 ? `${head} → ${describeHops(entry.reaches)}` : head;
}
