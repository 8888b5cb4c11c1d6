/**
 * A Mermaid flowchart of who may call what, drawn from the policy pack's own access model
 * (policy-pack/lib/access-model.ts), so the diagram and the pack's verdicts can never disagree:
 * components as subgraphs; REST, HTTP and AppSync APIs with the entry points the model finds
 * and how each authenticates; authorizers and the identity providers behind them (users → IdP →
 * authorizer → route), with each user pool's federated providers; internal callers → the invoker
 * roles they assume → the IAM-only routes the model says those roles may invoke; the functions
 * behind methods, routes, authorizers and AppSync data sources, the role each function runs as
 * and the tables its role may use, with the actions; the execute-api VPC endpoint a private
 * API is pinned to; and identity pools: the user pool whose ID tokens they take, guests, the
 * roles their role mapping hands out and what those roles' policies reach (bucket prefixes).
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
import { parsePolicyDocument, parseTrustPolicy } from "../policy-pack/lib/policy-document";
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
  identityPool: "aws:cognito/identityPool:IdentityPool",
  poolRoles: "aws:cognito/identityPoolRoleAttachment:IdentityPoolRoleAttachment",
  bucket: "aws:s3/bucket:Bucket",
  client: "aws:cognito/userPoolClient:UserPoolClient",
  streamMapping: "aws:lambda/eventSourceMapping:EventSourceMapping",
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
  const d = new Diagram(run.resources.filter((r) => r.type !== T.stack));
  d.identityProviders();
  d.restApis();
  d.httpApis();
  d.appsyncApis();
  d.invokerRoles();
  d.identityPools();
  d.functions();
  d.vpcEndpoints();
  return d.assemble(run);
}

const USERS = "users";

/** The diagram being drawn: its nodes per container, its edges, and the lookups every step shares. */
class Diagram {
  private readonly byUrn: Map<string, RegisteredResource>;
  // The pack's access model of the same resources: every reach edge below comes from it.
  private readonly modelResources: Map<string, PolicyResource>;
  private readonly model: AccessModel;
  // Node ids are stable per URN; labels are escaped for Mermaid.
  private readonly ids = new Map<string, string>();
  /** Lines per container key (a component URN, an API URN, or "" for the top level). */
  private readonly members = new Map<string, string[]>();
  private readonly edges: string[] = [];
  private readonly drawn = new Set<string>();
  /** Extra label lines of component nodes (a Function component shows its function). */
  private readonly functionLabel = new Map<string, string>();
  private usersUsed = false;
  private readonly poolNode = new Map<string, string>();
  private readonly issuerNodes = new Map<string, string>();
  private readonly roleNode = new Map<string, string>();
  private readonly functionNode = new Map<string, string>();

  constructor(private readonly resources: RegisteredResource[]) {
    this.byUrn = new Map(resources.map((r) => [r.urn, r]));
    this.modelResources = policyResources(resources);
    this.model = accessModel([...this.modelResources.values()]);
  }

  /** The run's resources of one type, in registration order. */
  private ofType(type: string) {
    return this.resources.filter((r) => r.type === type);
  }

  /** The resource of a type with a given physical id (how resources refer to each other). */
  private byId(type: string, id: unknown) {
    return typeof id === "string" ? this.ofType(type).find((r) => r.id === id) : undefined;
  }

  /** The access model's view of a registered resource. */
  private asModel(r: RegisteredResource) {
    return this.modelResources.get(r.urn)!;
  }

  /** A stable Mermaid node id for a key (a URN or a synthetic key), allocated on first use. */
  private nodeId(key: string) {
    if (!this.ids.has(key)) this.ids.set(key, `n${this.ids.size}`);
    return this.ids.get(key)!;
  }

  /** Adds a line to a container's members (its subgraph, or "" for the top level). */
  private place(container: string, line: string) {
    this.members.set(container, [...(this.members.get(container) ?? []), line]);
  }

  /** Adds an edge once, however many steps find it. */
  private edge(from: string, to: string, label?: string, style = "-->") {
    const line = `  ${from} ${style}${label ? `|"${esc(label)}"|` : ""} ${to}`;
    if (!this.edges.includes(line)) this.edges.push(line);
  }

  /** The nearest component ancestor of a resource (its subgraph), or "" at the top level. */
  private componentOf(r: RegisteredResource): string {
    let p = r.parent ? this.byUrn.get(r.parent) : undefined;
    while (p && p.custom) p = p.parent ? this.byUrn.get(p.parent) : undefined;
    return p ? p.urn : "";
  }

  /** Draws a resource's node once, in its component's subgraph, and returns its id. */
  private node(r: RegisteredResource, label: string, shape: "box" | "round" | "hex" = "box") {
    const id = this.nodeId(r.urn);
    if (this.drawn.has(id)) return id;
    this.drawn.add(id);
    const [open, close] =
      shape === "round" ? ["(", ")"] : shape === "hex" ? ["{{", "}}"] : ["[", "]"];
    this.place(this.componentOf(r), `${id}${open}"${esc(label)}"${close}`);
    return id;
  }

  // --- Identity providers: user pools in the stack, external OIDC issuers by URL.
  identityProviders() {
    for (const pool of this.ofType(T.userPool)) {
      const pid = this.node(pool, `Cognito user pool\n${pool.name}`, "round");
      this.poolNode.set(String(pool.id), pid);
      // Federated providers (SAML, OIDC, social) sign users in through the pool: drawn generically.
      for (const idp of this.model.federatedProviders(this.asModel(pool))) {
        const registered = this.byUrn.get(idp.urn);
        if (registered)
          this.edge(
            this.node(registered, `Federated IdP\n${providerName(idp)}`, "round"),
            pid,
            "federates",
          );
      }
    }
  }

  /** The node of the IdP behind an issuer URL: a pool in the stack, else an external OIDC IdP. */
  private idpFor(issuer: unknown): string | undefined {
    if (typeof issuer !== "string" || issuer === "") return undefined;
    for (const [poolId, id] of this.poolNode) if (issuer.endsWith(`/${poolId}`)) return id;
    if (!this.issuerNodes.has(issuer)) {
      const id = this.nodeId(`issuer:${issuer}`);
      this.issuerNodes.set(issuer, id);
      this.place("", `${id}(["External OIDC IdP<br/>${esc(host(issuer))}"])`);
    }
    return this.issuerNodes.get(issuer);
  }

  /** Users sign in at an IdP (the Users node is drawn only when some IdP is used). */
  private signIn(idp: string | undefined) {
    if (!idp) return;
    this.usersUsed = true;
    this.edge(USERS, idp, "sign in");
  }

  /** Who the model says may call without an identity, drawn as callers of those entry points. */
  private openCallers(e: EntryPoint, id: string) {
    for (const c of e.callers) {
      if (c.kind !== "anyone" && c.kind !== "api-key") continue;
      const cid = this.nodeId(`caller:${c.label}`);
      if (!this.members.get("")?.some((l) => l.startsWith(`${cid}(`))) {
        this.place("", `${cid}(("${esc(c.label)}"))`);
      }
      this.edge(cid, id, "calls");
    }
  }

  /** The model's entry points of the given kinds on one API. */
  private entriesOf(api: RegisteredResource, ...kinds: EntryPoint["kind"][]) {
    return kinds.flatMap((k) => this.model.entries(k)).filter((e) => e.api?.urn === api.urn);
  }

  /** An API as a subgraph of its entry points, placed in its component. */
  private apiSubgraph(api: RegisteredResource, label: string, apiMembers: string[]) {
    this.place(
      this.componentOf(api),
      [
        `subgraph ${this.nodeId(api.urn)}["${esc(label)}"]`,
        ...apiMembers.map((l) => `  ${l}`),
        "end",
      ].join("\n"),
    );
  }

  // --- REST APIs, the methods the model finds (with full paths) and authorizers.
  restApis() {
    for (const api of this.ofType(T.restApi)) {
      const types = strings(I(api).endpointConfiguration?.types);
      this.nodeId(api.urn);
      const apiMembers = this.restMethods(api);
      this.restAuthorizers(api);
      const label = `REST API ${api.name}${types.length ? ` (${types.join(", ")})` : ""}`;
      this.apiSubgraph(api, label, apiMembers);
    }
  }

  /** A REST API's methods as the model finds them, with their open callers and authorizers. */
  private restMethods(api: RegisteredResource): string[] {
    const apiMembers: string[] = [];
    for (const e of this.entriesOf(api, "rest-method")) {
      const mid = this.nodeId(e.resource.urn);
      apiMembers.push(`${mid}["${esc(`${e.operation}\n${e.auth}`)}"]`);
      this.openCallers(e, mid);
      const authorizer = this.byId(
        T.restAuthorizer,
        I(this.byUrn.get(e.resource.urn)!).authorizerId,
      );
      if (authorizer) this.edge(this.nodeId(authorizer.urn), mid, "authorizes");
    }
    return apiMembers;
  }

  /** A REST API's authorizers and the user pools whose JWTs they accept. */
  private restAuthorizers(api: RegisteredResource) {
    for (const a of this.ofType(T.restAuthorizer).filter((x) => I(x).restApi === api.id)) {
      this.node(a, `REST authorizer ${I(a).type ?? ""}\n${a.name}`, "hex");
      for (const arn of strings(I(a).providerArns)) {
        const pool = this.ofType(T.userPool).find((p) => p.arn === arn);
        if (pool) {
          this.edge(this.poolNode.get(String(pool.id))!, this.nodeId(a.urn), "JWT");
          this.signIn(this.poolNode.get(String(pool.id)));
        }
      }
    }
  }

  // --- HTTP / WebSocket APIs, routes and authorizers.
  httpApis() {
    for (const api of this.ofType(T.httpApi)) {
      this.nodeId(api.urn);
      const apiMembers = this.httpRoutes(api);
      for (const a of this.ofType(T.v2Authorizer).filter((x) => I(x).apiId === api.id)) {
        this.v2Authorizer(a);
      }
      this.apiSubgraph(api, `${I(api).protocolType ?? "HTTP"} API ${api.name}`, apiMembers);
    }
  }

  /** An HTTP or WebSocket API's routes as the model finds them, with callers and authorizers. */
  private httpRoutes(api: RegisteredResource): string[] {
    const apiMembers: string[] = [];
    for (const e of this.entriesOf(api, "http-route", "websocket-route")) {
      const route = this.byUrn.get(e.resource.urn)!;
      const scopes = strings(I(route).authorizationScopes);
      const rid = this.nodeId(route.urn);
      // A WebSocket route other than $connect is reached only by frames on a connection that
      // $connect let in: nobody calls it from outside.
      const onConnection = e.kind === "websocket-route" && I(route).routeKey !== "$connect";
      const auth = onConnection ? `${e.auth}, on a $connect-authorized connection` : e.auth;
      apiMembers.push(
        `${rid}["${esc(`${e.operation}\n${auth}${scopes.length ? ` ${scopes.join(" ")}` : ""}`)}"]`,
      );
      if (!onConnection) this.openCallers(e, rid);
      const authorizer = this.byId(T.v2Authorizer, I(route).authorizerId);
      if (authorizer) this.edge(this.nodeId(authorizer.urn), rid, "authorizes");
    }
    return apiMembers;
  }

  /** An API Gateway v2 authorizer and the IdP(s) whose tokens it accepts. */
  private v2Authorizer(a: RegisteredResource) {
    const type = String(I(a).authorizerType ?? "");
    const aid = this.node(a, `${type} authorizer\n${a.name}`, "hex");
    const jwt = I(a).jwtConfiguration ?? {};
    let idp = this.idpFor(jwt.issuer);
    if (!idp && type === "REQUEST") {
      // A Lambda authorizer verifies tokens of the issuer(s) in its environment.
      const fn = this.ofType(T.lambda).find(
        (f) => typeof I(a).authorizerUri === "string" && I(a).authorizerUri.includes(`:${f.id}/`),
      );
      const issuers = String((fn ? I(fn) : undefined)?.environment?.variables?.JWT_ISSUER ?? "");
      for (const issuer of issuers.split(",").filter(Boolean)) {
        idp = this.idpFor(issuer.trim());
        if (idp) this.edge(idp, aid, "JWT");
        this.signIn(idp);
      }
      return;
    }
    if (idp) {
      this.edge(idp, aid, "JWT");
      this.signIn(idp);
    }
  }

  // --- AppSync: the default and additional auth providers.
  appsyncApis() {
    for (const api of this.ofType(T.appsync)) {
      const providers = [
        I(api),
        ...list(I(api).additionalAuthenticationProviders).map((p) => p as Obj),
      ];
      const types = providers.map((p) => String(p.authenticationType ?? "?"));
      const vis = I(api).visibility ? `, ${I(api).visibility}` : "";
      const aid = this.node(
        api,
        `AppSync ${api.name}${vis}\ndefault ${types[0]}${types.length > 1 ? `; also ${types.slice(1).join(", ")}` : ""}`,
      );
      for (const p of providers) {
        let idp: string | undefined;
        if (p.authenticationType === "AMAZON_COGNITO_USER_POOLS") {
          idp = this.poolNode.get(String(p.userPoolConfig?.userPoolId));
        } else if (p.authenticationType === "OPENID_CONNECT") {
          idp = this.idpFor(p.openidConnectConfig?.issuer);
        }
        if (idp) {
          this.edge(idp, aid, "JWT");
          this.signIn(idp);
        }
      }
    }
  }

  // --- Invoker roles: the IAM-only routes the model says they may invoke, and who assumes them.
  invokerRoles() {
    for (const role of this.ofType(T.role)) {
      const entries = this.model.iamEntries(this.asModel(role));
      if (entries.length === 0) continue;
      const rid = this.node(role, `Invoker role\n${role.name}`, "round");
      this.roleNode.set(role.urn, rid);
      for (const e of entries) this.edge(rid, this.nodeId(e.resource.urn), "execute-api:Invoke");
      for (const w of trustedCallers(I(role).assumeRolePolicy)) {
        const cid = this.nodeId(`caller:${w}`);
        if (!this.members.get("")?.some((l) => l.startsWith(`${cid}[`)))
          this.place("", `${cid}[/"${esc(w)}"/]`);
        this.edge(cid, rid, "sts:AssumeRole");
      }
    }
  }

  // --- Identity pools: the user pools whose ID tokens they take, the roles they hand out (by
  // role mapping), and what each role's policies reach (buckets by prefix, other ARNs).
  identityPools() {
    for (const pool of this.ofType(T.identityPool)) {
      const guests = I(pool).allowUnauthenticatedIdentities === true;
      const label = `Cognito identity pool\n${pool.name}, guests ${guests ? "on" : "off"}`;
      const pid = this.node(pool, label, "round");
      for (const p of list(I(pool).cognitoIdentityProviders)) {
        const name = String((p as Obj).providerName ?? "");
        const user = [...this.poolNode].find(([id]) => name.endsWith(`/${id}`))?.[1];
        if (user) this.edge(user, pid, "ID token: GetId");
      }
      for (const a of this.ofType(T.poolRoles).filter((x) => I(x).identityPoolId === pool.id)) {
        const roles = (I(a).roles ?? {}) as Obj;
        const rules = list(I(a).roleMappings).flatMap((m) => list((m as Obj).mappingRules));
        const byArn = new Map<string, string>();
        for (const r of rules as Obj[]) byArn.set(String(r.roleArn), this.ruleLabel(r));
        if (guests && roles.unauthenticated) byArn.set(String(roles.unauthenticated), "guests");
        for (const [arn, why] of byArn) this.poolRole(pid, arn, why);
      }
      if (guests) {
        const gid = this.nodeId("caller:guests");
        if (!this.members.get("")?.some((l) => l.startsWith(`${gid}(`)))
          this.place("", `${gid}(("Guests"))`);
        this.edge(gid, pid, "GetId, no sign-in");
      }
    }
  }

  /** A role-mapping rule as a label: an app client by its name (`aud Equals web-client`). */
  private ruleLabel(rule: Obj): string {
    const client = rule.claim === "aud" ? this.byId(T.client, rule.value) : undefined;
    return `${rule.claim} ${rule.matchType} ${client ? client.name : rule.value}`;
  }

  /** One role an identity pool hands out, and what its statements allow it to reach. */
  private poolRole(pid: string, arn: string, why: string) {
    const role = this.ofType(T.role).find((r) => r.arn === arn);
    if (!role) return;
    const rid = this.node(role, `Identity-pool role\n${role.name}`, "round");
    this.edge(pid, rid, why);
    for (const st of this.model.roles().get(this.asModel(role))?.statements ?? []) {
      if (st.effect !== "Allow") continue;
      const actions = (st.action ?? []).map((x) => x.replace(/^[^:]+:/, "")).join(" ");
      for (const res of st.resource ?? []) {
        const bucket = this.ofType(T.bucket).find((b) => res.startsWith(`${b.arn}/`));
        if (bucket) {
          const bid = this.node(bucket, `S3 ${bucket.name}\nSSE-KMS, TLS only`, "round");
          this.edge(rid, bid, `${actions} ${res.slice(String(bucket.arn).length + 1)}`);
        } else if (!(st.action ?? []).some((x) => x.startsWith("kms:"))) {
          const oid = this.nodeId(`arn:${res}`);
          if (!this.members.get("")?.some((l) => l.startsWith(`${oid}[`)))
            this.place("", `${oid}[/"${esc(res.replace(/^arn:[^:]+:/, ""))}"/]`);
          this.edge(rid, oid, actions);
        }
      }
    }
  }

  // --- Lambda functions: what invokes them, the role they run as, the tables they may use.
  functions() {
    this.functionNodes();
    for (const e of [
      ...this.model.entries("rest-method"),
      ...this.model.entries("http-route"),
      ...this.model.entries("websocket-route"),
    ]) {
      this.hopEdges(this.nodeId(e.resource.urn), e.reaches);
    }
    for (const a of [...this.ofType(T.restAuthorizer), ...this.ofType(T.v2Authorizer)]) {
      const fns = this.model.functionsIn(this.asModel(a), "authorizerUri");
      if (Array.isArray(fns))
        for (const fn of fns) this.edge(this.nodeId(a.urn), this.functionNode.get(fn.urn)!, "runs");
    }
    this.dataSources();
    this.streams();
    for (const fn of this.ofType(T.lambda)) {
      const from = this.functionNode.get(fn.urn)!;
      this.hopEdges(from, this.model.functionHop(this.asModel(fn)).next);
      // Only a role drawn for what it may invoke is worth an arrow (an invoker role).
      const role = this.model.index.ref(this.asModel(fn), "role", [T.role]);
      if (!Array.isArray(role)) continue;
      for (const r of role)
        if (this.roleNode.has(r.urn)) this.edge(from, this.roleNode.get(r.urn)!, "runs as");
    }
  }

  // A function inside its own Function component is drawn as that component's node.
  private functionNodes() {
    for (const fn of this.ofType(T.lambda)) {
      const owner = fn.parent ? this.byUrn.get(fn.parent) : undefined;
      const alone =
        owner &&
        !owner.custom &&
        this.ofType(T.lambda).filter((f) => f.parent === owner.urn).length === 1;
      if (alone && owner) {
        this.functionNode.set(fn.urn, this.nodeId(owner.urn));
        this.functionLabel.set(owner.urn, `λ ${fn.name}`);
      } else {
        this.functionNode.set(fn.urn, this.node(fn, `λ ${fn.name}`));
      }
    }
  }

  /** Edges from a node to the functions and tables the model's hops name. */
  /**
   * Stream consumers: the table whose stream a function reads, and the WebSocket APIs whose
   * `@connections` its role may post to (execute-api:ManageConnections on the API's ARN).
   */
  private streams() {
    for (const m of this.ofType(T.streamMapping)) {
      const fn = this.ofType(T.lambda).find((f) => f.arn === I(m).functionName);
      const table = this.ofType(T.table).find(
        (t) => t.wireOutputs.streamArn === I(m).eventSourceArn,
      );
      if (!fn || !table) continue;
      const tid = this.node(table, `DynamoDB ${table.name}`, "round");
      this.edge(tid, this.functionNode.get(fn.urn)!, "stream");
    }
    for (const p of this.ofType(T.rolePolicy)) {
      const statements = list(JSON.parse(String(I(p).policy ?? "{}")).Statement) as Obj[];
      const targets = statements
        .filter((st) => strings(st.Action).includes("execute-api:ManageConnections"))
        .flatMap((st) => strings(st.Resource));
      const role = this.ofType(T.role).find((r) => r.id === I(p).role);
      const fn = this.ofType(T.lambda).find((f) => role && f.inputs.role === role.arn);
      for (const api of this.ofType(T.httpApi)) {
        const arn = String(api.wireOutputs.executionArn ?? "");
        if (fn && arn && targets.some((t) => t.startsWith(`${arn}/`)))
          this.edge(
            this.functionNode.get(fn.urn)!,
            this.nodeId(api.urn),
            "POST @connections (own stage)",
          );
      }
    }
  }

  private hopEdges(from: string, hops: Hop[], fnLabel = "invokes") {
    for (const h of hops) {
      if (h.resource?.type === LAMBDA)
        this.edge(from, this.functionNode.get(h.resource.urn)!, fnLabel);
      else if (h.resource?.type === T.table) {
        const table = this.node(
          this.byUrn.get(h.resource.urn)!,
          `DynamoDB ${h.resource.name}`,
          "round",
        );
        this.edge(from, table, (h.actions ?? []).join(" ") || "DynamoDB");
      }
    }
  }

  /** AppSync data sources: the fields they serve and what they reach. */
  private dataSources() {
    const fields = this.model.entries("appsync-field");
    for (const ds of this.ofType(T.dataSource)) {
      const api = this.byId(T.appsync, I(ds).apiId);
      if (!api) continue;
      const kind = String(I(ds).type ?? "");
      const dsid = this.node(ds, `data source ${I(ds).name ?? ds.name}\n${kind}`, "round");
      const served = fields
        .filter((e) => e.api?.urn === api.urn && e.reaches.some((h) => h.resource?.urn === ds.urn))
        .map((e) => e.operation)
        .sort();
      if (served.length) this.edge(this.nodeId(api.urn), dsid, served.join(", "));
      this.hopEdges(dsid, this.model.dataSourceHop(this.asModel(ds)).next);
    }
  }

  // --- The execute-api VPC endpoint and the private APIs pinned to it.
  vpcEndpoints() {
    for (const vpce of this.ofType(T.vpce)) {
      if (!String(I(vpce).serviceName ?? "").endsWith("execute-api")) continue;
      const dns = I(vpce).privateDnsEnabled ? ", private DNS" : "";
      const vid = this.node(vpce, `VPC endpoint execute-api\n${vpce.id}${dns}`, "round");
      for (const api of this.ofType(T.restApi)) {
        const ids = strings(I(api).endpointConfiguration?.vpcEndpointIds);
        const policies = [
          I(api).policy,
          ...this.ofType(T.restApiPolicy)
            .filter((p) => I(p).restApiId === api.id)
            .map((p) => I(p).policy),
        ];
        const pinned = policies.some((p) => {
          const parsed = parsePolicyDocument(p);
          return (
            parsed.status === "ok" && JSON.stringify(parsed.document).includes(String(vpce.id))
          );
        });
        if (pinned || ids.includes(String(vpce.id))) {
          this.edge(vid, this.nodeId(api.urn), pinned ? "aws:SourceVpce" : "vpcEndpointIds", "==>");
        }
      }
    }
  }

  // --- Assemble: components as (nested) subgraphs, then edges.
  assemble(run: DiagramInput): string {
    const lines = ["flowchart LR"];
    if (this.usersUsed) lines.push(`  ${USERS}(("Users"))`);
    this.render(lines, "", "  ");
    if (lines.length === 1) {
      lines.push(
        `  ${this.nodeId("stack")}["${esc(`Stack ${run.project}-${run.stack}\n(no resources yet)`)}"]`,
      );
    }
    lines.push(...this.edges);
    return `${lines.join("\n")}\n`;
  }

  /** A container's members, then its child components (nested subgraphs when not empty). */
  private render(lines: string[], container: string, indent: string) {
    const components = this.resources.filter((r) => !r.custom);
    for (const line of this.members.get(container) ?? []) {
      for (const l of line.split("\n")) lines.push(`${indent}${l}`);
    }
    for (const c of components.filter((x) => this.componentOf(x) === container)) {
      const inner = this.members.get(c.urn) ?? [];
      const hasChildren = inner.length > 0 || components.some((x) => this.componentOf(x) === c.urn);
      const extra = this.functionLabel.get(c.urn);
      const label = `${shortType(c.type)} ${c.name}${extra ? `\n${extra}` : ""}`;
      if (!hasChildren) {
        lines.push(`${indent}${this.nodeId(c.urn)}["${esc(label)}"]`);
        continue;
      }
      lines.push(`${indent}subgraph ${this.nodeId(c.urn)}["${esc(label)}"]`);
      this.render(lines, c.urn, `${indent}  `);
      lines.push(`${indent}end`);
    }
  }
}

/** The callers the Allow statements of a trust policy name, as the diagram labels them. */
function trustedCallers(doc: unknown): string[] {
  const parsed = parseTrustPolicy(doc);
  if (parsed.status !== "ok") return [];
  return parsed.document.statements.flatMap(({ effect, principal: p }) =>
    effect === "Allow" && p
      ? [
          ...(p.wildcard ? ["anyone (*)"] : []),
          ...p.service.map((x) => `service ${x}`),
          ...p.aws.map((x) => describePrincipal(x)),
          ...p.federated.map((x) => `federated ${x}`),
        ]
      : [],
  );
}

function describePrincipal(p: string): string {
  if (p === "*") return "anyone (*)";
  const role = /^arn:[^:]+:iam::(\d{12}):role\/(.+)$/.exec(p);
  if (role) return `role ${role[2]} (account ${role[1]})`;
  const root = /^(?:arn:[^:]+:iam::)?(\d{12})(?::root)?$/.exec(p);
  if (root) return `account ${root[1]}`;
  return p;
}
