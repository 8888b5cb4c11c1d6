/**
 * Every policy of the pack over one stack, as the analyzer server runs them (through the
 * run-policy harness), with each diagnostic's level as configured: for tests that judge a whole
 * stack ("no mandatory diagnostic", "exactly this mandatory one, on this resource").
 */
import * as assert from "assert";
import { Policy, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { allPolicies } from "../../policies";
import {
  PolicyConfig,
  PolicyRun,
  runResourcePolicy,
  runStackPolicy,
  StackResourceInput,
  urnOf,
} from "./run-policy";

/** One diagnostic of one policy. */
export interface Verdict {
  policy: string;
  level: string;
  message: string;
  /** The resource reported on. */
  urn: string;
}

/** A fixture resource with its URN set. */
export function res(
  type: string,
  name: string,
  props: Record<string, unknown>,
  propertyDependencies?: Record<string, string[]>,
): StackResourceInput {
  return { type, name, urn: urnOf(type, name), props, propertyDependencies };
}

/** The URN of a fixture resource (always set by `res`). */
export const urn = (r: StackResourceInput): string => r.urn ?? urnOf(r.type, r.name ?? "");

/** Every policy over the stack, as the server runs them; levels as configured. */
export async function verdicts(
  resources: StackResourceInput[],
  config: Record<string, PolicyConfig> = {},
): Promise<Verdict[]> {
  const out: Verdict[] = [];
  const add = (p: Policy, run: PolicyRun, at = "") => {
    assert.deepStrictEqual(run.previewErrors, [], p.name);
    const level = String(config[p.name]?.enforcementLevel ?? p.enforcementLevel ?? "advisory");
    for (const v of run.violations) {
      // An exempted finding (object form) carries its own level, advisory.
      const policy = v.policy ?? p.name;
      out.push({ policy, level: v.level ?? level, message: v.message, urn: v.urn ?? at });
    }
  };
  for (const p of allPolicies as Policy[]) {
    const c = config[p.name] ?? {};
    if ("validateStack" in p && typeof p.validateStack === "function") {
      add(p, await runStackPolicy(p as StackValidationPolicy, resources, c));
    }
    if ((p as ResourceValidationPolicy).validateResource) {
      for (const r of resources) {
        add(p, await runResourcePolicy(p as ResourceValidationPolicy, r, c), urn(r));
      }
    }
  }
  return out;
}

export const mandatory = (vs: Verdict[]) => vs.filter((v) => v.level === "mandatory");
export const policiesOf = (vs: Verdict[]) => [...new Set(vs.map((v) => v.policy))].sort();
