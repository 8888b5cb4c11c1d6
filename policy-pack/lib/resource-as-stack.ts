/**
 * Resource policies on types without tags, run as stack policies so that exemption declarations
 * (`sec1:policy:Exemption` resources, which only AnalyzeStack sees) can accept their findings.
 *
 * `asStackPolicy(policy)` leaves a policy alone unless it is a resource policy that checks some
 * type without a `tags` input. It then returns the same policy with a stack validation running
 * the original `validateResource` over each resource of those types, with ResourceValidationArgs
 * built from that stack resource; tagged with the type (`validateStackWith`) when there is one,
 * so the server skips it on stacks without it. Its types with tags stay in Analyze.
 *
 * AnalyzeStack hands over a resource's outputs where Analyze hands over its inputs. The policies
 * converted here read only input properties that the AWS provider also returns as outputs
 * (policy-pack/test/resource-as-stack.test.ts lists them); docs/exemptions.md says so.
 */
import {
  Policy,
  PolicyResource,
  ReportViolation,
  ResourceValidation,
  ResourceValidationArgs,
  StackValidation,
  StackValidationArgs,
} from "@pulumi/policy";
import { notApplicableQuietly, typesOfValidation, validateStackWith } from "./typed-validation";

/**
 * The types the pack's resource policies check that have no `tags` input in @pulumi/aws 7.48
 * (policy-pack/test/resource-as-stack.test.ts checks this against the provider's types).
 */
export const TYPES_WITHOUT_TAGS: ReadonlySet<string> = new Set([
  "aws:apigateway/authorizer:Authorizer",
  "aws:apigateway/method:Method",
  "aws:apigatewayv2/authorizer:Authorizer",
  "aws:apigatewayv2/route:Route",
  "aws:appsync/apiKey:ApiKey",
  "aws:cognito/identityProvider:IdentityProvider",
  "aws:iam/groupPolicy:GroupPolicy",
  "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
  "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive",
  "aws:iam/policyAttachment:PolicyAttachment",
  "aws:iam/rolePolicy:RolePolicy",
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
  "aws:iam/userPolicy:UserPolicy",
  "aws:iam/userPolicyAttachment:UserPolicyAttachment",
  "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive",
  "aws:lambda/functionUrl:FunctionUrl",
  "aws:lambda/permission:Permission",
]);

/** One member of a resource policy's validateResource, with the types it checks. */
interface TypedValidation {
  types: ReadonlySet<string>;
  validate: ResourceValidation;
}

function validationsOf(policy: Policy): TypedValidation[] | undefined {
  const p = policy as { validateResource?: ResourceValidation | ResourceValidation[] };
  if (!p.validateResource || (policy as { validateStack?: unknown }).validateStack) return;
  const members = Array.isArray(p.validateResource) ? p.validateResource : [p.validateResource];
  const typed: TypedValidation[] = [];
  for (const validate of members) {
    const types = typesOfValidation(validate);
    // A validation of any type cannot be narrowed to resources of some types: leave it be.
    if (!types) return undefined;
    typed.push({ types: new Set(types), validate });
  }
  return typed;
}

/** The types without tags a resource policy checks (undefined when there are none). */
export function untaggedTypesOf(policy: Policy): string[] | undefined {
  const types = new Set(validationsOf(policy)?.flatMap((v) => [...v.types]) ?? []);
  const untagged = [...types].filter((t) => TYPES_WITHOUT_TAGS.has(t));
  return untagged.length > 0 ? untagged : undefined;
}

/**
 * `validate` for `types` only, tagged so the server and the wrapper know them (one type: the
 * server's own tag, which lets it skip the call).
 */
function restrictedTo(validate: ResourceValidation, types: string[]): ResourceValidation {
  const allowed = new Set(types);
  const reason = `Policy only applies in Analyze to ${types.join(", ")}`;
  const restricted: ResourceValidation = (args, report) =>
    allowed.has(args.type) ? validate(args, report) : notApplicableQuietly(args, reason);
  const tag = restricted as { __pulumiType?: string; __sec1Types?: string[] };
  if (types.length === 1) tag.__pulumiType = types[0];
  else tag.__sec1Types = types;
  return restricted;
}

/**
 * True when a (converted) policy's findings on resources of `type` come from AnalyzeStack, where
 * declaration resources are visible.
 */
export function seesDeclarationsOn(policy: Policy, type: string): boolean {
  const p = policy as { validateResource?: ResourceValidation; validateStack?: unknown };
  if (p.validateStack === undefined) return false;
  if (p.validateResource === undefined) return true;
  const members = Array.isArray(p.validateResource) ? p.validateResource : [p.validateResource];
  return !members.some((v: ResourceValidation) => typesOfValidation(v)?.includes(type) ?? true);
}

/** Thrown by a converted validation's `notApplicable`: skips that one resource. */
class SkipResource extends Error {}

function skipResource(): never {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    throw new SkipResource();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** What Analyze would have handed the policy for this resource, from the stack's copy of it. */
function resourceArgs(r: PolicyResource, stack: StackValidationArgs): ResourceValidationArgs {
  const args: ResourceValidationArgs = {
    type: r.type,
    props: r.props,
    urn: r.urn,
    name: r.name,
    opts: r.opts,
    isType: r.isType,
    // Both return the props; the SDK types a stack resource's as outputs, a resource's as inputs.
    asType: r.asType as unknown as ResourceValidationArgs["asType"],
    getConfig: stack.getConfig,
    stackTags: stack.stackTags,
    notApplicable: skipResource,
  };
  if (r.provider) args.provider = r.provider;
  return args;
}

/** The SDK's proxy error for an unknown value read during preview (duck-typed: one SDK copy). */
function isUnknownValueError(e: unknown): e is Error {
  const u = e as { unknownTypeSentinel?: unknown; props?: unknown } | null;
  return e instanceof Error && u?.unknownTypeSentinel !== undefined && Array.isArray(u?.props);
}

/**
 * Runs one validation on one resource as Analyze would: a finding without a URN is on that
 * resource; `notApplicable` skips it; an unknown value read during preview becomes the advisory
 * the server would have sent, for that resource only, instead of ending the whole stack run.
 */
async function runOn(
  policy: Policy,
  validate: ResourceValidation,
  args: ResourceValidationArgs,
  report: ReportViolation,
): Promise<void> {
  const onResource: ReportViolation = (message, urn) => report(message, urn ?? args.urn);
  try {
    await validate(args, onResource);
  } catch (e) {
    if (e instanceof SkipResource) return;
    if (!isUnknownValueError(e)) throw e;
    const message = `can't run policy '${policy.name}' on '${args.name}' during preview: ${e.message}`;
    (report as unknown as (info: object) => void)({
      message,
      enforcementLevel: "advisory",
      urn: args.urn,
    });
  }
}

function overResources(policy: Policy, validations: TypedValidation[]): StackValidation {
  return async (args, report) => {
    for (const r of args.resources) {
      for (const { types, validate } of validations) {
        if (types.has(r.type)) await runOn(policy, validate, resourceArgs(r, args), report);
      }
    }
  };
}

/**
 * The policy with its checks of types without tags run as a stack policy (see the module
 * comment); its checks of types with tags stay in Analyze, on inputs: there a tag exempts, and
 * outputs may differ (a role's outputs list the inline policies of separate RolePolicy resources).
 * Any other policy is returned unchanged.
 */
export function asStackPolicy(policy: Policy): Policy {
  const validations = validationsOf(policy);
  const untagged = untaggedTypesOf(policy);
  if (!validations || !untagged) return policy;
  const inStack = validations
    .map((v) => ({ ...v, types: new Set([...v.types].filter((t) => TYPES_WITHOUT_TAGS.has(t))) }))
    .filter((v) => v.types.size > 0);
  const validate = overResources(policy, inStack);
  // One type: skipped on stacks without it. Several: the server's tag names one type only.
  const validateStack = untagged.length === 1 ? validateStackWith(untagged[0], validate) : validate;
  const inAnalyze = validations
    .map((v) =>
      restrictedTo(
        v.validate,
        [...v.types].filter((t) => !TYPES_WITHOUT_TAGS.has(t)),
      ),
    )
    .filter((v) => (typesOfValidation(v) ?? []).length > 0);
  const converted: Record<string, unknown> = { ...policy, validateStack };
  if (inAnalyze.length === 0) delete converted.validateResource;
  else converted.validateResource = inAnalyze.length === 1 ? inAnalyze[0] : inAnalyze;
  return converted as unknown as Policy;
}
