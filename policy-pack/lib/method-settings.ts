/**
 * Which aws.apigateway.MethodSettings apply to a REST stage: used by the throttling (K3) and
 * execution-logging (X) policies. A settings resource covers a stage when it depends on the
 * Stage through `stageName`, or names the same stage of the same REST API.
 */
import { PolicyResource } from "@pulumi/policy";
import { addTo, inPositionOrder, rawProps, Reference, resolveReference } from "./stack-refs";
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
  /** Each candidate's place in the stack, so examined settings keep stack order. */
  position: Map<PolicyResource, number>;
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
    position: new Map(),
  };
  for (const s of settings) {
    const props = rawProps(s.props);
    if (isUnknownValue(props.methodPath)) index.anyUnknownPath = true;
    if (props.methodPath !== methodPath) continue;
    index.position.set(s, index.candidates.length);
    index.candidates.push(s);
    const deps = (s.propertyDependencies as Record<string, unknown> | undefined)?.stageName;
    if (Array.isArray(deps)) for (const d of deps) addTo(index.byStage, d as PolicyResource, s);
    if (typeof props.stageName === "string" && !isUnknownValue(props.stageName)) {
      addTo(index.byName, props.stageName, s);
    } else {
      index.always.push(s);
    }
  }
  byPath.set(methodPath, index);
  return index;
}

/** Whether one settings resource covers the stage: by reference, then by stage name and API. */
export function covers(
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
 * How a resource's `restApi` input decides `sameRestApi` against another's: the one REST API
 * it resolves to, `id:<value>` for a known id that names no API of the stack, or "?" for
 * anything else (unknown, missing, several APIs), which only covers() can decide.
 */
type ApiKey = PolicyResource | string;

function apiKeyOf(resource: PolicyResource, restApis: PolicyResource[]): ApiKey {
  const ref = restApiOf(resource, restApis);
  if (ref.kind === "found") return ref.resources.length === 1 ? ref.resources[0] : "?";
  const id = knownString(rawProps(resource.props).restApi);
  return id === undefined ? "?" : `id:${id}`;
}

/** Settings of one stage name grouped by ApiKey, and how many are keyed by an API or by an id. */
interface NameGroups {
  byKey: Map<ApiKey, PolicyResource[]>;
  keyOf: Map<PolicyResource, ApiKey>;
  byApi: number;
  byId: number;
}

const nameGroups = new WeakMap<SettingsIndex, WeakMap<PolicyResource[], Map<string, NameGroups>>>();

function groupsOf(index: SettingsIndex, name: string, restApis: PolicyResource[]): NameGroups {
  let perApis = nameGroups.get(index);
  if (!perApis) nameGroups.set(index, (perApis = new WeakMap()));
  let byName = perApis.get(restApis);
  if (!byName) perApis.set(restApis, (byName = new Map()));
  let groups = byName.get(name);
  if (groups) return groups;
  groups = { byKey: new Map(), keyOf: new Map(), byApi: 0, byId: 0 };
  for (const s of index.byName.get(name) ?? []) {
    const key = apiKeyOf(s, restApis);
    groups.keyOf.set(s, key);
    addTo(groups.byKey, key, s);
    if (typeof key !== "string") groups.byApi++;
    else if (key !== "?") groups.byId++;
  }
  byName.set(name, groups);
  return groups;
}

/**
 * The settings of the stage's name that covers() must look at, and whether the others include
 * one it would call "unknown". Against a stage whose API is known, settings of another known API
 * are "no" and settings naming only an id are "unknown"; against a stage naming only an id,
 * settings of another id are "no" and settings of a known API "unknown" (see sameRestApi). So a
 * stack of many stages of one name stays linear.
 */
function sameNameSettings(
  index: SettingsIndex,
  stage: PolicyResource,
  name: string,
  restApis: PolicyResource[],
  elsewhere: Set<PolicyResource>,
): { examine: PolicyResource[]; unknownOthers: boolean } {
  const groups = groupsOf(index, name, restApis);
  const key = apiKeyOf(stage, restApis);
  if (key === "?") return { examine: index.byName.get(name) ?? [], unknownOthers: false };
  const examine = [...(groups.byKey.get(key) ?? []), ...(groups.byKey.get("?") ?? [])];
  // The other class is "unknown" to covers(), unless covers() sees it anyway (by reference).
  const otherIsApi = typeof key === "string";
  let others = otherIsApi ? groups.byApi : groups.byId;
  for (const s of elsewhere) {
    const k = groups.keyOf.get(s);
    if (k !== undefined && k !== "?" && (typeof k === "string") !== otherIsApi) others--;
  }
  return { examine, unknownOthers: others > 0 };
}

/**
 * The MethodSettings for `methodPath` that cover the stage, and whether others might.
 * Only settings that can cover the stage are examined (a reference to the stage, an undecidable
 * name, or the same name and a REST API that may be the same), so a stack with many stages
 * stays linear.
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
  let undecided = index.anyUnknownPath;
  if (isUnknownValue(stageProps.stageName)) {
    examine = index.candidates;
  } else {
    const picked = new Set<PolicyResource>([
      ...(index.byStage.get(stage) ?? []),
      ...index.always,
      // resolveReference also matches a stageName equal to the stage's id.
      ...(typeof stageProps.id === "string" ? (index.byName.get(stageProps.id) ?? []) : []),
    ]);
    if (typeof stageProps.stageName === "string") {
      const same = sameNameSettings(index, stage, stageProps.stageName, restApis, picked);
      same.examine.forEach((s) => picked.add(s));
      undecided ||= same.unknownOthers;
    }
    examine = inPositionOrder(index.position, picked);
  }
  const covering: PolicyResource[] = [];
  for (const s of examine) {
    const verdict = covers(s, stage, restApis);
    if (verdict === "yes") covering.push(s);
    else if (verdict === "unknown") undecided = true;
  }
  return { covering, undecided };
}
