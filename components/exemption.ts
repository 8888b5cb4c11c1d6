/**
 * Accepting one policy finding on one resource, in the program, with a reason: what the SEC1
 * pack reads as an exemption (docs/exemptions.md). Two forms, one wire format:
 * - {@link AcceptedFinding} (`acceptFinding`): a small `sec1:policy:Exemption` resource next to
 *   the resource, for any type (routes, methods, permissions, role policies). Its inputs and
 *   registered outputs are `{ policy, target, reason, until?, ticket? }`, `target` the URN;
 * - {@link exemptionTags}: tags `sec1:accept:<policy>` (reason), `…:until`, `…:ticket`, for types
 *   with tags; the only in-code form that policies checking one resource at a time can see.
 * The org decides, per policy, whether these count. This file must not import the pack.
 */
import * as pulumi from "@pulumi/pulumi";
import { assertValidArgs } from "./args";

/** The type token the pack looks for. */
export const EXEMPTION_TYPE = "sec1:policy:Exemption";
/** The prefix of exemption tag keys. */
export const EXEMPTION_TAG_PREFIX = "sec1:accept:";

/** Why, until when and under which ticket a finding is accepted. */
export interface AcceptanceArgs {
  /** At least 10 characters, one line. */
  reason: string;
  /** The last day the exemption counts, YYYY-MM-DD (the org may require one). */
  until?: string;
  /** A ticket or link that tracks the decision, one line. */
  ticket?: string;
}

/** What an {@link AcceptedFinding} declares. */
export interface AcceptedFindingArgs extends AcceptanceArgs {
  /** The pack policy whose finding is accepted, e.g. `sec1-a-http-route-authorization`. */
  policy: string;
  /** The URN of the resource the finding is on. */
  target: pulumi.Input<string>;
}

/** Characters AWS accepts in tag values (most services). */
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const POLICY_NAME = /^[a-z0-9][a-z0-9-]*$/;

/** Every problem with an acceptance, as "<field>: expected …, found …". */
export function acceptanceProblems(policy: string, args: AcceptanceArgs): string[] {
  const problems: string[] = [];
  const found = (v: unknown) => JSON.stringify(v) ?? "nothing";
  if (typeof policy !== "string" || !POLICY_NAME.test(policy)) {
    problems.push(
      `policy: expected a policy name such as sec1-a-user-pool-mfa, found ${found(policy)}`,
    );
  }
  const { reason, until, ticket } = args ?? {};
  if (typeof reason !== "string" || /[\r\n]/.test(reason) || reason.trim().length < 10) {
    problems.push(`reason: expected at least 10 characters on one line, found ${found(reason)}`);
  }
  if (until !== undefined && !(typeof until === "string" && isDate(until))) {
    problems.push(`until: expected a date YYYY-MM-DD, found ${found(until)}`);
  }
  if (
    ticket !== undefined &&
    (typeof ticket !== "string" || /[\r\n]/.test(ticket) || !ticket.trim())
  ) {
    problems.push(`ticket: expected a text on one line, found ${found(ticket)}`);
  }
  return problems;
}

function isDate(value: string): boolean {
  const date = new Date(`${value}T00:00:00Z`);
  return (
    /^\d{4}-\d{2}-\d{2}$/.test(value) &&
    !Number.isNaN(date.getTime()) &&
    date.toISOString().startsWith(value)
  );
}

/**
 * A declaration that one policy's finding on one resource is accepted. It creates nothing in
 * the cloud; the pack reads it in its stack policies (docs/exemptions.md says which findings a
 * declaration can exempt).
 */
export class AcceptedFinding extends pulumi.ComponentResource {
  constructor(name: string, args: AcceptedFindingArgs, opts: pulumi.ComponentResourceOptions = {}) {
    assertValidArgs("AcceptedFinding", name, acceptanceProblems(args.policy, args));
    const declared = {
      policy: args.policy,
      target: args.target,
      reason: args.reason,
      ...(args.until !== undefined ? { until: args.until } : {}),
      ...(args.ticket !== undefined ? { ticket: args.ticket } : {}),
    };
    // The inputs reach Analyze; AnalyzeStack and `pulumi stack export` hold registered outputs.
    super(EXEMPTION_TYPE, name, declared, opts);
    this.registerOutputs(declared);
  }
}

/**
 * Declares that `policy`'s finding on `resource` is accepted, in a declaration named
 * `<resource name>-accepts-<policy>` (pass `{ parent }` to keep it beside the resource).
 */
export function acceptFinding(
  policy: string,
  resource: pulumi.Resource,
  acceptance: AcceptanceArgs,
  opts: pulumi.ComponentResourceOptions = {},
): AcceptedFinding {
  const name = `${pulumi.resourceName(resource)}-accepts-${policy}`;
  return new AcceptedFinding(name, { policy, target: resource.urn, ...acceptance }, opts);
}

/**
 * The tags that accept `policy`'s finding on a taggable resource; merge them into its `tags`.
 * Tag values allow letters, digits, spaces and `_ . : / = + - @` only.
 */
export function exemptionTags(policy: string, acceptance: AcceptanceArgs): Record<string, string> {
  const problems = acceptanceProblems(policy, acceptance);
  for (const [field, value] of Object.entries(acceptance)) {
    if (typeof value === "string" && !TAG_VALUE.test(value)) {
      problems.push(
        `${field}: tag values allow letters, digits, spaces and _ . : / = + - @ only, found ${JSON.stringify(value)}`,
      );
    }
  }
  if (problems.length > 0) {
    throw new Error(`exemption tags for ${policy} are invalid:\n  - ${problems.join("\n  - ")}`);
  }
  const key = `${EXEMPTION_TAG_PREFIX}${policy}`;
  const tags: Record<string, string> = { [key]: acceptance.reason.trim() };
  if (acceptance.until) tags[`${key}:until`] = acceptance.until;
  if (acceptance.ticket) tags[`${key}:ticket`] = acceptance.ticket.trim();
  return tags;
}
