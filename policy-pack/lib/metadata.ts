import { Policy, PolicyComplianceFramework, Severity } from "@pulumi/policy";

/** The framework every policy of this pack belongs to. */
export const FRAMEWORK: PolicyComplianceFramework = {
  name: "AWS Well-Architected Serverless Lens",
  version: "2024",
  reference: "SEC1",
  specification: "How do you control access to your serverless API?",
};

/** The practices of SEC1 this pack groups its policies by. */
export type Practice = "A" | "K" | "E" | "I" | "X";

const PRACTICE_TAGS: Record<Practice, string> = {
  A: "authentication",
  K: "api-keys",
  E: "endpoints",
  I: "least-privilege",
  X: "observability",
};

/**
 * The metadata every policy carries: severity, the SEC1 framework, tags, remediation steps and
 * a link to the AWS documentation for the fix.
 */
export function sec1Metadata(
  practice: Practice,
  severity: Severity,
  remediationSteps: string,
  url: string,
  extraTags: string[] = [],
): Pick<Policy, "severity" | "framework" | "tags" | "remediationSteps" | "url"> {
  return {
    severity,
    framework: FRAMEWORK,
    tags: ["SEC1", `SEC1-${practice}`, PRACTICE_TAGS[practice], ...extraTags],
    remediationSteps,
    url,
  };
}
