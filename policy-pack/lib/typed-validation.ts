/**
 * One resource validation for several resource types. The SDK accepts an array of
 * `validateResourceOfType` functions, but then records a "not applicable" entry for every
 * member that does not match; this runs only the member whose type matches.
 */
import { ResourceValidation } from "@pulumi/policy";

/** A validation that dispatches to the `validateResourceOfType(...)` member for the type. */
export function validateEachType(...validations: ResourceValidation[]): ResourceValidation {
  const types = validations.map((v) => (v as { __pulumiType?: unknown }).__pulumiType);
  return (args, reportViolation) => {
    const index = types.indexOf(args.type);
    if (index >= 0) return validations[index](args, reportViolation);
    return args.notApplicable(
      `Policy only applies to resources of type ${types.map((t) => `'${String(t)}'`).join(", ")}`,
    );
  };
}
