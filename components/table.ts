// One DynamoDB table (on-demand, encrypted, point-in-time recovery) and the narrow grants
// functions get on it.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { assertValidArgs } from "./args";
import type { PolicyStatement } from "./function";

/** One key attribute of a table or index. */
export interface KeyAttribute {
  /** Attribute name. */
  name: string;
  /** DynamoDB scalar type: S (string), N (number) or B (binary). Default S. */
  type?: "S" | "N" | "B";
}

/** A global secondary index. */
export interface GlobalIndex {
  /** Index name (3-255 letters, digits, `_`, `-`, `.`). */
  name: string;
  /** The index's partition key. */
  partitionKey: KeyAttribute;
  /** The index's sort key, if any. */
  sortKey?: KeyAttribute;
  /** What the index copies: ALL, KEYS_ONLY, or the listed attributes (INCLUDE). Default KEYS_ONLY. */
  projection?: "ALL" | "KEYS_ONLY" | string[];
}

export interface TableArgs {
  /** The partition (hash) key. */
  partitionKey: KeyAttribute;
  /** The sort (range) key, if any. */
  sortKey?: KeyAttribute;
  /** Global secondary indexes. */
  globalSecondaryIndexes?: GlobalIndex[];
  /** Refuse DeleteTable in AWS itself (set in prod): even a `pulumi destroy` cannot drop the data. */
  deletionProtection: boolean;
  /** Also mark the table `protect` in Pulumi, so the engine refuses to delete or replace it. */
  protect?: boolean;
  /**
   * A customer managed KMS key for server-side encryption. Default: the AWS managed key
   * `aws/dynamodb` (encryption is always on; this only chooses whose key).
   */
  kmsKeyArn?: pulumi.Input<string>;
  /** Attribute holding an epoch-seconds expiry, for DynamoDB TTL. */
  ttlAttribute?: string;
  /**
   * Turn on the table's stream with this view of each change (for a consumer such as a
   * notifier). Default: no stream.
   */
  stream?: "KEYS_ONLY" | "NEW_IMAGE" | "OLD_IMAGE" | "NEW_AND_OLD_IMAGES";
  /** Tags for the table. */
  tags?: Record<string, string>;
}

/** The data-plane DynamoDB actions a function may be granted on a table. */
export const TABLE_ACTIONS = [
  "dynamodb:GetItem",
  "dynamodb:BatchGetItem",
  "dynamodb:Query",
  "dynamodb:Scan",
  "dynamodb:PutItem",
  "dynamodb:UpdateItem",
  "dynamodb:DeleteItem",
  "dynamodb:BatchWriteItem",
  "dynamodb:ConditionCheckItem",
] as const;

/** One of {@link TABLE_ACTIONS}. */
export type TableAction = (typeof TABLE_ACTIONS)[number];

/** The actions that can read an index; the others only apply to the table itself. */
const INDEX_ACTIONS: readonly TableAction[] = ["dynamodb:Query", "dynamodb:Scan"];
const READ_ACTIONS: readonly TableAction[] = [
  "dynamodb:GetItem",
  "dynamodb:BatchGetItem",
  "dynamodb:Query",
  "dynamodb:Scan",
  "dynamodb:ConditionCheckItem",
];

const ATTRIBUTE = /^[A-Za-z0-9_.-]{1,255}$/;
const INDEX_NAME = /^[A-Za-z0-9_.-]{3,255}$/;

/** Checks table args and returns every problem (empty when valid), each naming its field. */
export function validateTableArgs(args: TableArgs): string[] {
  const problems: string[] = [];
  const key = (field: string, k: KeyAttribute | undefined) => {
    if (!k || !ATTRIBUTE.test(k.name ?? "")) {
      problems.push(`${field}.name: expected an attribute name of 1-255 letters, digits, _ . -`);
    }
    if (k?.type !== undefined && !["S", "N", "B"].includes(k.type)) {
      problems.push(`${field}.type: expected S, N or B, found '${k.type}'`);
    }
  };
  key("partitionKey", args.partitionKey);
  if (args.sortKey) key("sortKey", args.sortKey);
  if (args.partitionKey && args.sortKey && args.partitionKey.name === args.sortKey.name) {
    problems.push("sortKey.name: must differ from partitionKey.name");
  }
  if (typeof args.deletionProtection !== "boolean") {
    problems.push("deletionProtection: expected true or false");
  }
  const types = new Map<string, string>();
  const record = (field: string, k: KeyAttribute | undefined) => {
    if (!k?.name) return;
    const t = k.type ?? "S";
    const seen = types.get(k.name);
    if (seen !== undefined && seen !== t) {
      problems.push(`${field}.type: attribute '${k.name}' is already declared as ${seen}`);
    }
    types.set(k.name, t);
  };
  record("partitionKey", args.partitionKey);
  record("sortKey", args.sortKey);
  const names = new Set<string>();
  (args.globalSecondaryIndexes ?? []).forEach((ix, i) => {
    const field = `globalSecondaryIndexes[${i}]`;
    if (!INDEX_NAME.test(ix.name ?? "")) {
      problems.push(`${field}.name: expected 3-255 letters, digits, _ . -`);
    } else if (names.has(ix.name)) {
      problems.push(`${field}.name: duplicate index '${ix.name}'`);
    }
    names.add(ix.name);
    key(`${field}.partitionKey`, ix.partitionKey);
    if (ix.sortKey) key(`${field}.sortKey`, ix.sortKey);
    record(`${field}.partitionKey`, ix.partitionKey);
    record(`${field}.sortKey`, ix.sortKey);
    if (Array.isArray(ix.projection) && ix.projection.length === 0) {
      problems.push(`${field}.projection: expected at least one attribute (or ALL / KEYS_ONLY)`);
    }
  });
  const views = ["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"];
  if (args.stream !== undefined && !views.includes(args.stream)) {
    problems.push(`stream: expected one of ${views.join(", ")}, found '${args.stream}'`);
  }
  if (args.ttlAttribute !== undefined && !ATTRIBUTE.test(args.ttlAttribute)) {
    problems.push("ttlAttribute: expected an attribute name of 1-255 letters, digits, _ . -");
  }
  return problems;
}

/** What {@link tableStatements} needs to know about a table. */
export interface TableGrantTarget {
  /** The table's ARN. */
  tableArn: pulumi.Input<string>;
  /** Names of the table's indexes (index ARNs are granted only for Query and Scan). */
  indexNames?: string[];
  /** The customer managed key of the table, when it has one. */
  kmsKeyArn?: pulumi.Input<string>;
  /** The table's region (for the kms:ViaService condition); needed with `kmsKeyArn`. */
  region?: pulumi.Input<string>;
}

/**
 * Least-privilege statements for `actions` on one table: the table ARN for every action, the
 * ARNs of its named indexes only for Query and Scan, and, for a customer managed key, KMS use
 * limited to calls DynamoDB makes on the caller's behalf. Throws on an unknown or wildcard action.
 */
export function tableStatements(
  target: TableGrantTarget,
  actions: readonly TableAction[],
  sid = "Table",
): PolicyStatement[] {
  const unknown = actions.filter((a) => !(TABLE_ACTIONS as readonly string[]).includes(a));
  if (unknown.length > 0) {
    throw new Error(
      `tableStatements: unknown or wildcard action(s) ${unknown.join(", ")}; expected some of ${TABLE_ACTIONS.join(", ")}`,
    );
  }
  if (actions.length === 0) throw new Error("tableStatements: expected at least one action");
  const unique = [...new Set(actions)];
  const statements: PolicyStatement[] = [
    { Sid: `${sid}Items`, Effect: "Allow", Action: unique, Resource: target.tableArn },
  ];
  const onIndexes = unique.filter((a) => INDEX_ACTIONS.includes(a));
  if (onIndexes.length > 0 && (target.indexNames ?? []).length > 0) {
    statements.push({
      Sid: `${sid}Indexes`,
      Effect: "Allow",
      Action: onIndexes,
      Resource: (target.indexNames ?? []).map(
        (ix) => pulumi.interpolate`${target.tableArn}/index/${ix}`,
      ),
    });
  }
  if (target.kmsKeyArn !== undefined) {
    const writes = unique.some((a) => !READ_ACTIONS.includes(a));
    statements.push({
      Sid: `${sid}Key`,
      Effect: "Allow",
      Action: writes
        ? ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
        : ["kms:Decrypt", "kms:DescribeKey"],
      Resource: target.kmsKeyArn,
      Condition: {
        StringEquals: {
          "kms:ViaService": pulumi.interpolate`dynamodb.${target.region ?? aws.getRegionOutput().region}.amazonaws.com`,
        },
      },
    });
  }
  return statements;
}

/**
 * One DynamoDB table that holds customer data: on-demand capacity, point-in-time recovery,
 * server-side encryption with KMS, deletion protection (and Pulumi `protect`) when asked.
 */
export class Table extends pulumi.ComponentResource {
  /** The DynamoDB table resource. */
  public readonly table: aws.dynamodb.Table;
  /** The table's ARN (grants name it). */
  public readonly arn: pulumi.Output<string>;
  /** The table's name (handlers read it from their environment). */
  public readonly tableName: pulumi.Output<string>;
  /** The stream's ARN when `stream` is set (an event source mapping reads it), else undefined. */
  public readonly streamArn?: pulumi.Output<string>;
  private readonly indexNames: string[];
  private readonly kmsKeyArn?: pulumi.Input<string>;

  constructor(name: string, args: TableArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sec1:storage:Table", name, {}, opts);
    const problems = validateTableArgs(args);
    assertValidArgs("Table", name, problems, this);
    const indexes = args.globalSecondaryIndexes ?? [];
    this.indexNames = indexes.map((ix) => ix.name);
    this.kmsKeyArn = args.kmsKeyArn;

    // DynamoDB wants exactly the attributes used by a key of the table or an index.
    const attributes = new Map<string, string>();
    for (const k of [
      args.partitionKey,
      args.sortKey,
      ...indexes.flatMap((ix) => [ix.partitionKey, ix.sortKey]),
    ]) {
      if (k) attributes.set(k.name, k.type ?? "S");
    }

    this.table = new aws.dynamodb.Table(
      `${name}-table`,
      {
        billingMode: "PAY_PER_REQUEST",
        hashKey: args.partitionKey.name,
        rangeKey: args.sortKey?.name,
        attributes: [...attributes].map(([attrName, type]) => ({ name: attrName, type })),
        globalSecondaryIndexes: indexes.length
          ? indexes.map((ix) => ({
              name: ix.name,
              hashKey: ix.partitionKey.name,
              rangeKey: ix.sortKey?.name,
              projectionType: Array.isArray(ix.projection)
                ? "INCLUDE"
                : (ix.projection ?? "KEYS_ONLY"),
              nonKeyAttributes: Array.isArray(ix.projection) ? ix.projection : undefined,
            }))
          : undefined,
        pointInTimeRecovery: { enabled: true },
        // Encryption at rest is always on in DynamoDB; enabling it here makes it a KMS key we
        // can see in CloudTrail (aws/dynamodb, or the customer managed key given).
        serverSideEncryption: { enabled: true, kmsKeyArn: args.kmsKeyArn },
        deletionProtectionEnabled: args.deletionProtection,
        ttl: args.ttlAttribute ? { attributeName: args.ttlAttribute, enabled: true } : undefined,
        streamEnabled: args.stream !== undefined ? true : undefined,
        streamViewType: args.stream,
        tags: args.tags ?? {},
      },
      // Left unset unless asked, so a `protect` on the component still reaches the table.
      { parent: this, ...(args.protect !== undefined ? { protect: args.protect } : {}) },
    );

    this.arn = this.table.arn;
    this.tableName = this.table.name;
    if (args.stream !== undefined) this.streamArn = this.table.streamArn;
    this.registerOutputs({ arn: this.arn, tableName: this.tableName, streamArn: this.streamArn });
  }

  /** Least-privilege statements for `actions` on this table and its indexes (see {@link tableStatements}). */
  public grant(actions: readonly TableAction[], sid = "Table"): PolicyStatement[] {
    return tableStatements(
      { tableArn: this.arn, indexNames: this.indexNames, kmsKeyArn: this.kmsKeyArn },
      actions,
      sid,
    );
  }
}
