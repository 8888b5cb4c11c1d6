/**
 * One scope rule for every API, and admins only where config says: tokens signed by the local
 * issuer, verified as AppSync and API Gateway verify them, through the APPSYNC_JS code and the
 * loyalty resolver bundle the program uploads, on dynalite.
 */
import * as assert from "assert";
import { QueryCommand } from "@aws-sdk/client-dynamodb";
import { PROD_OIDC } from "../helpers/harness";
import { saveEnv, stackModel } from "./harness";
import { Issuer, startIssuer } from "./issuer";
import {
  adminGroups,
  Caller,
  callOperation,
  OPERATIONS,
  Plant,
  plantFor,
  SUB,
  userClaims,
} from "./matrix";

/** An external issuer that happens to be a Cognito user pool (another account's, say). */
const POOL_AS_OIDC = {
  ...PROD_OIDC,
  oidcIssuer: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_PartnerPool",
};

const token = (label: string, claims: Record<string, unknown>): Caller => ({
  label,
  kind: "token",
  claims,
});

/** How many bookings a customer has in the stack's bookings table. */
async function bookingsOf(plant: Plant, sub: string): Promise<number> {
  const table = plant.model.tableOf(plant.model.fn("bookings"), "BOOKINGS_TABLE_NAME");
  const out = await plant.engine.client.send(
    new QueryCommand({
      TableName: table.name,
      KeyConditionExpression: "#pk = :pk",
      ExpressionAttributeNames: { "#pk": table.hashKey },
      ExpressionAttributeValues: { ":pk": { S: sub } },
    }),
  );
  return out.Count ?? 0;
}

describe("e2e: one caller rule for GraphQL and HTTP (real tokens, uploaded resolvers)", function () {
  this.timeout(180_000);
  let issuer: Issuer;
  let restoreEnv: () => void;
  const plants: Plant[] = [];
  const plant = async (stack: string, overrides: Record<string, unknown> = {}) => {
    const p = await plantFor(await stackModel(stack, overrides), issuer);
    plants.push(p);
    return p;
  };

  before(async () => {
    restoreEnv = saveEnv();
    issuer = await startIssuer();
  });
  after(async () => {
    for (const p of plants) await p.close();
    await issuer.close();
    restoreEnv();
  });

  describe("dev (Cognito user pool)", () => {
    let dev: Plant;
    let out: Record<string, any>;
    before(async () => {
      dev = await plant("dev");
      out = dev.model.run.outputs as Record<string, any>;
    });

    it("createBooking needs airline/bookings.write like POST /bookings: a read-only access token books nothing", async () => {
      const readOnly = token(
        "read only",
        userClaims(out, true)(SUB.A, { scope: out.identityScopes["bookings.read"] }),
      );
      const before = await bookingsOf(dev, SUB.A);
      assert.strictEqual(
        await callOperation(dev, readOnly, "HTTP POST /bookings"),
        "✘ 403 (scope)",
      );
      assert.strictEqual(
        await callOperation(dev, readOnly, "GraphQL createBooking"),
        "✘ Unauthorized",
      );
      assert.strictEqual(await bookingsOf(dev, SUB.A), before, "no booking written");
      // The read scope still reads, on both APIs.
      assert.strictEqual(await callOperation(dev, readOnly, "GraphQL myBookings"), "✔ A's");
      assert.strictEqual(await callOperation(dev, readOnly, "HTTP GET /bookings"), "✔ A's");
    });

    it("reads need airline/bookings.read like GET /bookings: a write-only access token reads nothing", async () => {
      const writeOnly = token(
        "write only",
        userClaims(out, true)(SUB.B, { scope: out.identityScopes["bookings.write"] }),
      );
      assert.strictEqual(
        await callOperation(dev, writeOnly, "HTTP GET /bookings"),
        "✘ 403 (scope)",
      );
      for (const op of ["GraphQL myBookings", "GraphQL booking(B's)"] as const)
        assert.strictEqual(await callOperation(dev, writeOnly, op), "✘ Unauthorized", op);
      assert.strictEqual(await callOperation(dev, writeOnly, "GraphQL createBooking"), "✔ B's");
    });

    it("refuses the user pool's ID tokens (no scopes) on every field, an admin's too", async () => {
      const id = (sub: string, extra: Record<string, unknown> = {}) =>
        token("id token", {
          iss: out.identityIssuerUrl,
          sub,
          aud: out.webClientId,
          token_use: "id",
          ...extra,
        });
      const before = await bookingsOf(dev, SUB.A);
      for (const caller of [id(SUB.A), id(SUB.admin, adminGroups(true))])
        for (const op of OPERATIONS.filter((o) => o.startsWith("GraphQL")))
          assert.match(await callOperation(dev, caller, op), /^✘ (Unauthorized|Forbidden)$/, op);
      assert.strictEqual(await bookingsOf(dev, SUB.A), before, "no booking written");
    });
  });

  describe("identityProvider: oidc with an issuer that is a Cognito user pool", () => {
    const admin = (out: Record<string, any>, claims: Record<string, unknown>) =>
      token("admin?", userClaims(out, false)(SUB.admin, claims));

    it("without oidcGroupsClaim nobody is an admin: cognito:groups admin reads no other customer's bookings or loyalty", async () => {
      const oidc = await plant("prod", POOL_AS_OIDC);
      const out = oidc.model.run.outputs as Record<string, any>;
      for (const claims of [adminGroups(true), adminGroups(false)]) {
        const caller = admin(out, claims);
        assert.strictEqual(
          await callOperation(oidc, caller, "GraphQL customerBookings(B)"),
          "✘ Unauthorized",
        );
        assert.strictEqual(await callOperation(oidc, caller, "GraphQL loyalty(B)"), "✘ Forbidden");
      }
    });

    it("with oidcGroupsClaim: groups, only that claim of the configured issuer names an admin, in both resolvers", async () => {
      const oidc = await plant("prod", { ...POOL_AS_OIDC, oidcGroupsClaim: "groups" });
      const out = oidc.model.run.outputs as Record<string, any>;
      const named = admin(out, { groups: ["admin"] });
      assert.strictEqual(await callOperation(oidc, named, "GraphQL customerBookings(B)"), "✔ B's");
      assert.strictEqual(await callOperation(oidc, named, "GraphQL loyalty(B)"), "✔ B's");
      const other = admin(out, adminGroups(true));
      assert.strictEqual(
        await callOperation(oidc, other, "GraphQL customerBookings(B)"),
        "✘ Unauthorized",
      );
      assert.strictEqual(await callOperation(oidc, other, "GraphQL loyalty(B)"), "✘ Forbidden");
      // The machine client (loyalty.read) books nothing: createBooking needs bookings.write.
      const machine = token("machine", {
        iss: out.identityIssuerUrl,
        sub: "svc-loyalty-reader",
        aud: "api://bookings",
        scope: out.identityScopes["loyalty.read"],
      });
      assert.strictEqual(
        await callOperation(oidc, machine, "GraphQL createBooking"),
        "✘ Unauthorized",
      );
    });
  });
});
