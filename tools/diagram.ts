/**
 * A Mermaid flowchart of who may call what, derived from the resources the program registers
 * (never hard-coded): components as subgraphs; REST, HTTP and AppSync APIs with their methods and
 * routes; authorizers and the identity providers behind them (users → IdP → authorizer → route);
 * internal callers → the invoker roles they assume → the private API routes the role's
 * execute-api:Invoke grants reach; the Lambda functions behind methods, routes, authorizers and
 * AppSync data sources, the role each function runs as (so the AppSync loyalty resolver is drawn
 * running as the invoker role that may call one REST route) and the tables its role may use;
 * and the execute-api VPC endpoint a private API is pinned to.
 *
 * A pure function of the run, so the offline preview prints it and a README drift test can
 * regenerate it from `runStack(...)` and compare.
 */
import type { RegisteredResource } from "./mock-engine";

/** What the diagram needs from a run: its stack, project and registered resources. */
export interface DiagramInput {
  stack: string;
  project: string;
  resources: RegisteredResource[];
}

const T = {
  stack: "pulumi:pulumi:Stack",
  restApi: "aws:apigateway/restApi:RestApi",
  restResource: "aws:apigateway/resource:Resource",
  restMethod: "aws:apigateway/method:Method",
  restAuthorizer: "aws:apigateway/authorizer:Authorizer",
  restApiPolicy: "aws:apigateway/restApiPolicy:RestApiPolicy",
  httpApi: "aws:apigatewayv2/api:Api",
  route: "aws:apigatewayv2/route:Route",
  v2Authorizer: "aws:apigatewayv2/authorizer:Authorizer",
  appsync: "aws:appsync/graphQLApi:GraphQLApi",
  userPool: "aws:cognito/userPool:UserPool",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  policy: "aws:iam/policy:Policy",
  attachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  vpce: "aws:ec2/vpcEndpoint:VpcEndpoint",
  lambda: "aws:lambda/function:Function",
  restIntegration: "aws:apigateway/integration:Integration",
  v2Integration: "aws:apigatewayv2/integration:Integration",
  dataSource: "aws:appsync/dataSource:DataSource",
  resolver: "aws:appsync/resolver:Resolver",
  table: "aws:dynamodb/table:Table",
} as const;

type Obj = Record<string, any>;
type Statement = {
  Effect?: string;
  Action?: unknown;
  NotAction?: unknown;
  Resource?: unknown;
  NotResource?: unknown;
  Principal?: unknown;
  Condition?: unknown;
};

const list = (v: unknown): unknown[] =>
  v === undefined || v === null ? [] : Array.isArray(v) ? v : [v];
const strings = (v: unknown): string[] => list(v).filter((x): x is string => typeof x === "string");

/** Parses a policy document given as a JSON string or an object; undefined when unreadable. */
export function statementsOf(doc: unknown): Statement[] {
  let d = doc;
  if (typeof d === "string") {
    try {
      d = JSON.parse(d);
    } catch {
      return [];
    }
  }
  if (d === null || typeof d !== "object") return [];
  return list((d as Obj).Statement).filter(
    (s): s is Statement => s !== null && typeof s === "object",
  );
}

/** IAM-style wildcard match (`*` any run, `?` one character), case-sensitive like resources. */
export function wildcard(pattern: string, value: string, ignoreCase = false): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`,
    ignoreCase ? "i" : "",
  );
  return re.test(value);
}

const grantsAction = (s: Statement, action: string) =>
  s.Action !== undefined
    ? strings(s.Action).some((a) => wildcard(a, action, true))
    : strings(s.NotAction).every((a) => !wildcard(a, action, true));
const grantsInvoke = (s: Statement) => grantsAction(s, "execute-api:Invoke");

/** The DynamoDB actions an identity policy allows on a table ARN (short names, e.g. "Query"). */
export function tableActions(statements: Statement[], tableArn: string): string[] {
  const actions = new Set<string>();
  for (const s of statements) {
    if (s.Effect !== "Allow" || !resourceMatches(s, tableArn)) continue;
    for (const a of strings(s.Action)) {
      if (/^dynamodb:/i.test(a)) actions.add(a.slice("dynamodb:".length));
    }
  }
  return [...actions].sort();
}

const resourceMatches = (s: Statement, arn: string) =>
  s.Resource !== undefined
    ? strings(s.Resource).some((r) => wildcard(r, arn))
    : s.NotResource !== undefined && strings(s.NotResource).every((r) => !wildcard(r, arn));

/**
 * Whether identity-policy statements allow `execute-api:Invoke` on an ARN: an unconditional or
 * conditional Allow matches, and no unconditional Deny does (conditions are not evaluated; a
 * conditional Deny is drawn as not denying).
 */
export function allowsInvoke(statements: Statement[], arn: string): boolean {
  const applies = (s: Statement) => grantsInvoke(s) && resourceMatches(s, arn);
  const allowed = statements.some((s) => s.Effect === "Allow" && applies(s));
  const denied = statements.some((s) => s.Effect === "Deny" && !s.Condition && applies(s));
  return allowed && !denied;
}

/** A resource's readable inputs, loosely typed: the diagram reads many shapes defensively. */
const I = (r: RegisteredResource): Obj => r.inputs as Obj;

const esc = (text: string) =>
  text.replace(/"/g, "#quot;").replace(/</g, "#lt;").replace(/>/g, "#gt;").replace(/\n/g, "<br/>");

const shortType = (type: string) => {
  const parts = type.split(":");
  return parts[parts.length - 1];
};

const host = (url: string) => {
  try {
    return new URL(url).host + new URL(url).pathname.replace(/\/$/, "");
  } catch {
    return url;
  }
};

/** Renders the Mermaid flowchart for a run. Deterministic: same resources, same text. */
export function mermaidDiagram(run: DiagramInput): string {
  const resources = run.resources.filter((r) => r.type !== T.stack);
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const ofType = (type: string) => resources.filter((r) => r.type === type);
  const byId = (type: string, id: unknown) =>
    typeof id === "string" ? ofType(type).find((r) => r.id === id) : undefined;

  // Node ids are stable per URN; labels are escaped for Mermaid.
  const ids = new Map<string, string>();
  const nodeId = (key: string) => {
    if (!ids.has(key)) ids.set(key, `n${ids.size}`);
    return ids.get(key)!;
  };
  /** Lines per container key (a component URN, an API URN, or "" for the top level). */
  const members = new Map<string, string[]>();
  const place = (container: string, line: string) =>
    members.set(container, [...(members.get(container) ?? []), line]);
  const edges: string[] = [];
  const edge = (from: string, to: string, label?: string, style = "-->") => {
    const line = `  ${from} ${style}${label ? `|"${esc(label)}"|` : ""} ${to}`;
    if (!edges.includes(line)) edges.push(line);
  };

  /** The nearest component ancestor of a resource (its subgraph), or "" at the top level. */
  const componentOf = (r: RegisteredResource): string => {
    let p = r.parent ? byUrn.get(r.parent) : undefined;
    while (p && p.custom) p = p.parent ? byUrn.get(p.parent) : undefined;
    return p ? p.urn : "";
  };
  const drawn = new Set<string>();
  const node = (r: RegisteredResource, label: string, shape: "box" | "round" | "hex" = "box") => {
    const id = nodeId(r.urn);
    if (drawn.has(id)) return id;
    drawn.add(id);
    const [open, close] =
      shape === "round" ? ["(", ")"] : shape === "hex" ? ["{{", "}}"] : ["[", "]"];
    place(componentOf(r), `${id}${open}"${esc(label)}"${close}`);
    return id;
  };
  /** Extra label lines of component nodes (a Function component shows its function). */
  const functionLabel = new Map<string, string>();

  // --- Identity providers: user pools in the stack, external OIDC issuers by URL.
  const users = "users";
  let usersUsed = false;
  const poolNode = new Map<string, string>();
  for (const pool of ofType(T.userPool)) {
    poolNode.set(String(pool.id), node(pool, `Cognito user pool\n${pool.name}`, "round"));
  }
  const issuerNodes = new Map<string, string>();
  const idpFor = (issuer: unknown): string | undefined => {
    if (typeof issuer !== "string" || issuer === "") return undefined;
    for (const [poolId, id] of poolNode) if (issuer.endsWith(`/${poolId}`)) return id;
    if (!issuerNodes.has(issuer)) {
      const id = nodeId(`issuer:${issuer}`);
      issuerNodes.set(issuer, id);
      place("", `${id}(["External OIDC IdP<br/>${esc(host(issuer))}"])`);
    }
    return issuerNodes.get(issuer);
  };
  const signIn = (idp: string | undefined) => {
    if (!idp) return;
    usersUsed = true;
    edge(users, idp, "sign in");
  };

  /** Methods and routes by URN: the API, HTTP method and path a grant must name. */
  const routeOf = new Map<string, { api: RegisteredResource; method: string; path: string }>();

  // --- REST APIs, their methods (with full paths) and authorizers.
  for (const api of ofType(T.restApi)) {
    const types = strings(I(api).endpointConfiguration?.types);
    const id = nodeId(api.urn);
    const apiMembers: string[] = [];
    const root = api.wireOutputs.rootResourceId;
    const resourcesOfApi = ofType(T.restResource).filter((r) => I(r).restApi === api.id);
    const pathOf = (resourceId: unknown, depth = 0): string => {
      if (resourceId === root || depth > 30) return "";
      const res = resourcesOfApi.find((r) => r.id === resourceId);
      if (!res) return "/?";
      return `${pathOf(I(res).parentId, depth + 1)}/${I(res).pathPart}`;
    };
    for (const m of ofType(T.restMethod).filter((x) => I(x).restApi === api.id)) {
      const path = pathOf(I(m).resourceId) || "/";
      const auth = String(I(m).authorization ?? "NONE");
      const mid = nodeId(m.urn);
      apiMembers.push(`${mid}["${esc(`${I(m).httpMethod} ${path}\n${auth}`)}"]`);
      routeOf.set(m.urn, { api, method: String(I(m).httpMethod), path });
      const authorizer = byId(T.restAuthorizer, I(m).authorizerId);
      if (authorizer) edge(nodeId(authorizer.urn), mid, "authorizes");
    }
    for (const a of ofType(T.restAuthorizer).filter((x) => I(x).restApi === api.id)) {
      node(a, `REST authorizer ${I(a).type ?? ""}\n${a.name}`, "hex");
      for (const arn of strings(I(a).providerArns)) {
        const pool = ofType(T.userPool).find((p) => p.arn === arn);
        if (pool) {
          edge(poolNode.get(String(pool.id))!, nodeId(a.urn), "JWT");
          signIn(poolNode.get(String(pool.id)));
        }
      }
    }
    const label = `REST API ${api.name}${types.length ? ` (${types.join(", ")})` : ""}`;
    place(
      componentOf(api),
      [`subgraph ${id}["${esc(label)}"]`, ...apiMembers.map((l) => `  ${l}`), "end"].join("\n"),
    );
  }

  // --- HTTP / WebSocket APIs, routes and authorizers.
  for (const api of ofType(T.httpApi)) {
    const id = nodeId(api.urn);
    const apiMembers: string[] = [];
    for (const route of ofType(T.route).filter((x) => I(x).apiId === api.id)) {
      const auth = String(I(route).authorizationType ?? "NONE");
      const scopes = strings(I(route).authorizationScopes);
      const rid = nodeId(route.urn);
      apiMembers.push(
        `${rid}["${esc(`${I(route).routeKey}\n${auth}${scopes.length ? ` ${scopes.join(" ")}` : ""}`)}"]`,
      );
      const [method, path] = String(I(route).routeKey ?? "").split(" ");
      if (path) routeOf.set(route.urn, { api, method, path });
      const authorizer = byId(T.v2Authorizer, I(route).authorizerId);
      if (authorizer) edge(nodeId(authorizer.urn), rid, "authorizes");
    }
    for (const a of ofType(T.v2Authorizer).filter((x) => I(x).apiId === api.id)) {
      const type = String(I(a).authorizerType ?? "");
      const aid = node(a, `${type} authorizer\n${a.name}`, "hex");
      const jwt = I(a).jwtConfiguration ?? {};
      let idp = idpFor(jwt.issuer);
      if (!idp && type === "REQUEST") {
        // A Lambda authorizer verifies tokens of the issuer(s) in its environment.
        const fn = ofType(T.lambda).find(
          (f) => typeof I(a).authorizerUri === "string" && I(a).authorizerUri.includes(`:${f.id}/`),
        );
        const issuers = String((fn ? I(fn) : undefined)?.environment?.variables?.JWT_ISSUER ?? "");
        for (const issuer of issuers.split(",").filter(Boolean)) {
          idp = idpFor(issuer.trim());
          if (idp) edge(idp, aid, "JWT");
          signIn(idp);
        }
        continue;
      }
      if (idp) {
        edge(idp, aid, "JWT");
        signIn(idp);
      }
    }
    const label = `${I(api).protocolType ?? "HTTP"} API ${api.name}`;
    place(
      componentOf(api),
      [`subgraph ${id}["${esc(label)}"]`, ...apiMembers.map((l) => `  ${l}`), "end"].join("\n"),
    );
  }

  // --- AppSync: the default and additional auth providers.
  for (const api of ofType(T.appsync)) {
    const providers = [
      I(api),
      ...list(I(api).additionalAuthenticationProviders).map((p) => p as Obj),
    ];
    const types = providers.map((p) => String(p.authenticationType ?? "?"));
    const vis = I(api).visibility ? `, ${I(api).visibility}` : "";
    const aid = node(
      api,
      `AppSync ${api.name}${vis}\ndefault ${types[0]}${types.length > 1 ? `; also ${types.slice(1).join(", ")}` : ""}`,
    );
    for (const p of providers) {
      if (p.authenticationType === "AMAZON_COGNITO_USER_POOLS") {
        const idp = poolNode.get(String(p.userPoolConfig?.userPoolId));
        if (idp) {
          edge(idp, aid, "JWT");
          signIn(idp);
        }
      } else if (p.authenticationType === "OPENID_CONNECT") {
        const idp = idpFor(p.openidConnectConfig?.issuer);
        if (idp) {
          edge(idp, aid, "JWT");
          signIn(idp);
        }
      }
    }
  }

  // --- Invoker roles: what their identity policies let them invoke, and who assumes them.
  const roleNode = new Map<string, string>();
  const stagesOf = (api: RegisteredResource): string[] => {
    const names = [
      ...ofType("aws:apigateway/stage:Stage")
        .filter((st) => I(st).restApi === api.id)
        .map((st) => I(st).stageName),
      ...ofType("aws:apigatewayv2/stage:Stage")
        .filter((st) => I(st).apiId === api.id)
        .map((st) => I(st).name),
    ].filter((n): n is string => typeof n === "string");
    return names.length ? names : ["stage"];
  };
  // Everything a role's identity policies say: inline, role policies and attached managed ones.
  const statementsOfRole = (role: RegisteredResource): Statement[] => {
    const statements: Statement[] = [];
    for (const p of list(I(role).inlinePolicies)) {
      statements.push(...statementsOf((p as Obj)?.policy));
    }
    for (const rp of ofType(T.rolePolicy)) {
      if (I(rp).role === role.id || I(rp).role === I(role).name) {
        statements.push(...statementsOf(I(rp).policy));
      }
    }
    for (const att of ofType(T.attachment)) {
      if (I(att).role !== role.id && I(att).role !== I(role).name) continue;
      const managed = ofType(T.policy).find((p) => p.arn === I(att).policyArn);
      if (managed) statements.push(...statementsOf(I(managed).policy));
    }
    return statements;
  };
  for (const role of ofType(T.role)) {
    const statements = statementsOfRole(role);
    if (statements.length === 0) continue;
    const reachable = [...routeOf.entries()].filter(([, { api, method, path }]) => {
      // The execute-api ARN of a route: arn:<partition>:execute-api:<region>:<account>:<api id>/<stage>/<METHOD>/<path>
      const base = String(api.wireOutputs.executionArn ?? `arn:aws:execute-api:*:*:${api.id}`);
      return stagesOf(api).some((stage) =>
        allowsInvoke(statements, `${base}/${stage}/${method}${path}`),
      );
    });
    if (reachable.length === 0) continue;
    const rid = node(role, `Invoker role\n${role.name}`, "round");
    roleNode.set(role.urn, rid);
    for (const [urn] of reachable) edge(rid, nodeId(urn), "execute-api:Invoke");
    for (const s of statementsOf(I(role).assumeRolePolicy)) {
      if (s.Effect !== "Allow") continue;
      const principal = s.Principal as Obj | string | undefined;
      const who: string[] =
        typeof principal === "string"
          ? [principal]
          : [
              ...strings(principal?.Service).map((x) => `service ${x}`),
              ...strings(principal?.AWS).map((x) => describePrincipal(x)),
              ...strings(principal?.Federated).map((x) => `federated ${x}`),
            ];
      for (const w of who) {
        const cid = nodeId(`caller:${w}`);
        if (!members.get("")?.some((l) => l.startsWith(`${cid}[`)))
          place("", `${cid}[/"${esc(w)}"/]`);
        edge(cid, rid, "sts:AssumeRole");
      }
    }
  }

  // --- Lambda functions: what invokes them, the role they run as, the tables they may use.
  // A function inside its own Function component is drawn as that component's node.
  const functionNode = new Map<string, string>();
  for (const fn of ofType(T.lambda)) {
    const owner = fn.parent ? byUrn.get(fn.parent) : undefined;
    const alone =
      owner && !owner.custom && ofType(T.lambda).filter((f) => f.parent === owner.urn).length === 1;
    if (alone && owner) {
      functionNode.set(fn.urn, nodeId(owner.urn));
      functionLabel.set(owner.urn, `λ ${fn.name}`);
    } else {
      functionNode.set(fn.urn, node(fn, `λ ${fn.name}`));
    }
  }
  const fnByArnIn = (text: unknown) =>
    typeof text === "string" && text !== ""
      ? ofType(T.lambda).find((f) => f.arn && (text === f.arn || text.includes(`${f.arn}/`)))
      : undefined;
  const invokes = (from: string, target: unknown, label = "invokes") => {
    const fn = fnByArnIn(target);
    if (fn) edge(from, functionNode.get(fn.urn)!, label);
  };
  for (const [urn, { api }] of routeOf) {
    const r = byUrn.get(urn)!;
    if (r.type === T.restMethod) {
      const integration = ofType(T.restIntegration).find(
        (x) =>
          I(x).restApi === api.id &&
          I(x).resourceId === I(r).resourceId &&
          I(x).httpMethod === I(r).httpMethod,
      );
      if (integration) invokes(nodeId(urn), I(integration).uri);
    } else {
      const target = /^integrations\/(.+)$/.exec(String(I(r).target ?? ""))?.[1];
      const integration = byId(T.v2Integration, target);
      if (integration) invokes(nodeId(urn), I(integration).integrationUri);
    }
  }
  for (const a of [...ofType(T.restAuthorizer), ...ofType(T.v2Authorizer)]) {
    invokes(nodeId(a.urn), I(a).authorizerUri, "runs");
  }
  for (const ds of ofType(T.dataSource)) {
    const api = byId(T.appsync, I(ds).apiId);
    if (!api) continue;
    const kind = String(I(ds).type ?? "");
    const dsid = node(ds, `data source ${I(ds).name ?? ds.name}\n${kind}`, "round");
    const fields = ofType(T.resolver)
      .filter((x) => I(x).apiId === api.id && I(x).dataSource === I(ds).name)
      .map((x) => `${I(x).type}.${I(x).field}`)
      .sort();
    if (fields.length) edge(nodeId(api.urn), dsid, fields.join(", "));
    invokes(dsid, I(ds).lambdaConfig?.functionArn);
    const table = ofType(T.table).find(
      (t) => t.id === I(ds).dynamodbConfig?.tableName || t.name === I(ds).dynamodbConfig?.tableName,
    );
    if (table) {
      const role = ofType(T.role).find((r) => r.arn !== null && r.arn === I(ds).serviceRoleArn);
      const actions = role && table.arn ? tableActions(statementsOfRole(role), table.arn) : [];
      edge(dsid, node(table, `DynamoDB ${table.name}`, "round"), actions.join(" ") || "DynamoDB");
    }
  }
  for (const fn of ofType(T.lambda)) {
    const role = ofType(T.role).find((r) => r.arn !== null && r.arn === I(fn).role);
    if (!role) continue;
    const statements = statementsOfRole(role);
    for (const table of ofType(T.table)) {
      const actions = table.arn ? tableActions(statements, table.arn) : [];
      if (actions.length === 0) continue;
      edge(
        functionNode.get(fn.urn)!,
        node(table, `DynamoDB ${table.name}`, "round"),
        actions.join(" "),
      );
    }
    // Only a role drawn for what it may invoke is worth an arrow (an invoker role).
    if (roleNode.has(role.urn)) edge(functionNode.get(fn.urn)!, roleNode.get(role.urn)!, "runs as");
  }

  // --- The execute-api VPC endpoint and the private APIs pinned to it.
  for (const vpce of ofType(T.vpce)) {
    if (!String(I(vpce).serviceName ?? "").endsWith("execute-api")) continue;
    const dns = I(vpce).privateDnsEnabled ? ", private DNS" : "";
    const vid = node(vpce, `VPC endpoint execute-api\n${vpce.id}${dns}`, "round");
    for (const api of ofType(T.restApi)) {
      const ids = strings(I(api).endpointConfiguration?.vpcEndpointIds);
      const policies = [
        I(api).policy,
        ...ofType(T.restApiPolicy)
          .filter((p) => I(p).restApiId === api.id)
          .map((p) => I(p).policy),
      ];
      const pinned = policies.some((p) =>
        JSON.stringify(statementsOf(p)).includes(String(vpce.id)),
      );
      if (pinned || ids.includes(String(vpce.id))) {
        edge(vid, nodeId(api.urn), pinned ? "aws:SourceVpce" : "vpcEndpointIds", "==>");
      }
    }
  }

  // --- Assemble: components as (nested) subgraphs, then edges.
  const lines = ["flowchart LR"];
  if (usersUsed) lines.push(`  ${users}(("Users"))`);
  const components = resources.filter((r) => !r.custom);
  const render = (container: string, indent: string) => {
    for (const line of members.get(container) ?? []) {
      for (const l of line.split("\n")) lines.push(`${indent}${l}`);
    }
    for (const c of components.filter((x) => componentOf(x) === container)) {
      const inner = members.get(c.urn) ?? [];
      const hasChildren = inner.length > 0 || components.some((x) => componentOf(x) === c.urn);
      const extra = functionLabel.get(c.urn);
      const label = `${shortType(c.type)} ${c.name}${extra ? `\n${extra}` : ""}`;
      if (!hasChildren) {
        lines.push(`${indent}${nodeId(c.urn)}["${esc(label)}"]`);
        continue;
      }
      lines.push(`${indent}subgraph ${nodeId(c.urn)}["${esc(label)}"]`);
      render(c.urn, `${indent}  `);
      lines.push(`${indent}end`);
    }
  };
  render("", "  ");
  if (lines.length === 1) {
    lines.push(
      `  ${nodeId("stack")}["${esc(`Stack ${run.project}-${run.stack}\n(no resources yet)`)}"]`,
    );
  }
  lines.push(...edges);
  return `${lines.join("\n")}\n`;
}

function describePrincipal(p: string): string {
  if (p === "*") return "anyone (*)";
  const role = /^arn:[^:]+:iam::(\d{12}):role\/(.+)$/.exec(p);
  if (role) return `role ${role[2]} (account ${role[1]})`;
  const root = /^(?:arn:[^:]+:iam::)?(\d{12})(?::root)?$/.exec(p);
  if (root) return `account ${root[1]}`;
  return p;
}
