/**
 * Runs one policy's validate function the way the SDK's analyzer server does
 * (node_modules/@pulumi/policy/server.js, makeAnalyzeRpcFun / makeAnalyzeStackRpcFun), without
 * starting a server:
 * - a policy whose config sets `enforcementLevel: "disabled"` does not run at all;
 * - Analyze: a `validateResource` that is ONE function tagged with a type (validateResourceOfType)
 *   and does not match the resource is not called and counts as one not-applicable entry; every
 *   other function, and EVERY member of an array, is called, each with its own deserialized
 *   props. Each member that calls `notApplicable(reason)` adds an entry (the server keeps them
 *   all, even when another member applied), each member that touches an unknown value adds a
 *   "can't run policy during preview" advisory, and the next member still runs;
 * - AnalyzeStack: a `validateStack` tagged with a type (validateStackResourcesOfType) is skipped
 *   as not applicable when the stack has no resource of that type;
 * - props are deep-copied (the server deserializes them from protobuf: no `undefined` keys) and
 *   wrapped in the SDK's own unknown-checking proxy, so touching an unknown value throws the
 *   SDK's UnknownValueError exactly as in a real preview (reported here in `previewErrors`);
 * - `getConfig()` returns the policy's config without `enforcementLevel` ({} when none), like the
 *   server after `Configure`; config keys are checked against the policy's `configSchema`, so a
 *   misspelled key in a test fails instead of silently testing the defaults;
 * - stack resources get `parent`, `dependencies` and `propertyDependencies` as resource objects,
 *   resolved from URNs like the server does.
 * Any other exception propagates: a policy that throws is a bug the test must see (the server
 * fails the whole Analyze call with it).
 */
import * as assert from "node:assert";
import {
  Policy,
  PolicyResourceOptions,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";

// The SDK's proxy module is internal (its .d.ts is empty); these are the two exports we use.
const sdkProxy = require("@pulumi/policy/proxy") as {
  unknownCheckingProxy<T extends object>(value: T): T;
  UnknownValueError: new (...args: unknown[]) => Error;
};

/** The engine's unknown sentinel: the value of any input not known during preview. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** The stack and project names used in test URNs. */
export const TEST_STACK = "dev";
export const TEST_PROJECT = "sec1-api-platform";

/** A URN for a top-level resource of the test stack. */
export function urnOf(type: string, name: string): string {
  return `urn:pulumi:${TEST_STACK}::${TEST_PROJECT}::${type}::${name}`;
}

/** One violation reported by a policy. */
export interface ReportedViolation {
  message: string;
  /** The URN passed to reportViolation (stack policies), if any. */
  urn?: string;
  /**
   * Set when the policy used the object form the server also takes (`{ message, urn, name,
   * enforcementLevel }`; the exemption wrapper does): its level and policy name, if given.
   * The object form's message is the whole text (the server adds no description to it).
   */
  level?: string;
  policy?: string;
}

/** What a run of one policy produced. */
export interface PolicyRun {
  violations: ReportedViolation[];
  /** One not-applicable reason per skipped or not-applicable validation, as the server lists them. */
  notApplicable: string[];
  /** One message per validation that touched an unknown value (the server's preview advisory). */
  previewErrors: string[];
}

/** No violation and no "can't run during preview" advisory. */
export function assertSilent(run: PolicyRun): void {
  assert.deepStrictEqual(messagesOf(run), []);
  assert.deepStrictEqual(run.previewErrors, []);
}

/** Exactly one violation, matching `pattern`. */
export function assertOne(run: PolicyRun, pattern: RegExp): void {
  const messages = messagesOf(run);
  assert.strictEqual(messages.length, 1, `expected one violation, got ${JSON.stringify(messages)}`);
  assert.match(messages[0], pattern);
}

/** A policy's config as a user would set it (without enforcementLevel). */
export type PolicyConfig = Record<string, unknown>;

/** The messages of a run's violations, in order. */
export function messagesOf(run: PolicyRun): string[] {
  return run.violations.map((v) => v.message);
}

const DEFAULT_OPTS: PolicyResourceOptions = {
  protect: false,
  ignoreChanges: [],
  aliases: [],
  customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
  additionalSecretOutputs: [],
};

/** What `args.notApplicable(reason)` throws here (the server throws its own, alike). */
export class NotApplicable extends Error {
  constructor(public readonly reason: string) {
    super(reason);
  }
}

/** True for the SDK's error for an unknown value touched through the props proxy. */
export function isUnknownValueError(e: unknown): boolean {
  return e instanceof sdkProxy.UnknownValueError;
}

/** Wraps plain props in the SDK's unknown-checking proxy, as the server hands them over. */
export function proxied(props: Record<string, unknown>): Record<string, unknown> {
  return sdkProxy.unknownCheckingProxy(copyProps(props));
}

function disabled(config: PolicyConfig): boolean {
  return config.enforcementLevel === "disabled";
}

function copyProps(props: Record<string, unknown>): Record<string, unknown> {
  // Like protobuf deserialization: plain data, no undefined keys, no shared references.
  return JSON.parse(JSON.stringify(props ?? {})) as Record<string, unknown>;
}

function checkConfig(policy: Policy, config: PolicyConfig): void {
  const known = Object.keys(policy.configSchema?.properties ?? {});
  const unknown = Object.keys(config).filter((k) => k !== "enforcementLevel" && !known.includes(k));
  if (unknown.length > 0) {
    throw new Error(
      `policy ${policy.name} has no config key(s) ${unknown.join(", ")}; its schema has: ${known.join(", ") || "(none)"}`,
    );
  }
}

function makeGetConfig(config: PolicyConfig): <T extends object>() => T {
  return <T extends object>() => {
    // eslint-disable-next-line @typescript-eslint/no-unused-vars
    const { enforcementLevel, ...rest } = JSON.parse(JSON.stringify(config)) as PolicyConfig;
    return rest as T;
  };
}

function throwNotApplicable(reason?: string): never {
  throw new NotApplicable(reason ?? "");
}

async function capture(
  run: PolicyRun,
  body: (report: ReportViolation) => Promise<void> | void,
): Promise<PolicyRun> {
  const report: ReportViolation = (message: string, urn?: string) => {
    if (message !== null && typeof message === "object") {
      const info = message as { message?: string; urn?: string; name?: string };
      const level = (message as { enforcementLevel?: string }).enforcementLevel;
      run.violations.push({
        message: String(info.message ?? ""),
        ...(info.urn !== undefined ? { urn: info.urn } : {}),
        ...(level !== undefined ? { level } : {}),
        ...(info.name !== undefined ? { policy: info.name } : {}),
      });
      return;
    }
    run.violations.push(urn === undefined ? { message } : { message, urn });
  };
  try {
    await body(report);
  } catch (e) {
    if (e instanceof NotApplicable) run.notApplicable.push(e.reason);
    else if (e instanceof sdkProxy.UnknownValueError) run.previewErrors.push((e as Error).message);
    else throw e;
  }
  return run;
}

/** A resource handed to a resource policy. */
export interface ResourceInput {
  /** The type token, e.g. "aws:apigateway/restApi:RestApi". */
  type: string;
  /** The resource's inputs. */
  props: Record<string, unknown>;
  /** The logical name (default "test-resource"). */
  name?: string;
  /** The URN (default derived from type and name). */
  urn?: string;
}

/**
 * Runs the validateResource function(s) of `policy` over one resource, as the server's Analyze
 * does (including the fast type filter for one validateResourceOfType function).
 */
export async function runResourcePolicy(
  policy: ResourceValidationPolicy,
  resource: ResourceInput,
  config: PolicyConfig = {},
): Promise<PolicyRun> {
  checkConfig(policy, config);
  const run: PolicyRun = { violations: [], notApplicable: [], previewErrors: [] };
  if (disabled(config)) return run;
  const validateResource = policy.validateResource;
  if (!validateResource) {
    run.notApplicable.push("Policy does not implement validateResource");
    return run;
  }
  if (!Array.isArray(validateResource)) {
    const pulumiType = (validateResource as { __pulumiType?: unknown }).__pulumiType;
    if (typeof pulumiType === "string" && pulumiType !== "" && pulumiType !== resource.type) {
      run.notApplicable.push(`Policy only applies to resources of type '${pulumiType}'`);
      return run;
    }
  }
  const validations = Array.isArray(validateResource) ? validateResource : [validateResource];
  for (const validation of validations) {
    const args = resourceArgs(resource, config);
    // Like the server: each validation of an array runs, whatever the previous one did.
    await capture(run, (report) => validation(args, report));
  }
  return run;
}

/** The args the server builds for one validation call (fresh props each time, as it does). */
export function resourceArgs(
  resource: ResourceInput,
  config: PolicyConfig = {},
): ResourceValidationArgs {
  const name = resource.name ?? "test-resource";
  const props = proxied(resource.props);
  return {
    type: resource.type,
    props,
    urn: resource.urn ?? urnOf(resource.type, name),
    name,
    opts: { ...DEFAULT_OPTS },
    stackTags: new Map<string, string>(),
    isType: (cls) => isTypeOf(resource.type, cls),
    asType: ((cls: unknown) => (isTypeOf(resource.type, cls) ? props : undefined)) as never,
    getConfig: makeGetConfig(config),
    notApplicable: throwNotApplicable,
  };
}

/** A resource of a stack handed to a stack policy. */
export interface StackResourceInput extends ResourceInput {
  /** The parent's URN. */
  parent?: string;
  /** URNs this resource depends on (includes dependsOn). */
  dependencies?: string[];
  /** Property name → URNs of the resources that input came from. */
  propertyDependencies?: Record<string, string[]>;
}

/** A resource as a stack policy sees it. */
export type PolicyResourceLike = StackValidationArgs["resources"][number];

/** Runs a stack policy over `resources`, as the server's AnalyzeStack does. */
export async function runStackPolicy(
  policy: StackValidationPolicy,
  resources: StackResourceInput[],
  config: PolicyConfig = {},
): Promise<PolicyRun> {
  checkConfig(policy, config);
  const run: PolicyRun = { violations: [], notApplicable: [], previewErrors: [] };
  if (disabled(config)) return run;
  const pulumiType = (policy.validateStack as { __pulumiType?: unknown }).__pulumiType;
  if (typeof pulumiType === "string" && pulumiType !== "") {
    if (!resources.some((r) => r.type === pulumiType)) {
      run.notApplicable.push(`Policy only applies to resources of type '${pulumiType}'`);
      return run;
    }
  }
  const args: StackValidationArgs = {
    resources: stackResources(resources),
    getConfig: makeGetConfig(config),
    stackTags: new Map<string, string>(),
    notApplicable: throwNotApplicable,
  };
  return capture(run, (report) => policy.validateStack(args, report));
}

/**
 * Deserialized copies of props, per props object: the server deserializes a stack once per
 * stack policy, and tests run many policies over stacks that share most of their resources
 * (one changed property per variant). Policies never write to props (the SDK's proxy is
 * read-only in effect), so one copy per props object gives the same results for far less work.
 */
const stackCopies = new WeakMap<object, Record<string, unknown>>();

function stackCopy(props: Record<string, unknown>): Record<string, unknown> {
  if (props === null || typeof props !== "object") return copyProps(props);
  let copy = stackCopies.get(props);
  if (!copy) {
    copy = copyProps(props);
    stackCopies.set(props, copy);
  }
  return copy;
}

/** The resources the server hands a stack policy: proxied props, references resolved from URNs. */
export function stackResources(resources: StackResourceInput[]): PolicyResourceLike[] {
  const built = resources.map((r, i) => {
    const name = r.name ?? `test-resource-${i}`;
    const props = sdkProxy.unknownCheckingProxy(stackCopy(r.props));
    const resource = {
      type: r.type,
      props,
      urn: r.urn ?? urnOf(r.type, name),
      name,
      opts: { ...DEFAULT_OPTS, ...(r.parent ? { parent: r.parent } : {}) },
      dependencies: [] as PolicyResourceLike[],
      propertyDependencies: {} as Record<string, PolicyResourceLike[]>,
      isType: (cls: unknown) => isTypeOf(r.type, cls),
      asType: (cls: unknown) => (isTypeOf(r.type, cls) ? props : undefined),
    } as unknown as PolicyResourceLike;
    return { input: r, resource };
  });
  const byUrn = new Map(built.map((b) => [b.resource.urn, b.resource]));
  const resolve = (urns: string[] = []) =>
    urns.map((u) => byUrn.get(u)).filter((x): x is PolicyResourceLike => x !== undefined);
  for (const { input, resource } of built) {
    const mutable = resource as {
      parent?: PolicyResourceLike;
      dependencies: PolicyResourceLike[];
      propertyDependencies: Record<string, PolicyResourceLike[]>;
    };
    if (input.parent && byUrn.has(input.parent)) mutable.parent = byUrn.get(input.parent);
    mutable.dependencies = resolve(input.dependencies);
    for (const [k, urns] of Object.entries(input.propertyDependencies ?? {})) {
      mutable.propertyDependencies[k] = resolve(urns);
    }
  }
  return built.map((b) => b.resource);
}

/** The server's isTypeOf: the class's type token, else its isInstance. */
export function isTypeOf(type: string, cls: unknown): boolean {
  const c = cls as { __pulumiType?: unknown; isInstance?: (o: unknown) => boolean };
  if (typeof c?.__pulumiType === "string") return c.__pulumiType === type;
  return typeof c?.isInstance === "function" && c.isInstance({ __pulumiType: type }) === true;
}
