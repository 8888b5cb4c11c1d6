/**
 * Who may read or change what, verified: the caller × operation matrix of the dev and prod
 * stacks, measured end to end once (matrix-readme.ts, matrix.ts), checked against the rules the
 * platform promises, and checked against the README's generated block with the functions
 * `npm run generate` writes it with.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { formatMarkdown } from "../../policy-pack/scripts/markdown";
import { OPERATIONS } from "./matrix";
import {
  matrixBlock,
  MeasuredVariant,
  measureMatrices,
  Rows,
  VARIANTS,
  withMatrix,
} from "./matrix-readme";

const README = path.join(__dirname, "..", "..", "README.md");

const cell = (rows: Rows, caller: string, op: string) => {
  const row = rows.find((r) => r.caller.startsWith(caller));
  assert.ok(row, `no row for ${caller}`);
  assert.ok(OPERATIONS.includes(op), `no column ${op}: is it still in app/airline/contract.ts?`);
  return row.cells[OPERATIONS.indexOf(op)];
};

describe("e2e: who may read or change what (both stacks, end to end on dynalite)", function () {
  this.timeout(180_000);
  let measured: MeasuredVariant[];
  const tables: Record<string, Rows> = {};
  const cognito: Record<string, boolean> = {};

  before(async () => {
    measured = await measureMatrices();
    for (const v of measured) {
      tables[v.name] = v.rows;
      cognito[v.name] = v.cognito;
    }
  });

  for (const { name: stack } of VARIANTS) {
    it(`${stack}: a user reads and books only their own data, on every API`, () => {
      const rows = tables[stack];
      for (const user of ["user A", "user B"]) {
        const me = user.slice(-1);
        const cells = rows.find((r) => r.caller === user)!.cells;
        assert.strictEqual(cells.length, OPERATIONS.length);
        for (const [i, c] of cells.entries())
          assert.ok(
            !c.startsWith("✔") || c === `✔ ${me}'s` || c === "✔ no data",
            `${user} ${OPERATIONS[i]}: ${c}`,
          );
        assert.strictEqual(cell(rows, user, "GraphQL myBookings"), `✔ ${me}'s`);
        assert.strictEqual(cell(rows, user, "HTTP GET /bookings"), `✔ ${me}'s`);
        assert.strictEqual(cell(rows, user, "GraphQL createBooking"), `✔ ${me}'s`);
      }
      assert.strictEqual(cell(rows, "user A", "GraphQL loyalty(B)"), "✘ Forbidden");
      assert.match(cell(rows, "user A", "GraphQL customerBookings(B)"), /^✘ Unauthorized/);
      assert.strictEqual(cell(rows, "user B", "GraphQL loyalty(B)"), "✔ B's");
    });

    it(`${stack}: one scope rule on every API: read-only tokens book nothing, tokens without scopes (ID tokens) read nothing`, () => {
      const rows = tables[stack];
      const readOnly = "user A, access token with bookings.read only";
      assert.strictEqual(cell(rows, readOnly, "HTTP POST /bookings"), "✘ 403 (scope)");
      assert.strictEqual(cell(rows, readOnly, "GraphQL createBooking"), "✘ Unauthorized");
      assert.strictEqual(cell(rows, readOnly, "GraphQL myBookings"), "✔ A's");
      const noScopes = rows.find((r) => /^user A, (ID token|token without scopes)/.test(r.caller));
      assert.ok(noScopes, "a row for a token without scopes");
      for (const [i, c] of noScopes.cells.entries())
        if (/^(GraphQL (my|create)Bookings?|GraphQL booking|HTTP)/.test(OPERATIONS[i]))
          assert.match(c, /^✘/, `${noScopes.caller} ${OPERATIONS[i]}`);
    });

    it(`${stack}: no IAM principal reaches customer data through AppSync; REST only for the named roles' routes`, () => {
      const rows = tables[stack];
      for (const r of rows.filter((x) => /role|principal/.test(x.caller)))
        for (const op of OPERATIONS.filter((o) => o.startsWith("GraphQL")))
          assert.match(
            cell(rows, r.caller, op),
            /^✘ Unauthorized \(no @aws_iam\)/,
            `${r.caller} ${op}`,
          );
      assert.strictEqual(
        cell(
          rows,
          "invoker role appsync-loyalty-resolver (in its function)",
          "REST GET /loyalty/{B}",
        ),
        "✔ B's",
      );
      assert.match(
        cell(
          rows,
          "invoker role appsync-loyalty-resolver (in another function)",
          "REST GET /loyalty/{B}",
        ),
        /^✘ 403/,
      );
      assert.strictEqual(
        cell(rows, "invoker role points-accrual-batch", "REST POST /loyalty/{B}/points"),
        "✔ B's",
      );
      assert.match(
        cell(rows, "invoker role points-accrual-batch", "REST GET /loyalty/{B}"),
        /^✘ 403/,
      );
      for (const who of ["unnamed IAM principal", "another account's principal"])
        for (const op of ["REST GET /loyalty/{B}", "REST POST /loyalty/{B}/points"] as const)
          assert.match(cell(rows, who, op), /^✘ 403/, `${who} ${op}`);
    });

    it(`${stack}: anonymous callers get nothing anywhere`, () => {
      for (const c of tables[stack].find((r) => r.caller === "anonymous")!.cells)
        assert.match(c, /^✘/);
    });

    it(`${stack}: a forged direct invocation is served by the functions (threat model: only lambda:InvokeFunction holders)`, () => {
      const rows = tables[stack];
      assert.strictEqual(cell(rows, "forged", "REST POST /loyalty/{B}/points"), "✔ B's");
      assert.strictEqual(cell(rows, "forged", "HTTP GET /bookings"), "✔ B's");
    });
  }

  it("a user-pool admin reads any customer's bookings and loyalty; an IdP's groups claim makes nobody an admin", () => {
    const tiers = new Set(Object.values(cognito));
    assert.deepStrictEqual([...tiers].sort(), [false, true], "both identity tiers are measured");
    for (const { name: stack } of VARIANTS) {
      const rows = tables[stack];
      const notAdmins = cognito[stack] ? ["federated user"] : ["admin (IdP groups: admin)"];
      if (cognito[stack]) {
        assert.strictEqual(cell(rows, "admin", "GraphQL customerBookings(B)"), "✔ B's", stack);
        assert.strictEqual(cell(rows, "admin", "GraphQL loyalty(B)"), "✔ B's", stack);
      }
      for (const who of notAdmins) {
        assert.match(cell(rows, who, "GraphQL customerBookings(B)"), /^✘ Unauthorized/, stack);
        assert.strictEqual(cell(rows, who, "GraphQL loyalty(B)"), "✘ Forbidden", stack);
      }
    }
  });

  it("is the matrix in the README (`npm run generate` rewrites it)", async () => {
    assert.deepStrictEqual(
      measured.map((v) => v.name),
      VARIANTS.map((v) => v.name),
    );
    const readme = fs.readFileSync(README, "utf8");
    assert.strictEqual(
      await formatMarkdown(README, withMatrix(readme, matrixBlock(measured))),
      readme,
      "the README's generated matrix is out of date: run `npm run generate` and commit the result",
    );
  });
});
