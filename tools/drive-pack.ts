/**
 * Drives a started policy pack over one stack in the Pulumi CLI's order, for every offline tool
 * (the offline preview on a program run, `analyze` on a stack export): Configure, ConfigureStack,
 * then Remediate and Analyze per resource, then AnalyzeStack with every resource.
 */
import {
  AnalyzerResource,
  Diagnostic,
  PackClient,
  PackInfo,
  PolicyConfig,
} from "./analyzer-client";

/** The stack the pack is told about, and what it is sent for it. */
export interface StackToAnalyze {
  stack: string;
  project: string;
  /** Each resource Analyze gets, in the engine's order. */
  analyzer: AnalyzerResource[];
  /** Every resource AnalyzeStack gets. */
  stackResources: AnalyzerResource[];
}

/** Drives the pack in the CLI's order and returns every diagnostic, URNs filled in. */
export async function analyzeStack(
  pack: PackClient,
  target: StackToAnalyze,
  ctx: {
    config: Record<string, string>;
    secretKeys: string[];
    policyConfig?: Record<string, PolicyConfig>;
    /** True in a preview; false when analyzing a deployed stack's state. */
    dryRun: boolean;
  },
): Promise<{ info: PackInfo; diagnostics: Diagnostic[] }> {
  const info = await pack.info();
  await pack.configure(ctx.policyConfig ?? {});
  await pack.configureStack({
    stack: target.stack,
    project: target.project,
    organization: "organization",
    dryRun: ctx.dryRun,
    config: ctx.config,
    secretKeys: ctx.secretKeys,
  });
  const diagnostics: Diagnostic[] = [];
  for (const original of target.analyzer) {
    // The CLI's order: Remediate, then Analyze on what the remediations left.
    let r = original;
    for (const fix of await pack.remediate(r)) {
      if (fix.properties) r = { ...r, properties: fix.properties };
    }
    const result = await pack.analyze(r);
    // A resource policy's violation is about the analyzed resource; the CLI attaches its URN.
    diagnostics.push(...result.diagnostics.map((d) => ({ ...d, urn: d.urn ?? r.urn })));
  }
  diagnostics.push(...(await pack.analyzeStack(target.stackResources)).diagnostics);
  return { info, diagnostics };
}
