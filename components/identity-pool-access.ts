/**
 * What the IdentityPool component's credentials may do, as pure functions: the validation of
 * the guest and group roles a stack asks for, the roles' trust policy, the signed-in traveller's
 * policy, the role-mapping rules, and the bucket and key policies. The component
 * (./identity-pool.ts) wires them to resources; the tests read them without the engine.
 */

/** The identity pool's service principal and the condition keys of its web-identity tokens. */
export const COGNITO_IDENTITY = "cognito-identity.amazonaws.com";

/**
 * The policy variable S3 sees for a request signed with identity-pool credentials: the
 * caller's **identity id** (`<region>:<uuid>`, what GetId returns), not the user pool's `sub`.
 * https://docs.aws.amazon.com/cognito/latest/developerguide/iam-roles.html#access-policies
 */
export const IDENTITY_ID_VARIABLE = "${cognito-identity.amazonaws.com:sub}";

/** The object-key prefixes of the bucket: each identity's own folder under each. */
export const PREFIXES = { documents: "documents", boardingPasses: "boarding-passes" } as const;

/** A role that guests (or members of one user-pool group) get: exactly these actions and resources. */
export interface ScopedRoleArgs {
  /** IAM actions, each `service:Action` with no wildcard, e.g. `rum:PutRumEvents`. */
  actions: string[];
  /** ARNs, each with no wildcard, e.g. one CloudWatch RUM app monitor. */
  resources: string[];
}

/** A role for the members of one group of this user pool (`cognito:groups`). */
export interface GroupRoleArgs extends ScopedRoleArgs {
  /** The user-pool group whose members get this role instead of the traveller role. */
  group: string;
}

/**
 * Services whose actions reach an API, a function, a data store, keys, secrets or identities:
 * a guest role may name none of them, and neither may a group role (its members would reach
 * them with credentials from a browser). CloudWatch Logs is refused too (its roles can read
 * logs); telemetry such as CloudWatch RUM is what is left.
 */
export const REFUSED_SERVICES = [
  // APIs and functions
  "execute-api",
  "apigateway",
  "appsync",
  "lambda",
  "states",
  // data stores
  "dynamodb",
  "dax",
  "s3",
  "s3-object-lambda",
  "s3express",
  "rds",
  "rds-data",
  "rds-db",
  "redshift",
  "redshift-data",
  "neptune-db",
  "docdb-elastic",
  "cassandra",
  "elasticache",
  "memorydb",
  "es",
  "aoss",
  "timestream",
  "glue",
  "athena",
  "sqs",
  "sns",
  "kinesis",
  "firehose",
  "logs",
  // secrets, keys and identities
  "secretsmanager",
  "ssm",
  "kms",
  "iam",
  "sts",
  "cognito-identity",
  "cognito-idp",
  "cognito-sync",
] as const;

const ACTION = /^([a-z0-9-]+):([A-Za-z0-9]+)$/;
const ARN = /^arn:aws[a-z-]*:([a-z0-9-]+):[a-z0-9-]*:(\d{12})?:\S+$/;
const GROUP = /^[\p{L}\p{M}\p{S}\p{N}\p{P}]{1,128}$/u;

/** Every problem with a scoped role's actions and resources, each under `field`. */
export function scopedRoleProblems(field: string, role: ScopedRoleArgs | undefined): string[] {
  if (!role || typeof role !== "object") return [`${field}: expected { actions, resources }`];
  const problems: string[] = [];
  const actions = Array.isArray(role.actions) ? role.actions : [];
  const resources = Array.isArray(role.resources) ? role.resources : [];
  if (actions.length === 0) problems.push(`${field}.actions: expected at least one action`);
  if (resources.length === 0) problems.push(`${field}.resources: expected at least one ARN`);
  actions.forEach((a, i) => {
    const m = ACTION.exec(String(a));
    if (String(a).includes("*") || String(a).includes("?"))
      problems.push(`${field}.actions[${i}]: wildcard actions are refused, found '${a}'`);
    else if (!m)
      problems.push(
        `${field}.actions[${i}]: expected service:Action such as rum:PutRumEvents, found '${a}'`,
      );
    else if ((REFUSED_SERVICES as readonly string[]).includes(m[1]))
      problems.push(
        `${field}.actions[${i}]: '${a}' could reach an API, a function, a data store, a key or an identity (${m[1]} is refused); grant telemetry only, such as rum:PutRumEvents`,
      );
  });
  resources.forEach((r, i) => {
    const m = ARN.exec(String(r));
    if (String(r).includes("*") || String(r).includes("?"))
      problems.push(`${field}.resources[${i}]: wildcard resources are refused, found '${r}'`);
    else if (!m) problems.push(`${field}.resources[${i}]: expected an ARN, found '${r}'`);
    else if ((REFUSED_SERVICES as readonly string[]).includes(m[1]))
      problems.push(`${field}.resources[${i}]: a ${m[1]} resource is refused, found '${r}'`);
    else if (!actions.some((a) => String(a).startsWith(`${m[1]}:`)))
      problems.push(`${field}.resources[${i}]: no action of ${m[1]} is granted on '${r}'`);
  });
  return problems;
}

/** Every problem with the group roles: names, duplicates, and each role's scope. */
export function groupRoleProblems(field: string, groups: GroupRoleArgs[] | undefined): string[] {
  const list = groups ?? [];
  const problems: string[] = [];
  // One rule per group plus the traveller rule; Cognito takes at most 25 rules per provider.
  if (list.length > 24) problems.push(`${field}: at most 24 group roles, found ${list.length}`);
  const seen = new Set<string>();
  list.forEach((g, i) => {
    if (typeof g?.group !== "string" || !GROUP.test(g.group))
      problems.push(`${field}[${i}].group: expected a user-pool group name, found '${g?.group}'`);
    else if (seen.has(g.group)) problems.push(`${field}[${i}].group: duplicate group '${g.group}'`);
    seen.add(g?.group);
    problems.push(...scopedRoleProblems(`${field}[${i}]`, g));
  });
  return problems;
}

/**
 * The trust policy of every role the pool hands out: only the identity pool service, only
 * `sts:AssumeRoleWithWebIdentity`, only tokens of this pool (`aud`) and of the given kind
 * (`amr`: `authenticated` for signed-in identities, `unauthenticated` for guests).
 * https://docs.aws.amazon.com/cognito/latest/developerguide/role-based-access-control.html
 */
export function trustPolicy(identityPoolId: string, amr: "authenticated" | "unauthenticated") {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: amr === "authenticated" ? "SignedInIdentitiesOfThisPool" : "GuestsOfThisPool",
        Effect: "Allow",
        Principal: { Federated: COGNITO_IDENTITY },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: { [`${COGNITO_IDENTITY}:aud`]: identityPoolId },
          "ForAnyValue:StringLike": { [`${COGNITO_IDENTITY}:amr`]: amr },
        },
      },
    ],
  };
}

/** The bucket's and key's ARNs and the region, for the policies below. */
export interface StoreRefs {
  bucketArn: string;
  keyArn: string;
  region: string;
}

/** `s3.<region>.amazonaws.com`: the key is used only through S3. */
const viaS3 = (region: string) => `s3.${region}.amazonaws.com`;

/**
 * The signed-in traveller's policy: put and get their own documents, get their own boarding
 * passes (the platform writes those), each under the identity id; the key only through S3 and
 * only for this bucket (with S3 Bucket Keys the encryption context is the bucket's ARN).
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-key.html
 */
export function travellerPolicy(refs: StoreRefs) {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "OwnDocuments",
        Effect: "Allow",
        Action: ["s3:PutObject", "s3:GetObject"],
        Resource: `${refs.bucketArn}/${PREFIXES.documents}/${IDENTITY_ID_VARIABLE}/*`,
      },
      {
        Sid: "OwnBoardingPasses",
        Effect: "Allow",
        Action: "s3:GetObject",
        Resource: `${refs.bucketArn}/${PREFIXES.boardingPasses}/${IDENTITY_ID_VARIABLE}/*`,
      },
      {
        Sid: "BucketKeyThroughS3",
        Effect: "Allow",
        Action: ["kms:GenerateDataKey", "kms:Decrypt"],
        Resource: refs.keyArn,
        Condition: {
          StringEquals: {
            "kms:ViaService": viaS3(refs.region),
            "kms:EncryptionContext:aws:s3:arn": refs.bucketArn,
          },
        },
      },
    ],
  };
}

/** A guest or group role's policy: exactly the configured actions on the configured resources. */
export function scopedPolicy(role: ScopedRoleArgs) {
  return {
    Version: "2012-10-17",
    Statement: [
      { Sid: "Granted", Effect: "Allow", Action: [...role.actions], Resource: [...role.resources] },
    ],
  };
}

/** A role-mapping rule, in the provider's shape (aws.cognito.IdentityPoolRoleAttachment). */
export interface MappingRule {
  claim: string;
  matchType: "Equals" | "Contains" | "StartsWith" | "NotEqual";
  value: string;
  roleArn: string;
}

/**
 * The rules, in order (Cognito uses the first that matches; with AmbiguousRoleResolution Deny
 * a token no rule matches gets no credentials). Groups come only from `cognito:groups`, which
 * only this user pool writes: a federated IdP's claims land in mapped attributes, never there.
 * Everyone else signed in through the web client (its id is the token's `aud`) is a traveller.
 * https://docs.aws.amazon.com/cognito/latest/developerguide/role-based-access-control.html
 */
export function mappingRules(
  webClientId: string,
  travellerRoleArn: string,
  groups: { group: string; roleArn: string }[],
): MappingRule[] {
  return [
    ...groups.map((g) => ({
      claim: "cognito:groups",
      matchType: "Contains" as const,
      value: g.group,
      roleArn: g.roleArn,
    })),
    { claim: "aud", matchType: "Equals", value: webClientId, roleArn: travellerRoleArn },
  ];
}

/** The object actions the bucket policy keeps from every principal it does not name. */
export const OBJECT_DATA_ACTIONS = [
  "s3:GetObject*",
  "s3:PutObject*",
  "s3:DeleteObject*",
  "s3:RestoreObject",
  "s3:AbortMultipartUpload",
  "s3:ListMultipartUploadParts",
  "s3:ListBucket*",
];

/**
 * The bucket policy: TLS only; object data only for the named roles (the pool's signed-in
 * roles and the platform's functions), whatever else an identity policy in the account grants;
 * objects written only with SSE-KMS under this bucket's key. Bucket administration (this
 * policy, lifecycle, encryption settings) stays with the account's administrators.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/example-bucket-policies.html
 */
export function bucketPolicy(refs: StoreRefs, dataRoleArns: string[]) {
  const objects = `${refs.bucketArn}/*`;
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [refs.bucketArn, objects],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
      {
        Sid: "DenyDataToOtherPrincipals",
        Effect: "Deny",
        Principal: "*",
        Action: OBJECT_DATA_ACTIONS,
        Resource: [refs.bucketArn, objects],
        // aws:PrincipalArn of an assumed-role session is the role's ARN.
        Condition: { ArnNotEquals: { "aws:PrincipalArn": dataRoleArns } },
      },
      {
        Sid: "DenyOtherEncryption",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:PutObject",
        Resource: objects,
        // Only when the header is sent (Null false): without it the bucket's default applies.
        // (An ...IfExists operator would be true without the header and deny every upload.)
        Condition: {
          Null: { "s3:x-amz-server-side-encryption": "false" },
          StringNotEquals: { "s3:x-amz-server-side-encryption": "aws:kms" },
        },
      },
      {
        Sid: "DenyOtherKeys",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:PutObject",
        Resource: objects,
        Condition: {
          Null: { "s3:x-amz-server-side-encryption-aws-kms-key-id": "false" },
          StringNotEquals: { "s3:x-amz-server-side-encryption-aws-kms-key-id": refs.keyArn },
        },
      },
    ],
  };
}

/**
 * The key policy: the account administers the key (without this statement nobody could change
 * the policy again); the bucket's roles use it only through S3 and only for this bucket.
 * https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
 */
export function keyPolicy(
  refs: Omit<StoreRefs, "keyArn"> & { partition: string; account: string },
  userRoleArns: string[],
) {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "AccountAdministersTheKey",
        Effect: "Allow",
        Principal: { AWS: `arn:${refs.partition}:iam::${refs.account}:root` },
        Action: "kms:*",
        Resource: "*",
      },
      {
        Sid: "BucketRolesThroughS3",
        Effect: "Allow",
        Principal: { AWS: userRoleArns },
        Action: ["kms:GenerateDataKey", "kms:Decrypt"],
        Resource: "*",
        Condition: {
          StringEquals: {
            "kms:ViaService": viaS3(refs.region),
            "kms:EncryptionContext:aws:s3:arn": refs.bucketArn,
          },
        },
      },
    ],
  };
}
