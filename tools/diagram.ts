/**
 * A Mermaid flowchart of who may call what, drawn from the policy pack's own access model
 * (policy-pack/lib/access-model.ts), so the diagram and the pack's verdicts can never disagree:
 * components as subgraphs; REST, HTTP and AppSync APIs with the entry points the model finds
 * and how each authenticates; authorizers and the identity providers behind them (users → IdP →
 * authorizer → route), with each user pool's federated providers; internal callers → the invoker
 * roles they assume → the IAM-only routes the model says those roles may invoke; the functions
 * behind methods, routes, authorizers and AppSync data sources, the role each function runs as
 * and the tables its role may use, with the actions; and the execute-api VPC endpoint a private
 * API is pinned to.
 *
 * A pure function of the run, so the offline preview prints it and a README drift test can
 * regenerate it from `runStack(...)` and compare.
 */
import type { PolicyResource } from "@pulumi/policy";
import {
  accessModel,
  AccessModel,
  EntryPoint,
  Hop,
  LAMBDA,
  providerName,
} from "../policy-pack/lib/access-model";
import { parsePolicyDocument } from "../policy-pack/lib/policy-document";
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
const list = (v: unknown): unknown[] =>
  v === undefined || v === null ? [] : Array.isArray(v) ? v : [v];
const strings = (v: unknown): string[] => list(v).filter((x): x is string => typeof x === "string");

/**
 * The run's resources as the pack's stack policies receive them at AnalyzeStack: readable
 * inputs plus the outputs other resources refer to (id, ARN, execution ARN, root resource id,
 * endpoint), with parents and property dependencies as resource objects.
 */
export function policyResources(resources: RegisteredResource[]): Map<string, PolicyResource> {
  const byUrn = new Map<string, PolicyResource>();
  for (const r of resources) {
    const props: Record<string, unknown> = { ...r.inputs };
    for (const [k, v] of Object.entries(r.wireOutputs)) {
      if (typeof v === "string" && !(k in props)) props[k] = v;
    }
    if (r.id) props.id = r.id;
    if (r.arn) props.arn = r.arn;
    byUrn.set(r.urn, {
      type: r.type,
      urn: r.urn,
      name: r.name,
      props,
    } as unknown as PolicyResource);
  }
  for (const r of resources) {
    const p = byUrn.get(r.urn) as unknown as Record<string, unknown>;
    p.parent = r.parent ? byUrn.get(r.parent) : undefined;
    p.dependencies = r.dependencies.map((u) => byUrn.get(u)).filter(Boolean);
    p.propertyDependencies = Object.fromEntries(
      Object.entries(r.propertyDependencies).map(([k, urns]) => [
        k,
        urns.map((u) => byUrn.get(u)).filter(Boolean),
      ]),
    );
  }
  return byUrn;
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
  // The pack's access model of the same resources: every reach edge below comes from it.
  const modelResources = policyResources(resources);
  const model: AccessModel = accessModel([...modelResources.values()]);
  const asModel = (r: RegisteredResource) => modelResources.get(r.urn)!;

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
    const pid = node(pool, `Cognito user pool\n${pool.name}`, "round");
    poolNode.set(String(pool.id), pid);
    // Federated providers (SAML, OIDC, social) sign users in through the pool: drawn generically.
    for (const idp of model.federatedProviders(asModel(pool))) {
      const registered = byUrn.get(idp.urn);
      if (registered)
        edge(node(registered, `Federated IdP\n${providerName(idp)}`, "round"), pid, "federates");
    }
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

  /** Who the model says may call without an identity, drawn as callers of those entry points. */
  const openCallers = (e: EntryPoint, id: string) => {
    for (const c of e.callers) {
      if (c.kind !== "anyone" && c.kind !== "api-key") continue;
      const cid = nodeId(`caller:${c.label}`);
      if (!members.get("")?.some((l) => l.startsWith(`${cid}(`))) {
        place("", `${cid}(("${esc(c.label)}"))`);
      }
      edge(cid, id, "calls");
    }
  };
  const entriesOf = (api: RegisteredResource, ...kinds: EntryPoint["kind"][]) =>
    kinds.flatMap((k) => model.entries(k)).filter((e) => e.api?.urn === api.urn);

  // --- REST APIs, the methods the model finds (with full paths) and authorizers.
  for (const api of ofType(T.restApi)) {
    const types = strings(I(api).endpointConfiguration?.types);
    const id = nodeId(api.urn);
    const apiMembers: string[] = [];
    for (const e of entriesOf(api, "rest-method")) {
      const mid = nodeId(e.resource.urn);
      apiMembers.push(`${mid}["${esc(`${e.operation}\n${e.auth}`)}"]`);
      openCallers(e, mid);
      const authorizer = byId(T.restAuthorizer, I(byUrn.get(e.resource.urn)!).authorizerId);
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
    for (const e of entriesOf(api, "http-route", "websocket-route")) {
      const route = byUrn.get(e.resource.urn)!;
      const scopes = strings(I(route).authorizationScopes);
      const rid = nodeId(route.urn);
      apiMembers.push(
        `${rid}["${esc(`${e.operation}\n${e.auth}${scopes.length ? ` ${scopes.join(" ")}` : ""}`)}"]`,
      );
      openCallers(e, rid);
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

  // --- Invoker roles: the IAM-only routes the model says they may invoke, and who assumes them.
  const roleNode = new Map<string, string>();
  for (const role of ofType(T.role)) {
    const entries = model.iamEntries(asModel(role));
    if (entries.length === 0) continue;
    const rid = node(role, `Invoker role\n${role.name}`, "round");
    roleNode.set(role.urn, rid);
    for (const e of entries) edge(rid, nodeId(e.resource.urn), "execute-api:Invoke");
    for (const principal of trustedPrincipals(I(role).assumeRolePolicy)) {
      const who: string[] =
        typeof principal === "string"
          ? [principal === "*" ? "anyone (*)" : principal]
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
  const tableNode = (r: PolicyResource) => node(byUrn.get(r.urn)!, `DynamoDB ${r.name}`, "round");
  /** Edges from a node to the functions and tables the model's hops name. */
  const hopEdges = (from: string, hops: Hop[], fnLabel = "invokes") => {
    for (const h of hops) {
      if (h.resource?.type === LAMBDA) edge(from, functionNode.get(h.resource.urn)!, fnLabel);
      else if (h.resource?.type === T.table) {
        edge(from, tableNode(h.resource), (h.actions ?? []).join(" ") || "DynamoDB");
      }
    }
  };
  for (const e of [
    ...model.entries("rest-method"),
    ...model.entries("http-route"),
    ...model.entries("websocket-route"),
  ]) {
    hopEdges(nodeId(e.resource.urn), e.reaches);
  }
  for (const a of [...ofType(T.restAuthorizer), ...ofType(T.v2Authorizer)]) {
    const fns = model.functionsIn(asModel(a), "authorizerUri");
    if (Array.isArray(fns))
      for (const fn of fns) edge(nodeId(a.urn), functionNode.get(fn.urn)!, "runs");
  }
  const fields = model.entries("appsync-field");
  for (const ds of ofType(T.dataSource)) {
    const api = byId(T.appsync, I(ds).apiId);
    if (!api) continue;
    const kind = String(I(ds).type ?? "");
    const dsid = node(ds, `data source ${I(ds).name ?? ds.name}\n${kind}`, "round");
    const served = fields
      .filter((e) => e.api?.urn === api.urn && e.reaches.some((h) => h.resource?.urn === ds.urn))
      .map((e) => e.operation)
      .sort();
    if (served.length) edge(nodeId(api.urn), dsid, served.join(", "));
    hopEdges(dsid, model.dataSourceHop(asModel(ds)).next);
  }
  for (const fn of ofType(T.lambda)) {
    const from = functionNode.get(fn.urn)!;
    hopEdges(from, model.functionHop(asModel(fn)).next);
    // Only a role drawn for what it may invoke is worth an arrow (an invoker role).
    const role = model.index.ref(asModel(fn), "role", [T.role]);
    if (!Array.isArray(role)) continue;
    for (const r of role) if (roleNode.has(r.urn)) edge(from, roleNode.get(r.urn)!, "runs as");
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
      const pinned = policies.some((p) => {
        const parsed = parsePolicyDocument(p);
        return parsed.status === "ok" && JSON.stringify(parsed.document).includes(String(vpce.id));
      });
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

/**
 * The principals a trust policy allows (its Allow statements' Principal), read leniently: a
 * trust policy has no Resource, so it is not an identity or resource policy the pack's parser
 * accepts.
 */
function trustedPrincipals(doc: unknown): (string | Obj)[] {
  let d = doc;
  if (typeof d === "string") {
    try {
      d = JSON.parse(d);
    } catch {
      return [];
    }
  }
  if (d === null || typeof d !== "object") return [];
  return list((d as Obj).Statement)
    .map((s) => s as Obj)
    .filter((s) => s !== null && typeof s === "object" && s.Effect === "Allow")
    .map((s) => s.Principal as string | Obj)
    .filter((p) => p !== undefined);
}

function describePrincipal(p: string): string {
  if (p === "*") return "anyone (*)";
  const role = /^arn:[^:]+:iam::(\d{12}):role\/(.+)$/.exec(p);
  if (role) return `role ${role[2]} (account ${role[1]})`;
  const root = /^(?:arn:[^:]+:iam::)?(\d{12})(?::root)?$/.exec(p);
  if (root) return `account ${root[1]}`;
  return p;
}
