/**
 * The pack's check of exemption declarations (`sec1:policy:Exemption` resources): a declaration
 * that names no policy of the pack, no resource of the stack, that is malformed, that aims at a
 * resource policy (which cannot see it), or that matches no finding. Problems found where a
 * finding was matched (expired, forbidden by the org) are reported there, by lib/exempting.ts,
 * under this policy's name.
 */
import { Policies, Policy, ReportViolation, StackValidationPolicy } from "@pulumi/policy";
import {
  DECLARATIONS_POLICY,
  Declaration,
  EXEMPTION_TYPE,
  TAG_PREFIX,
  readDeclaration,
  urnParts,
} from "../lib/exemptions";
import { seesDeclarationsOn } from "../lib/resource-as-stack";
import { takeConsidered } from "../lib/exempting";
import { sec1Metadata } from "../lib/metadata";
import { validateStackWith } from "../lib/typed-validation";
import { isUnknownValue } from "../lib/values";

/** What is wrong with a declaration before looking for its finding, or undefined. */
function problemOf(
  d: Declaration,
  policies: Map<string, Policy>,
  urns: Set<string>,
  wasConsidered: boolean,
): string | undefined {
  const target = policies.get(typeof d.policy === "string" ? d.policy : "");
  if (!target) {
    return `policy must name a policy of this pack (got ${JSON.stringify(d.policy) ?? "nothing"})`;
  }
  if (typeof d.target !== "string" || !d.target.startsWith("urn:pulumi:")) {
    return `target must be the URN of the resource the finding is on (got ${JSON.stringify(d.target) ?? "nothing"})`;
  }
  if (!urns.has(d.target)) return `target ${d.target} is not a resource of this stack`;
  if ("problem" in d.parsed && !wasConsidered) return d.parsed.problem;
  if (!seesDeclarationsOn(target, urnParts(d.target)?.type ?? "")) {
    return `${target.name} checks one resource at a time (Analyze), where declaration resources are not visible, so this declaration cannot exempt it; on a resource with tags set the tag ${TAG_PREFIX}${target.name}, otherwise ask the org to list the resource in the exemptions of ${target.name}`;
  }
  return undefined;
}

function check(
  declarations: Declaration[],
  policies: Map<string, Policy>,
  urns: Set<string>,
  report: ReportViolation,
): void {
  const considered = takeConsidered();
  for (const d of declarations) {
    if (isUnknownValue(d.target) || isUnknownValue(d.policy)) continue;
    const problem = problemOf(d, policies, urns, considered.has(d.urn));
    if (problem) {
      report(`Exemption declaration '${d.name}': ${problem}.`, d.urn);
    } else if (!considered.has(d.urn)) {
      const message = `Exemption declaration '${d.name}' matches no finding: ${String(d.policy)} reports nothing on ${String(d.target)}; remove the declaration.`;
      (report as unknown as (info: object) => void)({
        message: `${declarationsPolicyDescription}\n${message}`,
        enforcementLevel: "advisory",
        urn: d.urn,
      });
    }
  }
}

const declarationsPolicyDescription =
  "Exemptions must carry a reason and name a finding that exists; the org decides which count.";

/** The declarations policy for a pack of `policies` (already wrapped by withExemptions). */
export function exemptionDeclarations(policies: Policies): StackValidationPolicy {
  const byName = new Map(policies.map((p) => [p.name, p]));
  return {
    name: DECLARATIONS_POLICY,
    description: declarationsPolicyDescription,
    enforcementLevel: "advisory",
    ...sec1Metadata(
      "X",
      "low",
      "Give each sec1:policy:Exemption a policy of this pack, the target's URN and a reason of at least 10 characters (until YYYY-MM-DD and ticket optional); remove declarations that match no finding; renew or remove expired ones.",
      "https://www.pulumi.com/docs/iac/using-pulumi/crossguard/core-concepts/",
      ["exemptions"],
    ),
    validateStack: validateStackWith(EXEMPTION_TYPE, (args, report) => {
      const declarations = args.resources
        .filter((r) => r.type === EXEMPTION_TYPE)
        .map(readDeclaration);
      const urns = new Set(args.resources.map((r) => r.urn));
      check(declarations, byName, urns, report);
    }),
  };
}
