/**
 * Exemptions: a team's or the org's statement that one policy's finding on one resource is
 * accepted, with a reason. This module holds the pure rules (reading each form, the org's
 * governance, matching, the wording of an exempted finding); lib/exempting.ts applies them to
 * every policy of the pack. docs/exemptions.md describes the forms for teams and orgs.
 *
 * The wire format shared with the program's helper (components/exemption.ts), which must not
 * import this pack:
 * - tags `sec1:accept:<policy>` = reason, `sec1:accept:<policy>:until` = YYYY-MM-DD,
 *   `sec1:accept:<policy>:ticket` = ticket;
 * - a component resource of type `sec1:policy:Exemption` whose inputs and registered outputs are
 *   `{ policy, target: <URN>, reason, until?, ticket? }`.
 */
import { matchesGlob, rawProps } from "./stack-refs";
import { isUnknownValue } from "./values";

/** The type token of a declaration resource. */
export const EXEMPTION_TYPE = "sec1:policy:Exemption";
/** The prefix of exemption tag keys: `sec1:accept:<policy>`. */
export const TAG_PREFIX = "sec1:accept:";
/** The pack policy that reports problems with declarations. */
export const DECLARATIONS_POLICY = "sec1-x-exemption-declarations";
/** The shortest reason accepted. */
export const MIN_REASON_LENGTH = 10;

/** An accepted-finding statement, read and checked. */
export interface Exemption {
  /** Where it comes from, for diagnostics: "tag 'sec1:accept:…'", "declaration 'x'", …. */
  source: string;
  /** In the team's program (tag or declaration), as opposed to the org's policy config. */
  inCode: boolean;
  reason: string;
  until?: string;
  ticket?: string;
}

/** A statement that could not be read: the field and what was expected. */
export interface Malformed {
  source: string;
  problem: string;
}

export type Parsed = { exemption: Exemption; source: string } | Malformed;

/** How the org governs in-code exemptions of one policy (from that policy's config). */
export interface Governance {
  inCode: "allowed" | "forbidden";
  /** 0: no limit; N: an in-code exemption needs an `until` at most N days from today. */
  maxDays: number;
}

/** An exemption the org lists in a policy's config, with the resources it covers. */
export interface OrgExemption extends Exemption {
  /** A URN (`*` wildcards allowed) or a `project/stack/name` glob. */
  resource: string;
}

function isText(value: unknown): value is string {
  return typeof value === "string" && !/[\r\n]/.test(value);
}

function validDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value);
}

/**
 * Checks reason, until and ticket of a statement. Never throws: any odd value is a problem that
 * names the field and what was expected.
 */
export function parseExemption(source: string, inCode: boolean, fields: unknown): Parsed {
  const f = (fields !== null && typeof fields === "object" ? fields : {}) as Record<
    string,
    unknown
  >;
  const { reason, until, ticket } = f;
  const unknown = Object.entries({ reason, until, ticket }).find(([, v]) => isUnknownValue(v));
  if (unknown) {
    // A computed value is not known in a first preview: no guessing, and no silencing either.
    const problem = `${unknown[0]} is not known during preview; give it a literal value`;
    return { source, problem };
  }
  if (!isText(reason) || reason.trim().length < MIN_REASON_LENGTH) {
    return {
      source,
      problem: `reason must be a text of at least ${MIN_REASON_LENGTH} characters on one line (got ${describe(reason)})`,
    };
  }
  if (until !== undefined && until !== "" && !(typeof until === "string" && validDate(until))) {
    return { source, problem: `until must be a date YYYY-MM-DD (got ${describe(until)})` };
  }
  if (ticket !== undefined && ticket !== "" && !(isText(ticket) && ticket.trim() !== "")) {
    return { source, problem: `ticket must be a text on one line (got ${describe(ticket)})` };
  }
  const exemption: Exemption = { source, inCode, reason: reason.trim() };
  if (typeof until === "string" && until !== "") exemption.until = until;
  if (typeof ticket === "string" && ticket.trim() !== "") exemption.ticket = ticket.trim();
  return { exemption, source };
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Today as YYYY-MM-DD (UTC). */
export function today(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10);
}

function addDays(day: string, days: number): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return today(date);
}

/**
 * Why an exemption does not count under the org's rules for its policy, or undefined when it
 * counts. `until` is the last day it counts.
 */
export function refusal(exemption: Exemption, rules: Governance, day: string): string | undefined {
  if (exemption.until !== undefined && exemption.until < day) {
    return `expired on ${exemption.until}`;
  }
  if (!exemption.inCode) return undefined;
  if (rules.inCode === "forbidden") {
    return "the org's policy config forbids in-code exemptions of this policy (inCodeExemptions: forbidden)";
  }
  if (rules.maxDays > 0) {
    const limit = addDays(day, rules.maxDays);
    if (exemption.until === undefined || exemption.until > limit) {
      return `the org's policy config allows in-code exemptions of this policy for at most ${rules.maxDays} days: set until to ${limit} or earlier (exemptionMaxDays: ${rules.maxDays})`;
    }
  }
  return undefined;
}

/** The first line of an exempted finding: `exempted: <reason>[, until <date>][, <ticket>]`. */
export function exemptedLine(exemption: Exemption): string {
  const until = exemption.until ? `, until ${exemption.until}` : "";
  const ticket = exemption.ticket ? `, ${exemption.ticket}` : "";
  return `exempted: ${exemption.reason}${until}${ticket}`;
}

/** The parts of a URN (`urn:pulumi:<stack>::<project>::<type>::<name>`), or undefined. */
export function urnParts(
  urn: string,
): { stack: string; project: string; type: string; name: string } | undefined {
  if (!urn.startsWith("urn:pulumi:")) return undefined;
  const parts = urn.slice("urn:pulumi:".length).split("::");
  if (parts.length < 4) return undefined;
  const [stack, project, type] = parts;
  return { stack, project, type, name: parts.slice(3).join("::") };
}

/** True when an org entry's `resource` (URN glob or project/stack/name glob) covers `urn`. */
export function coversUrn(resource: string, urn: string): boolean {
  if (resource.startsWith("urn:")) return matchesGlob(urn, resource);
  const parts = urnParts(urn);
  const globs = resource.split("/");
  if (!parts || globs.length !== 3) return false;
  return (
    matchesGlob(parts.project, globs[0]) &&
    matchesGlob(parts.stack, globs[1]) &&
    matchesGlob(parts.name, globs[2])
  );
}

/** The org's exemptions of a policy (its `exemptions` config), each checked. */
export function readOrgExemptions(
  policy: string,
  value: unknown,
): { entries: OrgExemption[]; problems: Malformed[] } {
  const entries: OrgExemption[] = [];
  const problems: Malformed[] = [];
  if (value === undefined) return { entries, problems };
  if (!Array.isArray(value)) {
    const source = `policy config of ${policy}: exemptions`;
    return { entries, problems: [{ source, problem: "must be a list of entries" }] };
  }
  value.forEach((entry: unknown, i) => {
    const source = `policy config of ${policy}: exemptions[${i}]`;
    const resource = (entry as { resource?: unknown } | null)?.resource;
    if (!isText(resource) || !(resource.startsWith("urn:") || resource.split("/").length === 3)) {
      const problem = `resource must be a URN or a project/stack/name glob (got ${describe(resource)})`;
      problems.push({ source, problem });
      return;
    }
    const parsed = parseExemption(source, false, entry);
    if ("problem" in parsed) problems.push(parsed);
    else entries.push({ ...parsed.exemption, resource });
  });
  return { entries, problems };
}

/** The org's rules for in-code exemptions of a policy, from its config; odd values are problems. */
export function readGovernance(
  policy: string,
  config: Record<string, unknown>,
): { rules: Governance; problems: Malformed[] } {
  const problems: Malformed[] = [];
  const rules: Governance = { inCode: "allowed", maxDays: 0 };
  const { inCodeExemptions: inCode, exemptionMaxDays: maxDays } = config;
  if (inCode === "allowed" || inCode === "forbidden") rules.inCode = inCode;
  else if (inCode !== undefined) {
    const problem = `must be "allowed" or "forbidden" (got ${describe(inCode)}); in-code exemptions count as forbidden until it is fixed`;
    problems.push({ source: `policy config of ${policy}: inCodeExemptions`, problem });
    rules.inCode = "forbidden";
  }
  if (typeof maxDays === "number" && Number.isInteger(maxDays) && maxDays >= 0) {
    rules.maxDays = maxDays;
  } else if (maxDays !== undefined) {
    const problem = `must be a whole number of days, 0 for no limit (got ${describe(maxDays)})`;
    problems.push({ source: `policy config of ${policy}: exemptionMaxDays`, problem });
  }
  return { rules, problems };
}

const NO_TAGS: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;

/**
 * The tags of a resource's props (inputs in Analyze, outputs in AnalyzeStack), or {}. Every
 * stack policy looks at every resource's tags once: this reads the SDK proxy's target without
 * the props cache of rawProps, whose entries would outnumber the lookups they save here.
 */
export function tagsOf(props: unknown): Record<string, unknown> {
  if (props === null || typeof props !== "object") return NO_TAGS;
  let tags: unknown;
  try {
    const target = (props as Record<string, unknown>)["__getSpecialProxyTarget"] ?? props;
    tags = (target as Record<string, unknown>).tags;
  } catch {
    return NO_TAGS;
  }
  return tags !== null && typeof tags === "object" && !Array.isArray(tags)
    ? (tags as Record<string, unknown>)
    : NO_TAGS;
}

/** The tag exemption of `policy` on a resource with `tags`, if it carries one. */
export function tagExemption(policy: string, tags: Record<string, unknown>): Parsed | undefined {
  const key = `${TAG_PREFIX}${policy}`;
  if (!(key in tags)) return undefined;
  const fields = { reason: tags[key], until: tags[`${key}:until`], ticket: tags[`${key}:ticket`] };
  return parseExemption(`tag '${key}'`, true, fields);
}

/** A declaration resource's statement, read from its props. */
export interface Declaration {
  urn: string;
  name: string;
  policy: unknown;
  target: unknown;
  parsed: Parsed;
}

/** Reads a `sec1:policy:Exemption` resource (its registered outputs, or its inputs). */
export function readDeclaration(resource: { urn: string; name: string; props: unknown }) {
  const props = rawProps(resource.props);
  const source = `declaration '${resource.name}'`;
  const declaration: Declaration = {
    urn: resource.urn,
    name: resource.name,
    policy: props.policy,
    target: props.target,
    parsed: parseExemption(source, true, props),
  };
  return declaration;
}
