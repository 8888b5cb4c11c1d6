/**
 * Temporary AWS credentials for signed-in users: a Cognito identity pool over a user pool's web
 * client, the roles it hands out (a traveller role scoped to the caller's own folders, optional
 * group roles and an optional telemetry-only guest role), and the bucket those folders live in,
 * encrypted with its own KMS key.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { assertValidArgs } from "./args";
import {
  bucketPolicy,
  GroupRoleArgs,
  groupRoleProblems,
  keyPolicy,
  mappingRules,
  PREFIXES,
  scopedPolicy,
  ScopedRoleArgs,
  scopedRoleProblems,
  travellerPolicy,
  trustPolicy,
} from "./identity-pool-access";
import { autonameProblems, NAME_LIMITS } from "./names";

export interface IdentityPoolArgs {
  /** The user pool's provider name, `cognito-idp.<region>.amazonaws.com/<poolId>` (its endpoint). */
  userPoolEndpoint: pulumi.Input<string>;
  /** The app client whose ID tokens the pool accepts (the public web client). */
  webClientId: pulumi.Input<string>;
  /**
   * Guests (unauthenticated identities): off when absent. When given, guests get a role with
   * exactly these actions on exactly these resources, telemetry only (validated).
   */
  guestRole?: ScopedRoleArgs;
  /** Roles for members of user-pool groups (`cognito:groups`), instead of the traveller role. */
  groupRoles?: GroupRoleArgs[];
  /** Origins of the web app that call S3 from the browser (the bucket's CORS rule). */
  allowedOrigins: string[];
  /** Days an uploaded document is kept (its current version), then expired. */
  documentRetentionDays: number;
  /** Days a boarding pass is kept, then expired. */
  boardingPassRetentionDays: number;
  /** Days an overwritten or deleted object's older version is kept. Default 7. */
  noncurrentVersionDays?: number;
  /**
   * Roles of the platform's own functions that read or write the bucket (e.g. the one that
   * issues boarding passes): the bucket and key policies let them in beside the pool's roles.
   */
  platformRoleArns?: pulumi.Input<string>[];
  /** Prod: the `protect` option on the pool, the bucket and the key. */
  protect: boolean;
  /** Tags for every taggable child. */
  tags?: Record<string, string>;
}

const retentionProblems = (field: string, v: unknown) =>
  Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 3650
    ? []
    : [`${field}: expected a whole number of days from 1 to 3650, found ${JSON.stringify(v)}`];

/** Every problem with the args, each naming its field; empty when they are usable. */
export function validateIdentityPoolArgs(name: string, args: IdentityPoolArgs): string[] {
  const problems: string[] = [];
  if (args.guestRole !== undefined)
    problems.push(...scopedRoleProblems("guestRole", args.guestRole));
  problems.push(...groupRoleProblems("groupRoles", args.groupRoles));
  problems.push(...retentionProblems("documentRetentionDays", args.documentRetentionDays));
  problems.push(...retentionProblems("boardingPassRetentionDays", args.boardingPassRetentionDays));
  if (args.noncurrentVersionDays !== undefined)
    problems.push(...retentionProblems("noncurrentVersionDays", args.noncurrentVersionDays));
  // S3 refuses a CORS rule without an origin, and browsers need one to call the bucket.
  if ((args.allowedOrigins ?? []).length === 0)
    problems.push("allowedOrigins: expected at least one origin of the web app");
  (args.allowedOrigins ?? []).forEach((o, i) => {
    if (!/^https?:\/\/[^/*\s]+$/.test(o))
      problems.push(
        `allowedOrigins[${i}]: expected an origin such as https://app.example.com, found '${o}'`,
      );
  });
  const roles = [
    `${name}-authenticated-role`,
    `${name}-guest-role`,
    ...(args.groupRoles ?? []).map((_, i) => `${name}-group-${i}-role`),
  ];
  problems.push(...autonameProblems("name", "role", roles, NAME_LIMITS.iamRole));
  return problems;
}

/**
 * A Cognito identity pool (enhanced flow only, guests off unless asked for) whose signed-in
 * travellers may put and get their own documents and get their own boarding passes in one
 * bucket, and nothing else. The bucket blocks public access, enforces bucket-owner ownership,
 * encrypts with its own key (bucket keys on), is versioned, expires what it holds, and its
 * policy refuses non-TLS requests and every principal but the pool's roles and the platform's.
 */
export class IdentityPool extends pulumi.ComponentResource {
  /** The identity pool's id, `<region>:<uuid>`: the `aud` of its tokens. */
  public readonly identityPoolId: pulumi.Output<string>;
  /** The role-mapping key: `cognito-idp.<region>.amazonaws.com/<poolId>:<clientId>`. */
  public readonly providerKey: pulumi.Output<string>;
  /** The signed-in traveller's role. */
  public readonly authenticatedRoleArn: pulumi.Output<string>;
  /** The guests' role, when guests are on. */
  public readonly guestRoleArn?: pulumi.Output<string>;
  /** Each group's role, by group name. */
  public readonly groupRoleArns: pulumi.Output<Record<string, string>>;
  /** The bucket of documents and boarding passes. */
  public readonly bucketName: pulumi.Output<string>;
  public readonly bucketArn: pulumi.Output<string>;
  /** The bucket's KMS key. */
  public readonly keyArn: pulumi.Output<string>;

  constructor(name: string, args: IdentityPoolArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sec1:identity:IdentityPool", name, {}, opts);
    assertValidArgs("IdentityPool", name, validateIdentityPoolArgs(name, args), this);
    const parent = { parent: this };
    const region = aws.getRegionOutput({}, parent).region;
    const partition = aws.getPartitionOutput({}, parent).partition;
    const account = aws.getCallerIdentityOutput({}, parent).accountId;
    const tags = args.tags ?? {};

    const pool = this.pool(name, args, tags);
    this.identityPoolId = pool.id;
    this.providerKey = pulumi.interpolate`${args.userPoolEndpoint}:${args.webClientId}`;
    const traveller = this.role(name, "authenticated", pool.id, "authenticated", tags);
    const guest = args.guestRole
      ? this.role(name, "guest", pool.id, "unauthenticated", tags)
      : undefined;
    const groups = (args.groupRoles ?? []).map((g, i) => ({
      group: g.group,
      spec: g,
      role: this.role(name, `group-${i}`, pool.id, "authenticated", tags),
    }));

    const bucket = this.bucket(name, args, tags);
    const userRoles = [traveller.arn, ...groups.map((g) => g.role.arn)];
    const dataRoles = [...userRoles, ...(args.platformRoleArns ?? [])];
    const key = new aws.kms.Key(
      `${name}-key`,
      {
        description: `Documents and boarding passes of identity pool ${name}`,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        policy: pulumi
          .all([partition, account, region, bucket.arn, pulumi.all(dataRoles)])
          .apply(([p, acct, r, bucketArn, roles]) =>
            JSON.stringify(keyPolicy({ partition: p, account: acct, region: r, bucketArn }, roles)),
          ),
        tags,
      },
      { parent: this, protect: args.protect },
    );
    const store = pulumi.all([bucket.arn, key.arn, region]).apply(([bucketArn, keyArn, r]) => ({
      bucketArn,
      keyArn,
      region: r,
    }));
    this.protectBucket(name, bucket, key, store, dataRoles);

    this.policy(
      name,
      "authenticated",
      traveller,
      store.apply((s) => travellerPolicy(s)),
    );
    if (guest && args.guestRole)
      this.policy(name, "guest", guest, pulumi.output(scopedPolicy(args.guestRole)));
    for (const [i, g] of groups.entries())
      this.policy(name, `group-${i}`, g.role, pulumi.output(scopedPolicy(g.spec)));

    this.attach(name, args.webClientId, pool, { traveller, guest, groups });

    this.authenticatedRoleArn = traveller.arn;
    this.guestRoleArn = guest?.arn;
    this.groupRoleArns = pulumi
      .all(groups.map((g) => g.role.arn))
      .apply((arns) => Object.fromEntries(groups.map((g, i) => [g.group, arns[i]])));
    this.bucketName = bucket.bucket;
    this.bucketArn = bucket.arn;
    this.keyArn = key.arn;
    this.registerOutputs({
      identityPoolId: this.identityPoolId,
      providerKey: this.providerKey,
      authenticatedRoleArn: this.authenticatedRoleArn,
      guestRoleArn: this.guestRoleArn,
      groupRoleArns: this.groupRoleArns,
      bucketName: this.bucketName,
      bucketArn: this.bucketArn,
      keyArn: this.keyArn,
    });
  }

  /**
   * The roles and their mapping: rules by token claims, and no credentials for a token no rule
   * matches (AmbiguousRoleResolution Deny), rather than a default role.
   * https://docs.aws.amazon.com/cognitoidentity/latest/APIReference/API_RoleMapping.html
   */
  private attach(
    name: string,
    webClient: pulumi.Input<string>,
    pool: aws.cognito.IdentityPool,
    roles: {
      traveller: aws.iam.Role;
      guest?: aws.iam.Role;
      groups: { group: string; role: aws.iam.Role }[];
    },
  ): aws.cognito.IdentityPoolRoleAttachment {
    const { traveller, guest, groups } = roles;
    const parent = { parent: this };
    const webClientId = pulumi.output(webClient);
    return new aws.cognito.IdentityPoolRoleAttachment(
      `${name}-roles`,
      {
        identityPoolId: pool.id,
        roles: guest
          ? { authenticated: traveller.arn, unauthenticated: guest.arn }
          : { authenticated: traveller.arn },
        roleMappings: [
          {
            identityProvider: this.providerKey,
            type: "Rules",
            ambiguousRoleResolution: "Deny",
            mappingRules: pulumi
              .all([webClientId, traveller.arn, pulumi.all(groups.map((g) => g.role.arn))])
              .apply(([client, travellerArn, groupArns]) =>
                mappingRules(
                  client,
                  travellerArn,
                  groups.map((g, i) => ({ group: g.group, roleArn: groupArns[i] })),
                ),
              ),
          },
        ],
      },
      parent,
    );
  }

  /**
   * The pool: the user pool's web client as its only provider, with the server-side check that
   * a token was not revoked; no classic (basic) flow, so the role mapping cannot be bypassed.
   * https://docs.aws.amazon.com/cognito/latest/developerguide/authentication-flow.html
   */
  private pool(name: string, args: IdentityPoolArgs, tags: Record<string, string>) {
    return new aws.cognito.IdentityPool(
      `${name}-pool`,
      {
        // Identity pool names allow letters, digits, spaces and underscores only.
        identityPoolName: name.replace(/[^\w ]/g, "_"),
        allowUnauthenticatedIdentities: args.guestRole !== undefined,
        allowClassicFlow: false,
        cognitoIdentityProviders: [
          {
            providerName: args.userPoolEndpoint,
            clientId: args.webClientId,
            serverSideTokenCheck: true,
          },
        ],
        tags,
      },
      { parent: this, protect: args.protect },
    );
  }

  /** A role only this pool's identities of one kind may assume. */
  private role(
    name: string,
    role: string,
    poolId: pulumi.Output<string>,
    amr: "authenticated" | "unauthenticated",
    tags: Record<string, string>,
  ): aws.iam.Role {
    return new aws.iam.Role(
      `${name}-${role}-role`,
      {
        description: `Identity pool ${name}: ${amr === "authenticated" ? "signed-in" : "guest"} identities (${role})`,
        assumeRolePolicy: poolId.apply((id) => JSON.stringify(trustPolicy(id, amr))),
        maxSessionDuration: 3600,
        tags,
      },
      { parent: this },
    );
  }

  /** A role's only permissions, as one inline role policy. */
  private policy(name: string, role: string, on: aws.iam.Role, doc: pulumi.Output<object>) {
    return new aws.iam.RolePolicy(
      `${name}-${role}-policy`,
      { role: on.id, policy: doc.apply((d) => JSON.stringify(d)) },
      { parent: this },
    );
  }

  /** The bucket, with its lifecycle: uploads and boarding passes expire, old versions too. */
  private bucket(name: string, args: IdentityPoolArgs, tags: Record<string, string>) {
    const bucket = new aws.s3.Bucket(
      `${name}-bucket`,
      { forceDestroy: false, tags },
      { parent: this, protect: args.protect },
    );
    const versioning = new aws.s3.BucketVersioning(
      `${name}-versioning`,
      { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } },
      { parent: this },
    );
    const expire = (id: string, prefix: string, days: number) => ({
      id,
      status: "Enabled",
      filter: { prefix: `${prefix}/` },
      expiration: { days },
      noncurrentVersionExpiration: { noncurrentDays: args.noncurrentVersionDays ?? 7 },
      abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
    });
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-lifecycle`,
      {
        bucket: bucket.id,
        rules: [
          expire("expire-documents", PREFIXES.documents, args.documentRetentionDays),
          expire("expire-boarding-passes", PREFIXES.boardingPasses, args.boardingPassRetentionDays),
          // Delete markers left once every version of an object has expired.
          {
            id: "remove-expired-delete-markers",
            status: "Enabled",
            filter: {},
            expiration: { expiredObjectDeleteMarker: true },
          },
        ],
      },
      // S3 applies noncurrent-version rules only to a versioned bucket.
      { parent: this, dependsOn: [versioning] },
    );
    // Browsers put and get objects directly with the pool's credentials (SigV4 headers).
    new aws.s3.BucketCorsConfiguration(
      `${name}-cors`,
      {
        bucket: bucket.id,
        corsRules: [
          {
            allowedOrigins: args.allowedOrigins,
            allowedMethods: ["GET", "PUT"],
            allowedHeaders: ["*"],
            exposeHeaders: ["ETag"],
            maxAgeSeconds: 3000,
          },
        ],
      },
      { parent: this },
    );
    return bucket;
  }

  /** Public access blocked, ACLs off, SSE-KMS with bucket keys, and the bucket policy. */
  private protectBucket(
    name: string,
    bucket: aws.s3.Bucket,
    key: aws.kms.Key,
    store: pulumi.Output<{ bucketArn: string; keyArn: string; region: string }>,
    dataRoles: pulumi.Input<string>[],
  ) {
    const parent = { parent: this };
    const publicAccess = new aws.s3.BucketPublicAccessBlock(
      `${name}-public-access`,
      {
        bucket: bucket.id,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
      parent,
    );
    new aws.s3.BucketOwnershipControls(
      `${name}-ownership`,
      { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
      parent,
    );
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-encryption`,
      {
        bucket: bucket.id,
        rules: [
          {
            applyServerSideEncryptionByDefault: {
              sseAlgorithm: "aws:kms",
              kmsMasterKeyId: key.arn,
            },
            // One data key per bucket for a while instead of a KMS call per object.
            bucketKeyEnabled: true,
          },
        ],
      },
      parent,
    );
    new aws.s3.BucketPolicy(
      `${name}-bucket-policy`,
      {
        bucket: bucket.id,
        policy: pulumi
          .all([store, pulumi.all(dataRoles)])
          .apply(([s, roles]) => JSON.stringify(bucketPolicy(s, roles))),
      },
      // Put after the public access block, so no moment exists with a policy and no block.
      { parent: this, dependsOn: [publicAccess] },
    );
  }
}
