// The Table component.
import * as assert from "assert";
import { Table, TableArgs, tableStatements, validateTableArgs } from "../components/table";
import { one, promiseOf, runComponents } from "./helpers/harness";

const TABLE = "aws:dynamodb/table:Table";

/** The bookings table as index.ts creates it. */
function bookingsArgs(overrides: Partial<TableArgs> = {}): TableArgs {
  return {
    partitionKey: { name: "customerId" },
    sortKey: { name: "bookingId" },
    deletionProtection: true,
    protect: true,
    tags: { team: "platform" },
    ...overrides,
  };
}

describe("components/table", () => {
  it("is on-demand, with point-in-time recovery and KMS server-side encryption", async () => {
    const run = await runComponents(() => void new Table("bookings", bookingsArgs()));
    const table = one(run, TABLE, "bookings-table");
    assert.strictEqual(table.inputs.billingMode, "PAY_PER_REQUEST");
    assert.deepStrictEqual(table.inputs.pointInTimeRecovery, { enabled: true });
    assert.strictEqual((table.inputs.serverSideEncryption as { enabled: boolean }).enabled, true);
    assert.deepStrictEqual(table.inputs.tags, { team: "platform" });
  });

  it("takes its key schema from the args, declaring only key attributes", async () => {
    const run = await runComponents(() => void new Table("bookings", bookingsArgs()));
    const table = one(run, TABLE, "bookings-table");
    assert.strictEqual(table.inputs.hashKey, "customerId");
    assert.strictEqual(table.inputs.rangeKey, "bookingId");
    assert.deepStrictEqual(table.inputs.attributes, [
      { name: "customerId", type: "S" },
      { name: "bookingId", type: "S" },
    ]);
  });

  it("streams changes only when asked, with the view asked for, and exports the stream's ARN", async () => {
    let streamArn: Promise<string | undefined> = Promise.resolve(undefined);
    const run = await runComponents(() => {
      new Table("plain", bookingsArgs());
      const streamed = new Table("streamed", { ...bookingsArgs(), stream: "NEW_IMAGE" });
      streamArn = streamed.streamArn ? promiseOf(streamed.streamArn) : streamArn;
    });
    assert.strictEqual(one(run, TABLE, "plain-table").inputs.streamEnabled, undefined);
    const table = one(run, TABLE, "streamed-table");
    assert.strictEqual(table.inputs.streamEnabled, true);
    assert.strictEqual(table.inputs.streamViewType, "NEW_IMAGE");
    assert.match(String(await streamArn), /:table\/streamed-table-\w+\/stream\//);
    assert.deepStrictEqual(
      validateTableArgs({ ...bookingsArgs(), stream: "ALL" as never }).map((p) => p.split(":")[0]),
      ["stream"],
    );
  });

  it("turns on deletion protection and protect when asked", async () => {
    const run = await runComponents(() => void new Table("bookings", bookingsArgs()));
    const table = one(run, TABLE, "bookings-table");
    assert.strictEqual(table.inputs.deletionProtectionEnabled, true);
    assert.strictEqual(table.options.protect, true);
  });

  it("leaves deletion protection and protect off when not asked (dev)", async () => {
    const run = await runComponents(
      () =>
        void new Table("bookings", bookingsArgs({ deletionProtection: false, protect: undefined })),
    );
    const table = one(run, TABLE, "bookings-table");
    assert.strictEqual(table.inputs.deletionProtectionEnabled, false);
    assert.strictEqual(table.options.protect, false);
  });

  it("lets a protect on the component reach the table", async () => {
    const run = await runComponents(
      () => void new Table("bookings", bookingsArgs({ protect: undefined }), { protect: true }),
    );
    assert.strictEqual(one(run, TABLE, "bookings-table").options.protect, true);
  });

  it("uses a customer managed key when given one", async () => {
    const keyArn = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555";
    const run = await runComponents(
      () => void new Table("bookings", bookingsArgs({ kmsKeyArn: keyArn })),
    );
    assert.deepStrictEqual(one(run, TABLE, "bookings-table").inputs.serverSideEncryption, {
      enabled: true,
      kmsKeyArn: keyArn,
    });
  });

  it("grants the listed actions on the table ARN only, and Query on its named indexes", async () => {
    let grant: ReturnType<Table["grant"]> = [];
    const run = await runComponents(() => {
      const t = new Table(
        "bookings",
        bookingsArgs({
          globalSecondaryIndexes: [
            {
              name: "byFlight",
              partitionKey: { name: "flightId" },
              sortKey: { name: "createdAt" },
            },
          ],
        }),
      );
      grant = t.grant(["dynamodb:GetItem", "dynamodb:Query", "dynamodb:Query"], "Bookings");
    });
    const arn = one(run, TABLE, "bookings-table").arn;
    assert.strictEqual(grant.length, 2);
    assert.deepStrictEqual(grant[0].Action, ["dynamodb:GetItem", "dynamodb:Query"]);
    assert.strictEqual(await promiseOf(grant[0].Resource as never), arn);
    assert.deepStrictEqual(grant[1].Action, ["dynamodb:Query"]);
    const indexArns = await Promise.all((grant[1].Resource as never[]).map((r) => promiseOf(r)));
    assert.deepStrictEqual(indexArns, [`${arn}/index/byFlight`]);
  });

  it("grants no index ARNs to a table without indexes", () => {
    const statements = tableStatements({ tableArn: "arn:aws:dynamodb:eu-west-1:1:table/t" }, [
      "dynamodb:Query",
    ]);
    assert.strictEqual(statements.length, 1);
  });

  it("grants KMS use through DynamoDB only, for a customer managed key", async () => {
    const statements = tableStatements(
      {
        tableArn: "arn:aws:dynamodb:eu-west-1:123456789012:table/t",
        kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/k",
        region: "eu-west-1",
      },
      ["dynamodb:GetItem"],
    );
    const key = statements.find((s) => s.Sid === "TableKey");
    assert.ok(key);
    assert.deepStrictEqual(key.Action, ["kms:Decrypt", "kms:DescribeKey"]);
    const via = await promiseOf(key.Condition?.StringEquals["kms:ViaService"] as never);
    assert.strictEqual(via, "dynamodb.eu-west-1.amazonaws.com");
  });

  it("refuses wildcard and unknown actions", () => {
    for (const action of ["dynamodb:*", "*", "dynamodb:DeleteTable"]) {
      assert.throws(
        () =>
          tableStatements({ tableArn: "arn:aws:dynamodb:eu-west-1:1:table/t" }, [action as never]),
        /unknown or wildcard action/,
      );
    }
  });

  it("reports every invalid argument at once, before creating the table", async () => {
    const bad = {
      partitionKey: { name: "" },
      sortKey: { name: "k", type: "X" as never },
      deletionProtection: "yes" as never,
      globalSecondaryIndexes: [
        { name: "ix", partitionKey: { name: "k", type: "N" as const }, projection: [] },
      ],
    };
    assert.deepStrictEqual(
      validateTableArgs(bad).map((p) => p.split(":")[0]),
      [
        "partitionKey.name",
        "sortKey.type",
        "deletionProtection",
        "globalSecondaryIndexes[0].name",
        "globalSecondaryIndexes[0].partitionKey.type",
        "globalSecondaryIndexes[0].projection",
      ],
    );
    const created: string[] = [];
    await assert.rejects(
      runComponents(() => void new Table("bad", bad), {
        overrides: (a) => void created.push(a.type),
      }),
      /Table 'bad' has invalid args/,
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepStrictEqual(
      created.filter((t) => t.startsWith("aws:")),
      [],
    );
  });
});
