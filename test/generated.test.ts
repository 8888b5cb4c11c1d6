/**
 * The drift test of the checked-in generated files (tools/generate.ts): each file equals what
 * its sources give now, so `npm run generate` has been run after every change that matters.
 * Program runs are the shared ones of the test process. The one entry with `checkedBy` (the
 * README's caller × operation matrix) is checked by the e2e suite, which measures the matrix in
 * its own process with the same functions: measuring here would load the bundles next to this
 * process's SDK mocks, or measure it a second time per `npm test` in a child process.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as prettier from "prettier";
import { GENERATED } from "../tools/generate";
import { NO_REASON, VERDICTS_DOC } from "../tools/verdicts";
import { runStack } from "./helpers/harness";

const ROOT = path.join(__dirname, "..");

describe("generated files (npm run generate)", function () {
  this.timeout(120_000);

  it("are each what their sources give now", async () => {
    const stale: string[] = [];
    for (const g of GENERATED.filter((x) => !x.checkedBy && !x.unavailable)) {
      const text = await g.produce((stack) => runStack(stack));
      if (fs.readFileSync(g.file, "utf8") !== text) stale.push(path.relative(ROOT, g.file));
    }
    assert.deepStrictEqual(stale, [], "out of date: run `npm run generate` and commit the result");
  });

  // The verdicts on real programs need the labelled corpus, which a fresh clone does not have.
  for (const g of GENERATED.filter((x) => !x.checkedBy && x.unavailable)) {
    const rel = path.relative(ROOT, g.file);
    it(`${rel} is what its sources give now (where they are present)`, async function () {
      const why = g.unavailable!();
      if (why) {
        console.log(`      skipped: ${rel}: ${why}`);
        this.skip();
      }
      const text = await g.produce((stack) => runStack(stack));
      assert.ok(
        fs.readFileSync(g.file, "utf8") === text,
        `${rel} is out of date: run \`npm run generate\``,
      );
    });
  }

  it("leave only entries to other tests that exist and check them with the generator's functions", () => {
    const elsewhere = GENERATED.filter((g) => g.checkedBy);
    assert.deepStrictEqual(
      elsewhere.map((g) => g.block),
      ["matrix"],
    );
    for (const g of elsewhere) {
      const test = fs.readFileSync(g.checkedBy!, "utf8");
      assert.match(
        test,
        /formatMarkdown\(README, withMatrix\(readme, matrixBlock\(/,
        path.relative(ROOT, g.checkedBy!),
      );
    }
  });

  it("are as `npm run format` leaves them, so formatting the tree never makes them drift", async () => {
    const files = [...new Set(GENERATED.map((g) => g.file))];
    const unformatted: string[] = [];
    let checked = 0;
    for (const file of files) {
      const info = await prettier.getFileInfo(file, {
        ignorePath: path.join(ROOT, ".prettierignore"),
      });
      if (info.ignored) continue;
      checked++;
      const options = (await prettier.resolveConfig(file)) ?? {};
      const text = fs.readFileSync(file, "utf8");
      if (!(await prettier.check(text, { ...options, filepath: file })))
        unformatted.push(path.relative(ROOT, file));
    }
    assert.ok(checked >= 3, `only ${checked} generated files are checked`);
    assert.deepStrictEqual(unformatted, [], "a generator writes what Prettier would change");
  });

  it("give every verdict on our stacks its reason", () => {
    assert.ok(!fs.readFileSync(VERDICTS_DOC, "utf8").includes(NO_REASON), NO_REASON);
  });
});
