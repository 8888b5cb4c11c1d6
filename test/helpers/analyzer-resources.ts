/**
 * Resources and diagnostics for tests that drive the pack over the analyzer protocol
 * (tools/analyzer-client.ts): URNs of the prod stack, resources in the client's form, and the
 * diagnostics of one policy.
 */
import * as path from "path";
import { AnalyzerResource, AnalyzeResult } from "../../tools/analyzer-client";

/** The pack's folder, as run-policy-pack is given it. */
export const PACK_DIR = path.resolve(__dirname, "..", "..", "policy-pack");
/** The project of the test URNs. */
export const PROJECT = "sec1-api-platform";

/** A URN of a top-level resource of the prod stack. */
export function urnOf(type: string, name: string): string {
  return `urn:pulumi:prod::${PROJECT}::${type}::${name}`;
}

/** A resource as the client sends it. */
export function resource(
  type: string,
  name: string,
  properties: Record<string, unknown>,
): AnalyzerResource {
  return { urn: urnOf(type, name), type, name, properties };
}

/** The diagnostics of one policy (on one resource, if a URN is given). */
export function of(result: AnalyzeResult, policy: string, urn?: string) {
  return result.diagnostics.filter((d) => d.policy === policy && (!urn || d.urn === urn));
}
