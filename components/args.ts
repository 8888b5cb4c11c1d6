/**
 * The one way components refuse bad arguments: each component's exported validator returns every
 * problem as "<field>: <what was expected>, found <value>", and the constructor hands them to
 * {@link assertValidArgs} before registering any child, so one error lists them all.
 */
import * as pulumi from "@pulumi/pulumi";

/** Raised by a component for bad args; `problems` holds each one, message lists them all. */
export class ComponentArgsError extends pulumi.ResourceError {
  constructor(
    component: string,
    name: string,
    public readonly problems: string[],
    resource?: pulumi.Resource,
  ) {
    super(
      `${component} '${name}' has invalid args (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((p) => `  - ${p.replace(/\n/g, "\n    ")}`).join("\n"),
      resource,
      true,
    );
    this.name = "ComponentArgsError";
  }
}

/**
 * Throws one {@link ComponentArgsError} naming every problem, or returns when there is none.
 * `resource` is the component itself, so the engine reports the error against its URN.
 */
export function assertValidArgs(
  component: string,
  name: string,
  problems: string[],
  resource?: pulumi.Resource,
): void {
  if (problems.length > 0) throw new ComponentArgsError(component, name, problems, resource);
}

/** Retention values CloudWatch Logs accepts (days). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
  3653,
] as const;

/** A problem when `days` is not a retention CloudWatch Logs accepts; none when it is. */
export function logRetentionProblems(field: string, days: unknown): string[] {
  return (LOG_RETENTION_DAYS as readonly unknown[]).includes(days)
    ? []
    : [
        `${field}: expected a CloudWatch Logs retention (${LOG_RETENTION_DAYS.join(", ")}), found ${JSON.stringify(days)}`,
      ];
}
