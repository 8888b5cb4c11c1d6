/**
 * One pass over a stack's resources that every later lookup uses: resources by type, and by every
 * value another resource may use to name them (id, ARN, name, a REST API's root resource id).
 * Following a reference is then a map lookup, so the access model stays linear in the stack.
 */
import { PolicyResource } from "@pulumi/policy";
import { rawProps } from "./stack-refs";
import { hasUnknown } from "./values";

/** A reference followed: the resources found, or "unknown" (a value not known yet). */
export type Ref = PolicyResource[] | "unknown";

/** The stack, indexed. Built by `indexStack`. */
export interface StackIndex {
  resources: PolicyResource[];
  ofType(type: string): PolicyResource[];
  /** Resources of `types` whose id, arn, name or root resource id is `value`. */
  byValue(value: string, types: readonly string[]): PolicyResource[];
  /** True when some resource of `type` has no known id or ARN (so a miss proves nothing). */
  hasUnnamed(type: string): boolean;
  /**
   * The resources of `types` that `prop` of `from` refers to: by property dependency first (set
   * whenever the value came from another resource's output, so this works in preview), then by
   * the value. A value that is unknown, or that names nothing while some candidate is unnamed,
   * is "unknown"; a value that is absent is [].
   */
  ref(from: PolicyResource, prop: string, types: readonly string[]): Ref;
}

const KEYS = ["id", "arn", "name", "rootResourceId", "invokeArn", "executionArn"];

/** Indexes `resources` (tolerates a malformed list: anything that is not a resource is skipped). */
export function indexStack(resources: unknown): StackIndex {
  const list: PolicyResource[] = Array.isArray(resources)
    ? resources.filter((r): r is PolicyResource => r !== null && typeof r === "object")
    : [];
  const byType = new Map<string, PolicyResource[]>();
  const byValue = new Map<string, PolicyResource[]>();
  const unnamed = new Set<string>();
  for (const r of list) {
    if (typeof r.type !== "string") continue;
    const same = byType.get(r.type);
    if (same) same.push(r);
    else byType.set(r.type, [r]);
    const props = rawProps(r.props);
    let named = false;
    for (const k of KEYS) {
      const v = props[k];
      if (typeof v !== "string" || v === "" || hasUnknown(v)) continue;
      if (k === "id" || k === "arn") named = true;
      const at = byValue.get(v);
      if (at) at.push(r);
      else byValue.set(v, [r]);
    }
    if (!named) unnamed.add(r.type);
  }
  const index: StackIndex = {
    resources: list,
    ofType: (type) => byType.get(type) ?? [],
    byValue: (value, types) => (byValue.get(value) ?? []).filter((r) => types.includes(r.type)),
    hasUnnamed: (type) => unnamed.has(type),
    ref(from, prop, types) {
      const deps = (from.propertyDependencies as Record<string, unknown> | undefined)?.[prop];
      if (Array.isArray(deps)) {
        const found = (deps as PolicyResource[]).filter((d) => d && types.includes(d.type));
        if (found.length > 0) return found;
      }
      const value = rawProps(from.props)[prop];
      if (value === undefined || value === null || value === "") return [];
      if (typeof value !== "string" || hasUnknown(value)) return "unknown";
      const found = index.byValue(value, types);
      if (found.length > 0) return found;
      return types.some((t) => unnamed.has(t)) ? "unknown" : [];
    },
  };
  return index;
}
