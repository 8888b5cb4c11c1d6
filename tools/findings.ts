/**
 * What a policy pack said about a stack, as the offline tools report it: each diagnostic with
 * the policy's metadata from GetAnalyzerInfo (severity, remediation, URL), the resource it is
 * about (type and name, as the CLI names it) and, for a finding an exemption accepted, the
 * exemption's justification.
 *
 * The exemption contract: the pack still reports an exempted finding, at the advisory level,
 * with a message whose first line is `exempted: <reason>[, until <date>][, <ticket>]` and whose
 * other lines are the original message. Tools list it as exempted, at the policy's configured
 * level, and never count it toward a failure.
 */
import { Diagnostic, EnforcementLevel, PackInfo, PolicyConfig, Severity } from "./analyzer-client";
import { resolvePolicyConfig } from "./analyzer-client";
import { parseUrn } from "./stack-export";

/** The first line of an exempted finding's message. */
export const EXEMPTED_LINE = /^exempted: (.*)$/;

/** One finding, ready for every report. */
export interface Finding {
  policy: string;
  /** The reported level; for an exempted finding, the level the policy is configured at. */
  level: EnforcementLevel;
  severity: Severity;
  /** The resource it is about, or null for a stack-wide finding. */
  urn: string | null;
  /** The resource's type and name (the root stack's for a stack-wide finding). */
  type: string;
  name: string;
  /** The message; for an exempted finding, without its `exempted:` line. */
  message: string;
  /** The policy's description. */
  description: string;
  /** The policy's remediationSteps. */
  remediation: string;
  url: string;
  exempted: boolean;
  exemption: { justification: string } | null;
}

/** Whether a finding fails the run: mandatory and not exempted. */
export const isBlocking = (f: Pick<Finding, "level" | "exempted">): boolean =>
  f.level === "mandatory" && !f.exempted;

/**
 * Findings from a pack's diagnostics. `rootUrn` names a stack-wide finding's resource (the
 * stack), `policyConfig` is what the pack was configured with (for an exempted finding's level).
 */
export function toFindings(
  diagnostics: Diagnostic[],
  info: PackInfo,
  ctx: { rootUrn: string; policyConfig?: Record<string, PolicyConfig> },
): Finding[] {
  const policies = new Map(info.policies.map((p) => [p.name, p]));
  let configured: Record<string, { enforcementLevel: EnforcementLevel }> = {};
  try {
    configured = resolvePolicyConfig(info, ctx.policyConfig);
  } catch {
    // The pack accepted the config already; a name it rejects cannot reach here.
  }
  return diagnostics.map((d) => {
    const policy = policies.get(d.policy);
    const [first, ...rest] = d.message.split("\n");
    const exemption = EXEMPTED_LINE.exec(first);
    const about = parseUrn(d.urn ?? ctx.rootUrn);
    return {
      policy: d.policy,
      level: exemption
        ? (configured[d.policy]?.enforcementLevel ?? policy?.enforcementLevel ?? d.level)
        : d.level,
      severity: d.severity || policy?.severity || "",
      urn: d.urn,
      type: about?.type ?? "",
      name: about?.name ?? "",
      message: exemption ? rest.join("\n") : d.message,
      description: policy?.description ?? d.description,
      remediation: policy?.remediationSteps ?? "",
      url: policy?.url ?? "",
      exempted: exemption !== null,
      exemption: exemption ? { justification: exemption[1] } : null,
    };
  });
}

/** Counts for a summary line. */
export function countFindings(findings: Finding[]): {
  mandatory: number;
  advisory: number;
  exempted: number;
} {
  const mandatory = findings.filter(isBlocking).length;
  const exempted = findings.filter((f) => f.exempted).length;
  return { mandatory, exempted, advisory: findings.length - mandatory - exempted };
}

/**
 * The CLI's "Policies:" block for one pack: a header with the pack's name@version, then each
 * finding as `- [level]  policy  (type: name)` with its message indented under it, mandatory
 * first; exempted findings under their own "Exempted" heading with their justification.
 */
export function renderPolicies(pack: { name: string; version: string }, findings: Finding[]) {
  const { mandatory, advisory, exempted } = countFindings(findings);
  const label = `${pack.name}@v${pack.version}`;
  const lines = ["Policies:"];
  if (findings.length === 0) {
    lines.push(`    ✅ ${label}: no violations`);
    return lines;
  }
  lines.push(
    `    ${mandatory ? "❌" : "⚠️ "} ${label}: ${mandatory} mandatory, ${advisory} advisory` +
      (exempted ? `, ${exempted} exempted` : ""),
  );
  const line = (f: Finding) => `        - [${f.level}]  ${f.policy}  (${f.type}: ${f.name})`;
  const body = (text: string) => text.split("\n").map((l) => `          ${l}`);
  const order = (f: Finding) => (f.level === "mandatory" ? 0 : 1);
  const open = findings.filter((f) => !f.exempted).sort((a, b) => order(a) - order(b));
  for (const f of open) lines.push(line(f), ...body(f.message));
  const accepted = findings.filter((f) => f.exempted);
  if (accepted.length) {
    lines.push("    Exempted:");
    for (const f of accepted) {
      lines.push(line(f), ...body(`exempted: ${f.exemption!.justification}`), ...body(f.message));
    }
  }
  return lines;
}

/** A finding as `--json` gives it. */
export function jsonFinding(f: Finding) {
  return {
    policy: f.policy,
    level: f.level,
    severity: f.severity,
    urn: f.urn,
    type: f.type,
    name: f.name,
    message: f.message,
    remediation: f.remediation,
    url: f.url,
    exempted: f.exempted,
    exemption: f.exemption,
  };
}
