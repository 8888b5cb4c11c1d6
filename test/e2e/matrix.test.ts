/**
 * Who may read or change what, verified: the caller × operation matrix of the dev and prod
 * stacks, run end to end (see matrix.ts), checked against the rules the platform promises, and
 * kept in the README (a generated block; `UPDATE_README=1 npm run test:e2e` rewrites it).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { PROD_OIDC } from "../helpers/harness";
import { saveEnv, stackModel } from "./harness";
import { startIssuer, Issuer } from "./issuer";
import { isCognito, markdown, matrix, OPERATIONS, plantFor } from "./matrix";

const README = path.join(__dirname, "..", "..", "README.md");
const START = "<!-- generated-matrix:start (UPDATE_README=1 npm run test:e2e) -->";
const END = "<!-- generated-matrix:end -->";

type Rows = { caller: string; cells: string[] }[];

/**
 * What the matrix covers: each checked-in stack as it is, and prod with an external OIDC issuer
 * in place of its user pool (the other identity tier the program supports).
 */
const VARIANTS = [
  { name: "dev", stack: "dev", overrides: {} },
  { name: "prod", stack: "prod", overrides: {} },
  { name: "prod with identityProvider: oidc", stack: "prod", overrides: PROD_OIDC },
];
const cell = (rows: Rows, caller: string, op: (typeof OPERATIONS)[number]) => {
  const row = rows.find((r) => r.caller.startsWith(caller));
  assert.ok(row, `no row for ${caller}`);
  return row.cells[OPERATIONS.indexOf(op)];
};

describe("e2e: who may read or change what (both stacks, end to end on dynalite)", function () {
  this.timeout(180_000);
  let issuer: Issuer;
  let restoreEnv: () => void;
  const tables: Record<string, Rows> = {};
  const cognito: Record<string, boolean> = {};

  before(async () => {
    restoreEnv = saveEnv();
    issuer = await startIssuer();
    for (const v of VARIANTS) {
      const model = await stackModel(v.stack, v.overrides);
      cognito[v.name] = isCognito(model);
      const plant = await plantFor(model, issuer);
      try {
        tables[v.name] = await matrix(plant);
      } finally {
        await plant.close();
      }
    }
  });
  after(async () => {
    await issuer?.close();
    restoreEnv?.();
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
    assert.deepStrictEqual(cognito, {
      dev: true,
      prod: true,
      "prod with identityProvider: oidc": false,
    });
    for (const stack of ["dev", "prod"]) {
      assert.strictEqual(cell(tables[stack], "admin", "GraphQL customerBookings(B)"), "✔ B's");
      assert.strictEqual(cell(tables[stack], "admin", "GraphQL loyalty(B)"), "✔ B's");
    }
    for (const [stack, who] of [
      ["dev", "federated user"],
      ["prod", "federated user"],
      ["prod with identityProvider: oidc", "admin (IdP groups: admin)"],
    ]) {
      assert.match(cell(tables[stack], who, "GraphQL customerBookings(B)"), /^✘ Unauthorized/);
      assert.strictEqual(cell(tables[stack], who, "GraphQL loyalty(B)"), "✘ Forbidden");
    }
  });

  it("is the matrix in the README (UPDATE_README=1 npm run test:e2e rewrites it)", () => {
    const block = [
      START,
      "",
      ...VARIANTS.flatMap((v) => [
        `**${v.name}** (${cognito[v.name] ? "Cognito user pool" : "external OIDC issuer"})`,
        "",
        markdown(tables[v.name]),
        "",
      ]),
      END,
    ].join("\n");
    const readme = fs.readFileSync(README, "utf8");
    const at = readme.indexOf(START);
    const end = readme.indexOf(END);
    if (process.env.UPDATE_README === "1") {
      const next =
        at >= 0
          ? readme.slice(0, at) + block + readme.slice(end + END.length)
          : `${readme}\n${block}\n`;
      fs.writeFileSync(README, next);
    }
    const now = fs.readFileSync(README, "utf8");
    const s = now.indexOf(START);
    assert.ok(s >= 0, "the README has no generated matrix; run UPDATE_README=1 npm run test:e2e");
    assert.strictEqual(now.slice(s, now.indexOf(END) + END.length), block);
  });
});
