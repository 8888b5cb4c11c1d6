import * as assert from "assert";
import { runStack } from "./helpers/harness";

describe("program", () => {
  for (const stack of ["dev", "prod"] as const) {
    it(`runs the ${stack} stack under mocks`, async () => {
      const run = await runStack(stack);
      assert.strictEqual(run.outputs.environment, stack);
    });
  }
});
