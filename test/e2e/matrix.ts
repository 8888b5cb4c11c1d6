/**
 * The caller × operation matrix of one stack, measured end to end: each caller's request goes
 * through the stack's own front door (AppSync's providers and field directives from the uploaded
 * schema; the HTTP API's JWT authorizer, audiences and route scopes; the private REST API's
 * resource policy and the caller's IAM policies, decided by iam-simulate) and, when admitted,
 * through the bundled function or the uploaded APPSYNC_JS resolver, on dynalite. A cell says
 * whether the operation was allowed and whose data came back or changed.
 */
import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { ConstDirectiveNode, Kind, ObjectTypeDefinitionNode, parse } from "graphql";
import {
  BOOKINGS_API,
  GRAPHQL_API,
  LOYALTY_API,
  LOYALTY_RESOLVER_CALLER,
} from "../../app/airline/contract";
import { MOCK_ACCOUNT_ID } from "../../tools/mock-engine";
import { one, ofType, policyDocument } from "../helpers/harness";
import { loadResolver, resolve as runResolver } from "./appsync";
import {
  Bundle,
  createTables,
  Engine,
  FunctionSpec,
  loadBundle,
  StackModel,
  startEngine,
} from "./harness";
import { Issuer } from "./issuer";

/** Customer ids of the users (Cognito-style subjects, valid loyalty customer ids). */
export const SUB = {
  A: "a1111111-aaaa-4aaa-8aaa-aaaaaaaaaaaa",
  B: "b2222222-bbbb-4bbb-8bbb-bbbbbbbbbbbb",
  admin: "c3333333-cccc-4ccc-8ccc-cccccccccccc",
  federated: "d4444444-dddd-4ddd-8ddd-dddddddddddd",
};
const OTHER_ACCOUNT = "444455556666";

/** One caller of the matrix. */
export interface Caller {
  label: string;
  /** A user or client with a token (its claims), an IAM principal, nobody, or a forged event. */
  kind: "token" | "iam" | "anonymous" | "forged";
  claims?: Record<string, unknown>;
  principalArn?: string;
  /** Identity policies the principal holds (the invoker roles' come from the stack). */
  identityPolicies?: unknown[];
  /** lambda:SourceFunctionArn of requests made with the principal's credentials. */
  sourceFunctionArn?: string;
}

/** How a path parameter is shown in a column's label and what value the request sends. */
const PATH_PARAMETERS: Record<string, { shown: string; value: (plant: Plant) => string }> = {
  bookingId: { shown: "B's", value: (p) => p.bookingOf.B },
  customerId: { shown: "B", value: () => SUB.B },
};

/** The required GraphQL arguments the matrix knows: how each is shown and what it sends. */
const GRAPHQL_ARGUMENTS: Record<string, { shown?: string; value: (plant: Plant) => unknown }> = {
  id: { shown: "B's", value: (p) => p.bookingOf.B },
  customerId: { shown: "B", value: () => SUB.B },
  input: { value: () => ({ flightId: "LH-400", seatClass: "ECONOMY", passengers: 1 }) },
};

/** Request bodies of the routes that take one (by route key). */
const REQUEST_BODIES: Record<string, () => unknown> = {
  "POST /bookings": () => ({ flightId: "LH-400", seatClass: "economy", passengers: 1 }),
  "POST /loyalty/{customerId}/points": () => pointsBody(1),
};

/** One column: an operation of the app contract and what the matrix needs to call it. */
type OperationSpec =
  | { kind: "graphql"; label: string; type: string; field: string; args: string[] }
  | { kind: "http"; label: string; routeKey: string; handler: string }
  | { kind: "rest"; label: string; routeKey: string };

/** A route's path as a column shows it: `/bookings/{bookingId}` → `/bookings/{B's}`. */
function shownPath(path: string): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const parameter = PATH_PARAMETERS[name];
    if (!parameter)
      throw new Error(`matrix: path parameter {${name}} is unknown: add it to PATH_PARAMETERS`);
    return `{${parameter.shown}}`;
  });
}

/** The required arguments of each root field in the app's GraphQL schema. */
function requiredArguments(): Map<string, string[]> {
  const doc = parse(fs.readFileSync(GRAPHQL_API.schemaFile, "utf8"));
  const required = new Map<string, string[]>();
  for (const def of doc.definitions) {
    if (def.kind !== Kind.OBJECT_TYPE_DEFINITION) continue;
    for (const f of def.fields ?? []) {
      const names = (f.arguments ?? [])
        .filter((a) => a.type.kind === Kind.NON_NULL_TYPE)
        .map((a) => a.name.value);
      required.set(`${def.name.value}.${f.name.value}`, names);
    }
  }
  return required;
}

/**
 * Every operation of the app contract, in the table's column order: the GraphQL root fields that
 * have resolvers (grouped by data source), the HTTP API's routes, the private REST API's routes.
 * A new route or field is a new column with no change here, unless it takes a path parameter,
 * an argument or a body the matrix has no value for (then this says which table to extend).
 */
function operationSpecs(): OperationSpec[] {
  const required = requiredArguments();
  const graphql = Object.entries(GRAPHQL_API.resolvers)
    .sort(([, a], [, b]) =>
      a.dataSource < b.dataSource ? -1 : a.dataSource > b.dataSource ? 1 : 0,
    )
    .map(([key]): OperationSpec => {
      const [type, field] = key.split(".");
      const args = required.get(key) ?? [];
      const shown = args.map((a) => {
        if (!GRAPHQL_ARGUMENTS[a])
          throw new Error(
            `matrix: no value for argument '${a}' of ${key}: add it to GRAPHQL_ARGUMENTS`,
          );
        return GRAPHQL_ARGUMENTS[a].shown;
      });
      const label = shown.some(Boolean) ? `${field}(${shown.filter(Boolean).join(", ")})` : field;
      return { kind: "graphql", label: `GraphQL ${label}`, type, field, args };
    });
  const http = BOOKINGS_API.routes.map((r): OperationSpec => ({
    kind: "http",
    label: `HTTP ${r.method} ${shownPath(r.path)}`,
    routeKey: `${r.method} ${r.path}`,
    handler: r.handler,
  }));
  const rest = LOYALTY_API.routes.map((r): OperationSpec => ({
    kind: "rest",
    label: `REST ${r.route.split(" ")[0]} ${shownPath(r.route.split(" ")[1])}`,
    routeKey: r.route,
  }));
  return [...graphql, ...http, ...rest];
}

const OPERATION_SPECS = operationSpecs();

/** The operations' labels, in the order of the table's columns. */
export const OPERATIONS: readonly string[] = OPERATION_SPECS.map((o) => o.label);
export type Operation = string;

/** Whose data an answer holds: customer ids found in it, as the users' names. */
function whose(value: unknown): string {
  const ids = new Set<string>();
  JSON.stringify(value ?? null, (k, v) => {
    if (k === "customerId" && typeof v === "string") ids.add(v);
    return v;
  });
  const names = [...ids].map((id) => Object.entries(SUB).find(([, s]) => s === id)?.[0] ?? "other");
  return names.length === 0 ? "no data" : names.sort().join("+") + "'s";
}

const allowed = (value: unknown) => `✔ ${whose(value)}`;
const denied = (why: string) => `✘ ${why}`;

/** Whether the stack signs users in with its own Cognito user pool (else an external issuer). */
export function isCognito(model: StackModel): boolean {
  return typeof (model.run.outputs as Record<string, unknown>).userPoolId === "string";
}

/** The stack's outputs the callers are made of. */
type Outputs = Record<string, any>;

/**
 * A user's access-token claims for the stack's identity tier: a user pool issues access tokens
 * with client_id and cognito:groups; an external OIDC issuer, tokens with an audience.
 */
export function userClaims(out: Outputs, cognito: boolean) {
  const scopes = out.identityScopes as Record<string, string>;
  const userScope = `${scopes["bookings.read"]} ${scopes["bookings.write"]}`;
  return (sub: string, extra: Record<string, unknown> = {}) => ({
    iss: out.identityIssuerUrl,
    sub,
    scope: userScope,
    ...(cognito ? { client_id: out.webClientId, token_use: "access" } : { aud: "api://bookings" }),
    ...extra,
  });
}

/** The admin groups claim of the stack's identity tier. */
export const adminGroups = (cognito: boolean) =>
  cognito ? { "cognito:groups": ["admin"] } : { groups: ["admin"] };

/** The people: users A and B, an admin, and (with a user pool) a federated user. */
function userCallers(out: Outputs, cognito: boolean): Caller[] {
  const user = userClaims(out, cognito);
  return [
    { label: "user A", kind: "token", claims: user(SUB.A) },
    { label: "user B", kind: "token", claims: user(SUB.B) },
    {
      label: cognito ? "admin (cognito:groups admin)" : "admin (IdP groups: admin)",
      kind: "token",
      claims: user(SUB.admin, adminGroups(cognito)),
    },
    // A federated user whose IdP asserts groups: admin (Cognito keeps it out of cognito:groups
    // unless config maps it): with an external OIDC issuer the admin row above is that user.
    ...(cognito
      ? [
          {
            label: "federated user (IdP groups: admin)",
            kind: "token" as const,
            claims: user(SUB.federated, { groups: ["admin"] }),
          },
        ]
      : []),
  ];
}

/**
 * The same people with other tokens: an access token with the read scope only, and a token with
 * no scopes (a user pool's ID token: `token_use: id`, the client in `aud`; an external issuer's
 * token without `scope`). One scope rule for every API: each is refused where HTTP refuses it.
 */
function tokenKindCallers(out: Outputs, cognito: boolean): Caller[] {
  const scopes = out.identityScopes as Record<string, string>;
  const user = userClaims(out, cognito);
  const idToken = (sub: string, extra: Record<string, unknown> = {}) => ({
    iss: out.identityIssuerUrl,
    sub,
    ...(cognito ? { aud: out.webClientId, token_use: "id" } : { aud: "api://bookings" }),
    ...extra,
  });
  return [
    {
      label: "user A, access token with bookings.read only",
      kind: "token",
      claims: user(SUB.A, { scope: scopes["bookings.read"] }),
    },
    cognito
      ? { label: "user A, ID token (no scopes)", kind: "token", claims: idToken(SUB.A) }
      : { label: "user A, token without scopes", kind: "token", claims: idToken(SUB.A) },
    cognito
      ? {
          label: "admin, ID token (cognito:groups admin)",
          kind: "token",
          claims: idToken(SUB.admin, adminGroups(true)),
        }
      : {
          label: "user with cognito:groups admin (not the configured claim)",
          kind: "token",
          claims: user(SUB.admin, adminGroups(true)),
        },
  ];
}

/** The machine client: a client-credentials token with the loyalty.read scope. */
function machineCaller(out: Outputs, cognito: boolean): Caller {
  const scopes = out.identityScopes as Record<string, string>;
  return {
    label: "machine client",
    kind: "token",
    claims: {
      iss: out.identityIssuerUrl,
      sub: cognito ? out.machineClientId : "svc-loyalty-reader",
      scope: scopes["loyalty.read"],
      ...(cognito
        ? { client_id: out.machineClientId, token_use: "access" }
        : { aud: "api://bookings" }),
    },
  };
}

/** IAM principals: the stack's invoker roles (in and out of their function), then broad ones. */
function iamCallers(model: StackModel): Caller[] {
  const roles = (model.run.outputs as Outputs).privateApiInvokerRoleArns as Record<string, string>;
  const resolver = model.fn("loyalty-resolver");
  const broad = [
    { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] },
  ];
  return [
    {
      label: "invoker role appsync-loyalty-resolver (in its function)",
      kind: "iam",
      principalArn: roles["appsync-loyalty-resolver"],
      sourceFunctionArn: resolver.arn,
    },
    {
      label: "invoker role appsync-loyalty-resolver (in another function)",
      kind: "iam",
      principalArn: roles["appsync-loyalty-resolver"],
      sourceFunctionArn: resolver.arn.replace(/function:.*$/, "function:someone-elses"),
    },
    {
      label: "invoker role points-accrual-batch",
      kind: "iam",
      principalArn: roles["points-accrual-batch"],
    },
    {
      label: "unnamed IAM principal, same account (Allow *)",
      kind: "iam",
      principalArn: `arn:aws:iam::${MOCK_ACCOUNT_ID}:role/ops-admin`,
      identityPolicies: broad,
    },
    {
      label: "another account's principal (Allow *)",
      kind: "iam",
      principalArn: `arn:aws:iam::${OTHER_ACCOUNT}:role/partner-admin`,
      identityPolicies: broad,
    },
  ];
}

/** The callers of a stack: users, the machine client, IAM principals, nobody, a forger. */
export function callers(model: StackModel): Caller[] {
  const out = model.run.outputs as Outputs;
  // The stack's identity tier decides the token shapes.
  const cognito = isCognito(model);
  return [
    ...userCallers(out, cognito),
    ...tokenKindCallers(out, cognito),
    machineCaller(out, cognito),
    ...iamCallers(model),
    { label: "anonymous", kind: "anonymous" },
    {
      label: "forged direct invoke (claims of B / an admin)",
      kind: "forged",
      claims: userClaims(out, cognito)(SUB.B, adminGroups(cognito)),
    },
  ];
}

/** Everything a stack's matrix runs on; `close` stops the engine and the fake SSM. */
export interface Plant {
  model: StackModel;
  engine: Engine;
  issuer: Issuer;
  loyalty: Bundle;
  bookings: Bundle;
  resolver: Bundle;
  /** Every handler's bundle loaded so far, by handler name (see bundleOf). */
  bundles: Map<string, Bundle>;
  /** Booking ids of A and B, made through the bookings function. */
  bookingOf: Record<"A" | "B", string>;
  close(): Promise<void>;
}

/** The bundle of the function that runs `handler`, loaded on first use. */
function bundleOf(plant: Plant, handler: string): Bundle {
  let bundle = plant.bundles.get(handler);
  if (!bundle) {
    bundle = loadBundle(plant.model.fn(handler), plant.engine);
    plant.bundles.set(handler, bundle);
  }
  return bundle;
}

/** A stand-in for SSM's GetParameter on 127.0.0.1: answers the stack's parameter values. */
async function fakeSsm(values: Record<string, string>) {
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const name = (JSON.parse(body || "{}") as { Name?: string }).Name ?? "";
      res.writeHead(name in values ? 200 : 400, { "content-type": "application/x-amz-json-1.1" });
      res.end(
        JSON.stringify(
          name in values
            ? { Parameter: { Name: name, Type: "SecureString", Value: values[name] } }
            : { __type: "ParameterNotFound", message: name },
        ),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** The private REST API as the stack configures it: resource policy, roles' policies, endpoint. */
function restDoor(model: StackModel) {
  const run = model.run;
  const resourcePolicy = policyDocument(
    one(run, "aws:apigateway/restApiPolicy:RestApiPolicy").inputs.policy,
  );
  const api = one(run, "aws:apigateway/restApi:RestApi");
  const stage = String((run.outputs as Record<string, string>).privateApiUrl)
    .split("/")
    .pop();
  const vpce = String((run.outputs as Record<string, string>).vpcEndpointId);
  const rolePolicies = (roleArn: string) => {
    const role = ofType(run, "aws:iam/role:Role").find((r) => r.arn === roleArn);
    if (!role) return [];
    return ofType(run, "aws:iam/rolePolicy:RolePolicy")
      .filter((p) => p.inputs.role === role.id || p.inputs.role === role.inputs.name)
      .map((p) => policyDocument(p.inputs.policy));
  };
  /** AWS's decision for execute-api:Invoke, from inside the VPC through the stack's endpoint. */
  return async (caller: Caller, method: string, path: string) => {
    const resource = `arn:aws:execute-api:eu-west-1:${MOCK_ACCOUNT_ID}:${api.id}/${stage}/${method}${path}`;
    const context: Record<string, string> = {
      "aws:PrincipalArn": caller.principalArn!,
      "aws:SourceVpce": vpce,
    };
    if (caller.sourceFunctionArn) context["lambda:SourceFunctionArn"] = caller.sourceFunctionArn;
    const policies = caller.identityPolicies ?? rolePolicies(caller.principalArn!);
    const result = (await runSimulation(
      {
        request: {
          principal: caller.principalArn!,
          action: "execute-api:Invoke",
          resource: { resource, accountId: MOCK_ACCOUNT_ID },
          contextVariables: context,
        },
        identityPolicies: policies.map((policy, i) => ({ name: `p${i}`, policy })),
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy,
      } as never,
      {},
    )) as { overallResult?: string; result?: { analysis?: { result?: string } } };
    return result.overallResult ?? result.result?.analysis?.result ?? "error";
  };
}

/** A route's path with its parameters filled in: `/loyalty/{customerId}` → `/loyalty/b222…`. */
function concretePath(path: string, params: Record<string, string>): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => params[name]);
}

/** The path parameters a route takes, with the values the matrix sends for them. */
function pathParameters(plant: Plant, path: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [, name] of path.matchAll(/\{(\w+)\}/g))
    params[name] = PATH_PARAMETERS[name].value(plant);
  return params;
}

/** A route's request body, for the methods that carry one; an unknown body route is an error. */
function requestBody(routeKey: string): unknown {
  if (!/^(POST|PUT|PATCH) /.test(routeKey)) return undefined;
  const body = REQUEST_BODIES[routeKey];
  if (!body) throw new Error(`matrix: no request body for ${routeKey}: add one to REQUEST_BODIES`);
  return body();
}

/** A v1 proxy event for the private API's function from an IAM caller (API Gateway fills userArn). */
function restEvent(
  routeKey: string,
  params: Record<string, string>,
  userArn: string,
  body?: unknown,
) {
  const [method, resource] = routeKey.split(" ");
  return {
    resource,
    path: concretePath(resource, params),
    httpMethod: method,
    headers: {},
    pathParameters: params,
    requestContext: { requestId: "r", identity: { userArn } },
    body: body === undefined ? null : JSON.stringify(body),
    isBase64Encoded: false,
  };
}

const session = (roleArn: string) =>
  roleArn.replace(
    /^arn:aws:iam::(\d+):role\/(?:.*\/)?([^/]+)$/,
    "arn:aws:sts::$1:assumed-role/$2/e2e",
  );
const LAMBDA_CONTEXT = { awsRequestId: "e2e", getRemainingTimeInMillis: () => 10_000 };
let keySeq = 0;
const nextKey = () => `e2e-key-${String(++keySeq).padStart(6, "0")}`;
/** A credit's body under a fresh key, created now (the loyalty API's retry window starts there). */
const pointsBody = (points: number) => ({
  points,
  idempotencyKey: nextKey(),
  idempotencyKeyCreatedAt: new Date().toISOString(),
});

/** A REST route, through the door and the private API's function (loyalty). */
async function rest(plant: Plant, caller: Caller, routeKey: string): Promise<string> {
  const [method, template] = routeKey.split(" ");
  const params = pathParameters(plant, template);
  const answer = async (userArn: string) => {
    const res = await plant.loyalty.handler(
      restEvent(routeKey, params, userArn, requestBody(routeKey)),
      LAMBDA_CONTEXT,
    );
    return res.statusCode < 300 ? allowed(JSON.parse(res.body)) : denied(String(res.statusCode));
  };
  if (caller.kind === "forged")
    return answer(session(`arn:aws:iam::${MOCK_ACCOUNT_ID}:role/anything`));
  if (caller.kind !== "iam") return denied("403 (not SigV4-signed)");
  const decision = await restDoor(plant.model)(caller, method, concretePath(template, params));
  if (decision !== "Allowed") return denied(`403 (${decision})`);
  return answer(session(caller.principalArn!));
}

/** The HTTP API: JWT authorizer (issuer, audiences, route scopes), then the bookings function. */
async function httpApi(
  plant: Plant,
  caller: Caller,
  routeKey: string,
  handler: string,
): Promise<string> {
  const run = plant.model.run;
  const jwt = one(run, "aws:apigatewayv2/authorizer:Authorizer", "bookings-api-authorizer").inputs
    .jwtConfiguration as {
    issuer: string;
    audiences: string[];
  };
  const scopes = (ofType(run, "aws:apigatewayv2/route:Route").find(
    (r) => r.inputs.routeKey === routeKey,
  )?.inputs.authorizationScopes ?? []) as string[];
  let claims: Record<string, unknown>;
  if (caller.kind === "forged") claims = caller.claims!;
  else {
    if (caller.kind !== "token") return denied("401 (no JWT)");
    const verified = await plant.issuer.verify(plant.issuer.sign(caller.claims!), jwt.issuer);
    if (!verified) return denied("401 (token)");
    const aud = [verified.aud, verified.client_id].flat().filter(Boolean) as string[];
    if (!aud.some((a) => jwt.audiences.includes(a))) return denied("401 (audience)");
    const granted = String(verified.scope ?? "").split(" ");
    if (scopes.length > 0 && !scopes.some((s) => granted.includes(s))) return denied("403 (scope)");
    claims = verified;
  }
  const [method, template] = routeKey.split(" ");
  const params = pathParameters(plant, template);
  const body = requestBody(routeKey);
  const event = {
    routeKey,
    rawPath: concretePath(template, params),
    headers: {},
    pathParameters: Object.keys(params).length > 0 ? params : undefined,
    requestContext: {
      requestId: "r",
      http: { method },
      authorizer: { jwt: { claims, scopes: null } },
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    isBase64Encoded: false,
  };
  const res = await bundleOf(plant, handler).handler(event, LAMBDA_CONTEXT);
  return res.statusCode < 300 ? allowed(JSON.parse(res.body)) : denied(String(res.statusCode));
}

/** The directives of a root field in the uploaded schema: name → cognito_groups (if any). */
function fieldDirectives(schema: string, type: string, field: string): Map<string, string[]> {
  const doc = parse(schema);
  const def = doc.definitions.find(
    (d): d is ObjectTypeDefinitionNode =>
      d.kind === Kind.OBJECT_TYPE_DEFINITION && d.name.value === type,
  );
  const node = def?.fields?.find((f) => f.name.value === field);
  const out = new Map<string, string[]>();
  for (const d of (node?.directives ?? []) as ConstDirectiveNode[]) {
    const groups = d.arguments?.find((a) => a.name.value === "cognito_groups")?.value;
    out.set(
      d.name.value,
      groups?.kind === Kind.LIST ? groups.values.map((v) => (v as { value: string }).value) : [],
    );
  }
  return out;
}

/** AppSync: the caller's provider and token, the field's directives, then the resolver. */
async function graphql(
  plant: Plant,
  caller: Caller,
  op: Extract<OperationSpec, { kind: "graphql" }>,
): Promise<string> {
  const { type, field } = op;
  const run = plant.model.run;
  const api = one(run, "aws:appsync/graphQLApi:GraphQLApi").inputs as Record<string, any>;
  const code = ofType(run, "aws:appsync/resolver:Resolver").find(
    (r) => r.inputs.type === type && r.inputs.field === field,
  )?.inputs.code as string | undefined;
  const cognito = api.authenticationType === "AMAZON_COGNITO_USER_POOLS";
  let identity: Record<string, unknown>;
  if (caller.kind === "anonymous") return denied("401 (no credentials)");
  if (caller.kind === "forged") {
    if (code) return "— (APPSYNC_JS runs only in AppSync)";
    identity = { sub: caller.claims!.sub, issuer: caller.claims!.iss, claims: caller.claims };
  } else {
    const provider =
      caller.kind === "iam" ? "aws_iam" : cognito ? "aws_cognito_user_pools" : "aws_oidc";
    if (caller.kind === "token") {
      const issuer = cognito
        ? `https://cognito-idp.${api.userPoolConfig.awsRegion}.amazonaws.com/${api.userPoolConfig.userPoolId}`
        : api.openidConnectConfig.issuer;
      const claims = await plant.issuer.verify(plant.issuer.sign(caller.claims!), issuer);
      const clientRegex = cognito
        ? api.userPoolConfig.appIdClientRegex
        : api.openidConnectConfig.clientId;
      // A user pool's access token names its client in client_id, its ID token in aud.
      const client = String(cognito ? (claims?.client_id ?? claims?.aud) : claims?.aud);
      if (!claims || (clientRegex && !new RegExp(`^(?:${clientRegex})$`).test(client)))
        return denied("401 (token or client)");
      identity = cognito
        ? {
            sub: claims.sub,
            issuer,
            username: claims.sub,
            claims,
            groups: claims["cognito:groups"] ?? null,
            sourceIp: [],
            defaultAuthStrategy: "ALLOW",
          }
        : { sub: claims.sub, issuer, claims };
    } else {
      identity = {
        accountId: caller.principalArn!.split(":")[4],
        userArn: session(caller.principalArn!),
        sourceIp: [],
      };
    }
    const directives = fieldDirectives(String(api.schema), type, field);
    if (!directives.has(provider)) return denied(`Unauthorized (no @${provider})`);
    const groups = directives.get(provider) ?? [];
    const mine = ((identity.claims as Record<string, unknown> | undefined)?.["cognito:groups"] ??
      []) as string[];
    if (groups.length > 0 && !groups.some((g) => mine.includes(g)))
      return denied("Unauthorized (group)");
  }
  const args = Object.fromEntries(op.args.map((a) => [a, GRAPHQL_ARGUMENTS[a].value(plant)]));
  const info = { fieldName: field, parentTypeName: type };
  try {
    if (code) {
      const table = plant.model.tableOf(plant.model.fn("bookings"), "BOOKINGS_TABLE_NAME").name;
      return allowed(
        await runResolver(loadResolver(code), { args, identity, info }, plant.engine.client, table),
      );
    }
    const event = {
      arguments: args,
      identity,
      info,
      request: { headers: {} },
      source: null,
    };
    return allowed(await plant.resolver.handler(event, LAMBDA_CONTEXT));
  } catch (err) {
    const e = err as { errorType?: string; name?: string };
    return denied(e.errorType ?? e.name ?? "error");
  }
}

/**
 * Routes the resolver's signed GET to the private API: the door decides as for its role in its
 * function, the loyalty function answers. Returns how to put the real fetch back.
 */
function routeResolverToRest(model: StackModel, resolverFn: FunctionSpec, loyalty: Bundle) {
  const origin = new URL(resolverFn.environment.LOYALTY_API_URL).origin;
  const realFetch = globalThis.fetch;
  const roleArn = (model.run.outputs as Outputs).privateApiInvokerRoleArns[
    "appsync-loyalty-resolver"
  ];
  globalThis.fetch = (async (input: string | URL, init?: RequestInit) => {
    const url = new URL(String(input));
    if (url.origin !== origin) return realFetch(input, init);
    const customerId = decodeURIComponent(url.pathname.split("/").pop() ?? "");
    const caller: Caller = {
      label: "resolver",
      kind: "iam",
      principalArn: roleArn,
      sourceFunctionArn: resolverFn.arn,
    };
    if ((await restDoor(model)(caller, "GET", `/loyalty/${customerId}`)) !== "Allowed")
      return new Response("{}", { status: 403 });
    const res = await loyalty.handler(
      restEvent(LOYALTY_RESOLVER_CALLER.route, { customerId }, session(roleArn)),
      LAMBDA_CONTEXT,
    );
    return new Response(res.body, { status: res.statusCode });
  }) as typeof fetch;
  return () => {
    globalThis.fetch = realFetch;
  };
}

/** Data of A and B: loyalty points (as the batch caller) and one booking each. */
async function seed(model: StackModel, plant: Plant): Promise<void> {
  for (const who of ["A", "B"] as const) {
    const batch = session(
      (model.run.outputs as Outputs).privateApiInvokerRoleArns["points-accrual-batch"],
    );
    await plant.loyalty.handler(
      restEvent(
        "POST /loyalty/{customerId}/points",
        { customerId: SUB[who] },
        batch,
        pointsBody(1000),
      ),
      LAMBDA_CONTEXT,
    );
    const created = await plant.bookings.handler(
      {
        routeKey: "POST /bookings",
        headers: {},
        requestContext: {
          requestId: "seed",
          http: { method: "POST" },
          authorizer: { jwt: { claims: { sub: SUB[who] } } },
        },
        body: JSON.stringify({ flightId: "LH-100", seatClass: "business", passengers: 2 }),
      },
      LAMBDA_CONTEXT,
    );
    plant.bookingOf[who] = JSON.parse(created.body).bookingId;
  }
}

/** Sets up a stack's plant: tables, fake SSM, bundles, the resolver's route to the REST API. */
export async function plantFor(model: StackModel, issuer: Issuer): Promise<Plant> {
  const engine = await startEngine();
  await createTables(engine, model.tables);
  const resolverFn = model.fn("loyalty-resolver");
  const keys = model.run.rawOutputs.privateApiKeyValues as Record<string, string>;
  const ssm = await fakeSsm({
    [resolverFn.environment.LOYALTY_API_KEY_PARAMETER]: keys["appsync-loyalty-resolver"],
  });
  const loyalty = loadBundle(model.fn("loyalty"), engine);
  const bookings = loadBundle(model.fn("bookings"), engine);
  const resolver = loadBundle(resolverFn, engine, { AWS_ENDPOINT_URL_SSM: ssm.url });
  const restoreFetch = routeResolverToRest(model, resolverFn, loyalty);
  const plant: Plant = {
    model,
    engine,
    issuer,
    loyalty,
    bookings,
    resolver,
    bundles: new Map([
      ["loyalty", loyalty],
      ["bookings", bookings],
      ["loyalty-resolver", resolver],
    ]),
    bookingOf: { A: "", B: "" },
    close: async () => {
      restoreFetch();
      await new Promise<void>((r) => ssm.server.close(() => r()));
      await engine.close();
    },
  };
  await seed(model, plant);
  return plant;
}

/** One cell: a caller's answer from one operation, by the label of its column. */
export async function callOperation(plant: Plant, caller: Caller, label: string): Promise<string> {
  const op = OPERATION_SPECS.find((o) => o.label === label);
  if (!op) throw new Error(`matrix: no operation '${label}' (one of: ${OPERATIONS.join(", ")})`);
  if (op.kind === "graphql") return graphql(plant, caller, op);
  if (op.kind === "http") return httpApi(plant, caller, op.routeKey, op.handler);
  return rest(plant, caller, op.routeKey);
}

/** One row per caller: the cell of every operation. */
export async function matrix(plant: Plant): Promise<{ caller: string; cells: string[] }[]> {
  const rows: { caller: string; cells: string[] }[] = [];
  for (const caller of callers(plant.model)) {
    const cells: string[] = [];
    for (const label of OPERATIONS) cells.push(await callOperation(plant, caller, label));
    rows.push({ caller: caller.label, cells });
  }
  return rows;
}

/** The rows as a Markdown table. */
export function markdown(rows: { caller: string; cells: string[] }[]): string {
  const head = `| caller | ${OPERATIONS.join(" | ")} |`;
  const rule = `|${" --- |".repeat(OPERATIONS.length + 1)}`;
  return [head, rule, ...rows.map((r) => `| ${r.caller} | ${r.cells.join(" | ")} |`)].join("\n");
}
