/**
 * SARIF 2.1.0 for GitHub code scanning, from what a policy pack found.
 *
 * - `tool.driver` is the pack (name, version) with one rule per policy: id = the policy's name,
 *   short and full description from its description, help = its remediationSteps, helpUri = its
 *   URL, `defaultConfiguration.level` from the level it is configured at (mandatory → error,
 *   advisory → warning, remediate → note, disabled → not enabled), and as properties its tags
 *   and severity, with GitHub's `security-severity` score so code scanning ranks the alert.
 * - Each finding is a result at `error` (mandatory) or `warning` (advisory). Its resource is a
 *   logical location (fullyQualifiedName = the URN, kind "resource"). Code scanning shows only
 *   results with a physical location (it requires `physicalLocation.artifactLocation.uri`), and
 *   a stack's resources have no line of source the engine knows, so each result also points at
 *   line 1 of the file that defines the stack for this tool: the stack's `Pulumi.<stack>.yaml`
 *   for the offline preview, the export file for `analyze`. `partialFingerprints` carry the
 *   policy and URN, so an alert stays one alert across runs whatever else changes in that file.
 * - An exempted finding carries `suppressions: [{ kind: "external", status: "accepted",
 *   justification }]`: code scanning lists it as dismissed with that reason, never as fixed.
 */
import { createHash } from "crypto";
import * as path from "path";
import { EnforcementLevel, PackInfo, PolicyConfig, resolvePolicyConfig } from "./analyzer-client";
import { Finding } from "./findings";

/** Where the SARIF 2.1.0 schema is published (OASIS Standard, errata 01). */
export const SARIF_SCHEMA =
  "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/** The findings of one stack and the file its results point at. */
export interface SarifStack {
  /** Path of the stack's file, relative to the repository root, with `/` separators. */
  artifact: string;
  /** The root stack's URN: the logical location of a stack-wide finding. */
  rootUrn: string;
  findings: Finding[];
}

/** A file's path relative to the working directory (the repository root in CI), with `/`. */
export function relativeUri(file: string): string {
  return path.relative(process.cwd(), file).split(path.sep).join("/");
}

type SarifLevel = "error" | "warning" | "note" | "none";

const RESULT_LEVEL: Record<EnforcementLevel, SarifLevel> = {
  mandatory: "error",
  advisory: "warning",
  remediate: "note",
  disabled: "none",
};

/** GitHub's security-severity scores: ≥ 9 critical, 7–8.9 high, 4–6.9 medium, < 4 low. */
const SECURITY_SEVERITY: Record<string, string> = {
  critical: "9.5",
  high: "8.0",
  medium: "5.5",
  low: "3.0",
};

/** The first sentence of a description (a rule's short description). */
function firstSentence(text: string): string {
  const m = /^(.+?[.!?])(\s|$)/s.exec(text.trim());
  return (m ? m[1] : text.trim()) || text;
}

/** One rule per policy of the pack, with its configured level. */
function rules(info: PackInfo, policyConfig: Record<string, PolicyConfig> | undefined) {
  let configured: ReturnType<typeof resolvePolicyConfig> = {};
  try {
    configured = resolvePolicyConfig(info, policyConfig);
  } catch {
    // The pack accepted this config already; fall back to the declared levels.
  }
  return info.policies.map((p) => {
    const level = configured[p.name]?.enforcementLevel ?? p.enforcementLevel;
    const description = p.description || p.name;
    return {
      id: p.name,
      ...(p.displayName ? { name: p.displayName } : {}),
      shortDescription: { text: firstSentence(description) },
      fullDescription: { text: description },
      ...(p.remediationSteps ? { help: { text: p.remediationSteps } } : {}),
      ...(p.url ? { helpUri: p.url } : {}),
      defaultConfiguration:
        level === "disabled" ? { enabled: false, level: "none" } : { level: RESULT_LEVEL[level] },
      properties: {
        tags: ["security", ...p.tags],
        ...(p.severity ? { severity: p.severity } : {}),
        ...(SECURITY_SEVERITY[p.severity]
          ? { "security-severity": SECURITY_SEVERITY[p.severity] }
          : {}),
      },
    };
  });
}

/** One result for one finding. */
function result(f: Finding, stack: SarifStack, ruleIndex: Map<string, number>) {
  const urn = f.urn ?? stack.rootUrn;
  const fingerprint = createHash("sha256").update(`${f.policy}\n${urn}`).digest("hex");
  return {
    ruleId: f.policy,
    ...(ruleIndex.has(f.policy) ? { ruleIndex: ruleIndex.get(f.policy) } : {}),
    level: RESULT_LEVEL[f.level],
    message: { text: `${f.type} '${f.name}': ${f.message}` },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: stack.artifact },
          region: { startLine: 1 },
        },
        logicalLocations: [{ name: f.name, fullyQualifiedName: urn, kind: "resource" }],
      },
    ],
    partialFingerprints: { "policyResource/v1": fingerprint },
    ...(f.exemption
      ? {
          suppressions: [
            { kind: "external", status: "accepted", justification: f.exemption.justification },
          ],
        }
      : {}),
  };
}

/**
 * The SARIF log of one run of a tool: one run, the pack as its driver, every stack's findings
 * as results. `category` becomes `runAutomationDetails.id`, which code scanning uses to keep
 * the alerts of different analyses (each stack's preview, say) apart.
 */
export function sarifLog(
  info: PackInfo,
  stacks: SarifStack[],
  ctx: { category: string; policyConfig?: Record<string, PolicyConfig> },
) {
  const driverRules = rules(info, ctx.policyConfig);
  const ruleIndex = new Map(driverRules.map((r, i) => [r.id, i]));
  return {
    $schema: SARIF_SCHEMA,
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: info.name,
            version: info.version,
            semanticVersion: info.version,
            rules: driverRules,
          },
        },
        automationDetails: { id: ctx.category },
        results: stacks.flatMap((s) => s.findings.map((f) => result(f, s, ruleIndex))),
      },
    ],
  };
}
