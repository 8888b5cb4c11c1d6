/**
 * The shape check both authorizers make before handing a string to aws-jwt-verify.
 */

/**
 * True for three dot-separated parts (the first not empty) with no space or tab: the shape of a
 * compact JWS. The characters themselves are left to aws-jwt-verify, which checks every part
 * with its own pattern and denies anything else as malformed (a regular expression over the
 * whole token here cost more than the rest of the decision).
 */
export function hasJwtShape(token: string): boolean {
  const first = token.indexOf(".");
  const second = first < 1 ? -1 : token.indexOf(".", first + 1);
  return (
    second > first &&
    token.indexOf(".", second + 1) === -1 &&
    !token.includes(" ") &&
    !token.includes("\t")
  );
}
