/**
 * Physical-name limits of autonamed children. Pulumi names a child `<logical name>-<7 random
 * hex>`, and refuses (at preview, with a real provider) a logical name whose autoname would
 * exceed the resource type's limit: "name '...-' plus 7 random chars is longer than maximum
 * length 64". The mock engine does not enforce this, so components check it with their args.
 */

/** Characters Pulumi appends to a logical name: a dash and 7 random hex characters. */
export const AUTONAME_SUFFIX_LENGTH = 8;

/** Maximum physical name lengths of the autonamed types whose limit a long name can reach. */
export const NAME_LIMITS = {
  /** IAM role names: 64 characters. */
  iamRole: 64,
  /** Lambda function names: 64 characters. */
  lambdaFunction: 64,
} as const;

/**
 * A problem for each logical name whose autoname would be longer than `limit`, reported under
 * `field` (the argument that makes it long); empty when every name fits.
 */
export function autonameProblems(
  field: string,
  what: string,
  logicalNames: string[],
  limit: number,
): string[] {
  return logicalNames
    .filter((n) => n.length + AUTONAME_SUFFIX_LENGTH > limit)
    .map(
      (n) =>
        `${field}: the ${what} '${n}' would be autonamed to ${n.length + AUTONAME_SUFFIX_LENGTH} characters (limit ${limit}); shorten the component or ${field}`,
    );
}
