/**
 * Which aws.apigateway.MethodSettings apply to a REST stage: used by the throttling (K3) and
 * execution-logging (X) policies. A settings resource covers a stage when it depends on the
 * Stage through `stageName`, or names the same stage of the same REST API.
 */
import { PolicyResource } from "@pulumi/policy";
import { rawProps, Reference, resolveReference } from "./stack-refs";
import { isUnknownValue, knownString } from "./values";

const apiRefs = new WeakMap<PolicyResource[], Map<PolicyResource, Reference>>();

/** What a resource's `restApi` input refers to, worked out once per resource and stack. */
function restApiOf(resource: PolicyResource, restApis: PolicyResource[]): Reference {
  let refs = apiRefs.get(restApis);
  if (!refs) apiRefs.set(restApis, (refs = new Map()));
  let ref = refs.get(resource);
  if (!ref) refs.set(resource, (ref = resolveReference(resource, "restApi", restApis)));
  return ref;
}

/** Whether two resources' `restApi` inputs name the same REST API. */
export function sameRestApi(
  a: PolicyResource,
  b: PolicyResource,
  restApis: PolicyResource[],
): "yes" | "no" | "unknown" {
  const refA = restApiOf(a, restApis);
  const refB = restApiOf(b, restApis);
  if (refA.kind === "found" && refB.kind === "found") {
    return refA.resources.some((r) => refB.resources.includes(r)) ? "yes" : "no";
  }
  const idA = knownString(rawProps(a.props).restApi);
  const idB = knownString(rawProps(b.props).restApi);
  if (idA !== undefined && idB !== undefined && refA.kind !== "found" && refB.kind !== "found") {
    return idA === idB ? "yes" : "no";
  }
  return "unknown";
}

/** Settings resources grouped so each stage only looks at the ones that can cover it. */
interface SettingsIndex {
  /** Some settings resource has an unknown methodPath: it might cover any stage. */
  anyUnknownPath: boolean;
  /** Settings for the method path, in stack order. */
  candidates: PolicyResource[];
  /** By the stage resource their stageName input came from. */
  byStage: Map<PolicyResource, PolicyResource[]>;
  /** By their stageName when it is a known string. */
  byName: Map<string, PolicyResource[]>;
  /** Those whose stageName is unknown or not a string: looked at for every stage. */
  always: PolicyResource[];
}

const indexes = new WeakMap<PolicyResource[], Map<string, SettingsIndex>>();

function indexOf(settings: PolicyResource[], methodPath: string): SettingsIndex {
  let byPath = indexes.get(settings);
  if (!byPath) indexes.set(settings, (byPath = new Map()));
  const cached = byPath.get(methodPath);
  if (cached) return cached;
  const index: SettingsIndex = {
    anyUnknownPath: false,
    candidates: [],
    byStage: new Map(),
    byName: new Map(),
    always: [],
  };
  const push = <K>(map: Map<K, PolicyResource[]>, key: K, s: PolicyResource) =>
    map.set(key, [...(map.get(key) ?? []), s]);
  for (const s of settings) {
    const props = rawProps(s.props);
    if (isUnknownValue(props.methodPath)) index.anyUnknownPath = true;
    if (props.methodPath !== methodPath) continue;
    index.candidates.push(s);
    const deps = (s.propertyDependencies as Record<string, unknown> | undefined)?.stageName;
    if (Array.isArray(deps)) for (const d of deps) push(index.byStage, d as PolicyResource, s);
    if (typeof props.stageName === "string" && !isUnknownValue(props.stageName)) {
      push(index.byName, props.stageName, s);
    } else {
      index.always.push(s);
    }
  }
  byPath.set(methodPath, index);
  return index;
}

/** Whether one settings resource covers the stage: by reference, then by stage name and API. */
function covers(
  s: PolicyResource,
  stage: PolicyResource,
  restApis: PolicyResource[],
): "yes" | "no" | "unknown" {
  const props = rawProps(s.props);
  const stageName = rawProps(stage.props).stageName;
  if (resolveReference(s, "stageName", [stage]).kind === "found") return "yes";
  if (isUnknownValue(props.stageName) || isUnknownValue(stageName)) return "unknown";
  if (props.stageName !== stageName) return "no";
  return sameRestApi(s, stage, restApis);
}

/**
 * The MethodSettings for `methodPath` that cover the stage, and whether others might.
 * Only settings that can cover the stage are examined (same stage name, a reference to the
 * stage, or an undecidable name), so a stack with many stages stays linear.
 */
export function settingsForStage(
  stage: PolicyResource,
  settings: PolicyResource[],
  restApis: PolicyResource[],
  methodPath = "*/*",
): { covering: PolicyResource[]; undecided: boolean } {
  const index = indexOf(settings, methodPath);
  const stageProps = rawProps(stage.props);
  let examine: PolicyResource[];
  if (isUnknownValue(stageProps.stageName)) {
    examine = index.candidates;
  } else {
    const picked = new Set<PolicyResource>([
      ...(index.byStage.get(stage) ?? []),
      ...index.always,
      ...(typeof stageProps.stageName === "string"
        ? (index.byName.get(stageProps.stageName) ?? [])
        : []),
      // resolveReference also matches a stageName equal to the stage's id.
      ...(typeof stageProps.id === "string" ? (index.byName.get(stageProps.id) ?? []) : []),
    ]);
    examine = index.candidates.filter((s) => picked.has(s));
  }
  const covering: PolicyResource[] = [];
  let undecided = index.anyUnknownPath;
  for (const s of examine) {
    const verdict = covers(s, stage, restApis);
    if (verdict === "yes") covering.push(s);
    else if (verdict === "unknown") undecided = true;
  }
  return { covering, undecided };
}
