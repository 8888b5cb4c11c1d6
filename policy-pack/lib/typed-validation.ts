/**
 * One resource validation for several resource types.
 *
 * The analyzer server skips a policy cheaply only when `validateResource` is ONE function tagged
 * with one type (what `validateResourceOfType` returns). For an array it runs every member for
 * every resource, deserializing the props each time and recording a "not applicable" entry per
 * member that does not match. `validateEachType` instead dispatches on the type token in one call
 * and runs only the member for the resource's type; every other resource is reported not
 * applicable once, as the server would for a single-type policy.
 */
import { ResourceValidation, ResourceValidationArgs, StackValidation } from "@pulumi/policy";

/**
 * Calls `args.notApplicable(reason)` without paying for a stack trace: the server throws its own
 * error class from it, catches it again and reads only the reason. With several multi-type
 * policies over thousands of resources, capturing those traces was the costliest part of our
 * share of Analyze.
 */
export function notApplicableQuietly(args: ResourceValidationArgs, reason: string): void {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    args.notApplicable(reason);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** "aws:iam/rolePolicy:RolePolicy" → "aws:iam RolePolicy". */
function shortType(type: string): string {
  const slash = type.indexOf("/");
  const colon = type.lastIndexOf(":");
  return slash > 0 && colon > slash ? `${type.slice(0, slash)} ${type.slice(colon + 1)}` : type;
}

/** A validation that dispatches to the `validateResourceOfType(...)` member for the type. */
export function validateEachType(...validations: ResourceValidation[]): ResourceValidation {
  const byType = new Map<string, ResourceValidation>();
  for (const v of validations) {
    const type = (v as { __pulumiType?: unknown }).__pulumiType;
    if (typeof type !== "string" || type === "") {
      throw new Error("validateEachType takes validateResourceOfType(...) functions only");
    }
    byType.set(type, v);
  }
  // Short: the server sends one such entry per resource and policy back to the CLI.
  const reason = `Policy only applies to ${[...byType.keys()].map(shortType).join(", ")}`;
  const dispatch: ResourceValidation = (args, reportViolation) => {
    const validation = byType.get(args.type);
    if (validation) return validation(args, reportViolation);
    notApplicableQuietly(args, reason);
  };
  (dispatch as { __sec1Types?: string[] }).__sec1Types = [...byType.keys()];
  return dispatch;
}

/**
 * The resource types a validation checks: its `validateResourceOfType` tag, the members of a
 * `validateEachType`, or undefined when it may check any type.
 */
export function typesOfValidation(validation: ResourceValidation): string[] | undefined {
  const tagged = validation as { __pulumiType?: unknown; __sec1Types?: unknown };
  if (Array.isArray(tagged.__sec1Types)) return tagged.__sec1Types as string[];
  return typeof tagged.__pulumiType === "string" && tagged.__pulumiType !== ""
    ? [tagged.__pulumiType]
    : undefined;
}

/**
 * False when `validation` does not check `type` (it only reports it not applicable): a wrapper
 * can then hand the call straight on, without preparing for findings that cannot come.
 */
export function mayApply(validation: ResourceValidation, type: string): boolean {
  const types = typesOfValidation(validation);
  return types === undefined || types.includes(type);
}

/**
 * A stack validation the analyzer server skips, before deserializing the stack, when the stack
 * holds no resource of `type` (the server reads the same `__pulumiType` tag that
 * `validateStackResourcesOfType` sets). Unlike that helper, the validation still receives every
 * resource: the access model follows references across the whole stack.
 */
export function validateStackWith(type: string, validate: StackValidation): StackValidation {
  const fn: StackValidation = (args, report) => validate(args, report);
  (fn as { __pulumiType?: string }).__pulumiType = type;
  return fn;
}
