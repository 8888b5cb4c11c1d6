import * as prettier from "prettier";

/**
 * Markdown as `npm run format` leaves it: Prettier with the config that applies to `file`.
 * Every generator of a Markdown file or block writes this, so formatting the tree never makes a
 * drift test fail, and a drift test compares against exactly what the generator writes.
 */
export async function formatMarkdown(file: string, text: string): Promise<string> {
  const options = (await prettier.resolveConfig(file)) ?? {};
  return prettier.format(text, { ...options, parser: "markdown" });
}
