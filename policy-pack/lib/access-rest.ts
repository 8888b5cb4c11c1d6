/**
 * REST methods as entry points of the access model: each aws.apigateway.Method with its full
 * path (walking the aws.apigateway.Resource tree), its callers (from `authorization`, the
 * authorizer and `apiKeyRequired`) and what its integration reaches. Integrations are matched to
 * methods by resource and HTTP method through one map, so the cost stays linear.
 */
import { PolicyResource } from "@pulumi/policy";
import {
  AccessModel,
  ANYONE,
  API_KEY_HOLDERS,
  Caller,
  depsOf,
  EntryPoint,
  Hop,
  unknownHop,
} from "./access-types";
import { isPrivateRestApi } from "./endpoint";
import { StackIndex } from "./stack-index";
import { addTo, rawProps, TYPES } from "./stack-refs";
import { hasUnknown, knownString, knownStrings, nameOf, upperString } from "./values";

const REST_RESOURCE = "aws:apigateway/resource:Resource";
const PARENTS = [REST_RESOURCE, TYPES.restApi, TYPES.restMethod] as const;

/** A key for the API Gateway resource (path node) a method or integration is on. */
function pathNodeKey(index: StackIndex, r: PolicyResource, depth = 0): string | undefined {
  const deps = depsOf(r, "resourceId").filter((d) => d && PARENTS.includes(d.type as never));
  const ref = deps.length > 0 ? deps : index.ref(r, "resourceId", [REST_RESOURCE, TYPES.restApi]);
  if (ref === "unknown") return undefined;
  const [node] = ref;
  if (node?.type === TYPES.restMethod) {
    return depth < 2 ? pathNodeKey(index, node, depth + 1) : undefined;
  }
  if (node) return node.urn + (node.type === TYPES.restApi ? "#root" : "");
  const id = knownString(rawProps(r.props).resourceId);
  return id === undefined ? undefined : `id:${id}`;
}

/** "/loyalty/{customerId}" for a path node, or undefined when some step is unknown. */
function pathOf(index: StackIndex, method: PolicyResource): string | undefined {
  const parts: string[] = [];
  let ref = index.ref(method, "resourceId", [REST_RESOURCE, TYPES.restApi]);
  for (let depth = 0; depth < 30; depth++) {
    if (ref === "unknown") return undefined;
    // A parent outside the stack (the root of an API whose root id is not known, or a resource
    // made elsewhere): keep the part of the path the stack knows.
    if (ref.length === 0) {
      return parts.length > 0 ? `…/${parts.reverse().join("/")}` : "(a path outside this stack)";
    }
    const node = ref[0];
    if (node.type === TYPES.restApi) return `/${parts.reverse().join("/")}`;
    const part = knownString(rawProps(node.props).pathPart);
    if (part === undefined) return undefined;
    parts.push(part);
    ref = index.ref(node, "parentId", [REST_RESOURCE, TYPES.restApi]);
  }
  return undefined;
}

function integrationsByMethod(index: StackIndex): Map<string, PolicyResource[]> {
  const out = new Map<string, PolicyResource[]>();
  for (const integration of index.ofType(TYPES.restIntegration)) {
    const node = pathNodeKey(index, integration);
    const method = upperString(rawProps(integration.props).httpMethod);
    if (node === undefined || method === undefined) continue;
    const key = `${node}|${method}`;
    addTo(out, key, integration);
  }
  return out;
}

function restCallers(
  model: AccessModel,
  method: PolicyResource,
  api: PolicyResource | undefined,
  auth: string,
): Caller[] {
  const props = rawProps(method.props);
  if (auth === "NONE") {
    const anyone =
      api && isPrivateRestApi(api) === true
        ? { kind: "anyone" as const, label: "anyone who reaches the API's VPC endpoints" }
        : ANYONE;
    return props.apiKeyRequired === true ? [API_KEY_HOLDERS, anyone] : [anyone];
  }
  if (auth === "AWS_IAM")
    return [{ kind: "iam", label: "IAM principals allowed execute-api:Invoke" }];
  const ref = model.index.ref(method, "authorizerId", [TYPES.restAuthorizer]);
  const authorizer = Array.isArray(ref) ? ref[0] : undefined;
  if (auth === "COGNITO_USER_POOLS") {
    const arns = authorizer ? knownStrings(rawProps(authorizer.props).providerArns) : undefined;
    const scopes = knownStrings(props.authorizationScopes);
    const detail = scopes && scopes.length > 0 ? `scopes ${scopes.join(" ")}` : undefined;
    const pools = depsOf(authorizer, "providerArns");
    return [model.issuerCaller(arns?.[0]?.replace(/^.*userpool\//, "/"), detail, pools)];
  }
  const label = authorizer ? `Lambda authorizer ${nameOf(authorizer)}` : "a Lambda authorizer";
  return [{ kind: "lambda-authorizer", label: `callers ${label} admits` }];
}

function integrationHops(model: AccessModel, integrations: PolicyResource[] | undefined): Hop[] {
  if (integrations === undefined) return [unknownHop("integration")];
  return integrations.flatMap((integration) => {
    const hops = model.functionHopsIn(integration, "uri");
    if (hops.length > 0) return hops;
    const type = upperString(rawProps(integration.props).type) ?? "an";
    return [
      { label: `${type} integration ${nameOf(integration)}`, resource: integration, next: [] },
    ];
  });
}

/** Every REST method of the stack as an entry point (methods whose auth is unknown are left out). */
export function restEntries(model: AccessModel): EntryPoint[] {
  const { index } = model;
  const integrations = integrationsByMethod(index);
  const out: EntryPoint[] = [];
  for (const method of index.ofType(TYPES.restMethod)) {
    const props = rawProps(method.props);
    const httpMethod = upperString(props.httpMethod);
    if (httpMethod === undefined || hasUnknown(props.authorization)) continue;
    const auth = upperString(props.authorization) ?? "NONE";
    const apiRef = index.ref(method, "restApi", [TYPES.restApi]);
    const api = Array.isArray(apiRef) ? apiRef[0] : undefined;
    const node = pathNodeKey(index, method);
    const path = pathOf(index, method) ?? "(path not known yet)";
    out.push({
      kind: "rest-method",
      resource: method,
      api,
      method: httpMethod,
      operation: `${httpMethod} ${path}`,
      auth,
      callers: restCallers(model, method, api, auth),
      reaches: integrationHops(
        model,
        node === undefined ? undefined : (integrations.get(`${node}|${httpMethod}`) ?? []),
      ),
    });
  }
  return out;
}
