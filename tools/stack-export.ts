/**
 * Reads `pulumi stack export` files (the CLI's UntypedDeployment, version 3) into what the
 * analyzer protocol carries, the way `pulumi policy analyze --file` loads a snapshot: deleted
 * resources are skipped, every resource must have a valid URN and a type, and secrets the CLI
 * could not decrypt read as the redacted string it uses ("[secret]").
 */
import { AnalyzerResource } from "./analyzer-client";
import { SIG, SIG_RESOURCE, SIG_SECRET } from "./wire";

/** The string the CLI puts in place of a secret it cannot decrypt. */
export const REDACTED_SECRET = "[secret]";

/** The only UntypedDeployment version this reader knows (what CLI v3 exports). */
export const DEPLOYMENT_VERSION = 3;

/** One resource of a stack export, as the CLI writes it (apitype.ResourceV3). */
export interface ExportedResource {
  urn: string;
  type: string;
  custom?: boolean;
  delete?: boolean;
  id?: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  parent?: string;
  dependencies?: string[];
  propertyDependencies?: Record<string, string[]>;
  /** `<provider urn>::<provider id>`. */
  provider?: string;
  protect?: boolean;
  additionalSecretOutputs?: string[];
  aliases?: string[];
}

/** A stack export read and checked: its stack, project and what the analyzer gets. */
export interface ExportedStack {
  stack: string;
  project: string;
  /** Every live resource, in the export's order (the engine's dependency order). */
  resources: ExportedResource[];
  /**
   * What the pack is sent: `analyzer` for Analyze (each custom resource with its inputs),
   * `stack` for AnalyzeStack (every resource with its outputs).
   */
  view: { analyzer: AnalyzerResource[]; stack: AnalyzerResource[] };
}

/** A file that is not a readable stack export; the message names the file and every problem. */
export class StackExportError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: not a usable stack export:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "StackExportError";
  }
}

/** The parts of `urn:pulumi:<stack>::<project>::<qualified type>::<name>`, or undefined. */
export function parseUrn(
  urn: string,
): { stack: string; project: string; type: string; name: string } | undefined {
  if (!urn.startsWith("urn:pulumi:")) return undefined;
  const [stack, project, qualifiedType, ...rest] = urn.slice("urn:pulumi:".length).split("::");
  const name = rest.join("::");
  if (!stack || !project || !qualifiedType || !name) return undefined;
  // The qualified type is `parent$child`; the resource's own type is the last part.
  return { stack, project, type: qualifiedType.split("$").pop()!, name };
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * A state property value in the engine's wire form: a secret stays secret (its plaintext
 * decoded, or the redacted string when only ciphertext is there), a resource reference becomes
 * the referenced id (the URN when it has none), as the CLI marshals state for an analyzer.
 */
export function fromStateValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromStateValue);
  if (!isObject(value)) return value;
  if (value[SIG] === SIG_SECRET) {
    let inner: unknown = REDACTED_SECRET;
    if (typeof value.plaintext === "string") {
      try {
        inner = fromStateValue(JSON.parse(value.plaintext));
      } catch {
        inner = REDACTED_SECRET;
      }
    }
    return { [SIG]: SIG_SECRET, value: inner };
  }
  if (value[SIG] === SIG_RESOURCE) {
    return typeof value.id === "string" && value.id !== "" ? value.id : value.urn;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = fromStateValue(v);
  return out;
}

function fromStateProperties(props: unknown): Record<string, unknown> {
  return isObject(props) ? (fromStateValue(props) as Record<string, unknown>) : {};
}

/** Every problem with one resource entry (empty when it is usable). */
function resourceProblems(r: unknown, at: string): string[] {
  if (!isObject(r)) return [`${at}: expected an object, got ${JSON.stringify(r)}`];
  const urn = r.urn;
  // Name the resource by what it has: its URN, else its type and id.
  const known = [r.type && `type ${String(r.type)}`, r.id && `id ${String(r.id)}`].filter(Boolean);
  const where =
    typeof urn === "string" ? `${at} (${urn})` : known.length ? `${at} (${known.join(", ")})` : at;
  const problems: string[] = [];
  if (typeof urn !== "string" || urn === "") problems.push(`${where}: has no "urn"`);
  else if (!parseUrn(urn)) {
    problems.push(`${where}: "urn" is not urn:pulumi:<stack>::<project>::<type>::<name>`);
  }
  if (typeof r.type !== "string" || r.type === "") problems.push(`${where}: has no "type"`);
  for (const key of ["inputs", "outputs", "propertyDependencies"]) {
    if (r[key] !== undefined && !isObject(r[key])) {
      problems.push(`${where}: "${key}" must be an object`);
    }
  }
  if (r.dependencies !== undefined && !Array.isArray(r.dependencies)) {
    problems.push(`${where}: "dependencies" must be a list of URNs`);
  }
  return problems;
}

/** The resources array of a parsed document, or the problems that make it unusable. */
function exportedResources(doc: unknown): { resources: unknown[]; problems: string[] } {
  if (!isObject(doc) || !("version" in doc) || !("deployment" in doc)) {
    return {
      resources: [],
      problems: ['expected a `pulumi stack export` document: {"version": 3, "deployment": {...}}'],
    };
  }
  if (doc.version !== DEPLOYMENT_VERSION) {
    return {
      resources: [],
      problems: [
        `unknown deployment version ${JSON.stringify(doc.version)}; expected ${DEPLOYMENT_VERSION} (what Pulumi CLI v3 exports)`,
      ],
    };
  }
  const deployment = doc.deployment;
  if (!isObject(deployment)) return { resources: [], problems: ['"deployment" must be an object'] };
  const resources = deployment.resources ?? [];
  if (!Array.isArray(resources)) {
    return { resources: [], problems: ['"deployment.resources" must be a list'] };
  }
  return { resources, problems: [] };
}

/** Splits `<provider urn>::<provider id>` (the id is after the last `::`). */
function providerUrn(ref: string | undefined): string | undefined {
  if (!ref) return undefined;
  const cut = ref.lastIndexOf("::");
  return cut > 0 && ref.slice(0, cut).startsWith("urn:") ? ref.slice(0, cut) : ref;
}

/** Reads the text of a stack export; throws {@link StackExportError} listing every problem. */
export function readStackExport(file: string, text: string): ExportedStack {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new StackExportError(file, [`not JSON: ${(err as Error).message}`]);
  }
  const { resources: raw, problems } = exportedResources(doc);
  raw.forEach((r, i) => problems.push(...resourceProblems(r, `resources[${i}]`)));
  const live = (raw as ExportedResource[]).filter((r) => isObject(r) && r.delete !== true);
  const stacks = new Set(live.map((r) => parseUrn(r.urn ?? "")).map((u) => u && u.stack));
  const projects = new Set(live.map((r) => parseUrn(r.urn ?? "")).map((u) => u && u.project));
  if (problems.length === 0 && (stacks.size > 1 || projects.size > 1)) {
    problems.push(
      `resources belong to more than one stack: ${[...stacks].join(", ")} / ${[...projects].join(", ")}`,
    );
  }
  if (problems.length) throw new StackExportError(file, problems);
  if (live.length === 0) throw new StackExportError(file, ["the deployment has no resources"]);
  const { stack, project } = parseUrn(live[0].urn)!;
  return { stack, project, resources: live, view: analyzerView(live) };
}

/**
 * What the CLI sends a policy pack for a snapshot. Analyze gets each custom resource's inputs,
 * as the engine does for a step (it analyzes the goal's inputs, before the provider's outputs
 * exist); AnalyzeStack gets every resource with its outputs, the state itself, with parent,
 * dependencies and property dependencies, so stack policies see what the cloud reported.
 */
function analyzerView(live: ExportedResource[]): ExportedStack["view"] {
  const byUrn = new Map(live.map((r) => [r.urn, r]));
  const toAnalyzer = (r: ExportedResource, props: unknown): AnalyzerResource => {
    const providerRef = providerUrn(r.provider);
    const provider = providerRef ? byUrn.get(providerRef) : undefined;
    return {
      urn: r.urn,
      type: r.type,
      name: parseUrn(r.urn)!.name,
      properties: fromStateProperties(props),
      parent: r.parent ?? null,
      dependencies: r.dependencies ?? [],
      propertyDependencies: r.propertyDependencies ?? {},
      provider: provider
        ? {
            type: provider.type,
            name: parseUrn(provider.urn)!.name,
            urn: provider.urn,
            properties: fromStateProperties(provider.inputs),
          }
        : undefined,
      options: {
        protect: r.protect ?? false,
        additionalSecretOutputs: r.additionalSecretOutputs ?? [],
        aliases: r.aliases ?? [],
        parent: r.parent,
      },
    };
  };
  return {
    analyzer: live.filter((r) => r.custom === true).map((r) => toAnalyzer(r, r.inputs)),
    // A component's outputs in state are what it registered; fall back to its inputs.
    stack: live.map((r) => toAnalyzer(r, r.outputs ?? r.inputs)),
  };
}
