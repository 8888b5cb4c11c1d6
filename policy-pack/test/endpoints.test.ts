import * as assert from "node:assert";
import {
  appsyncInternalVisibility,
  policies,
  privateApiResourcePolicy,
  resourcePolicyAnyAccount,
  resourcePolicyScope,
  resourcePolicySourceVpce,
  restEndpointType,
  vpcEndpointExecuteApi,
  vpcEndpointPrivateDns,
} from "../policies/endpoints";
import {
  messagesOf,
  runResourcePolicy,
  runStackPolicy,
  StackResourceInput,
  UNKNOWN,
  urnOf,
} from "./helpers/run-policy";
import { gate, ROLE, VPCE } from "./helpers/policy-documents";

const REST_API = "aws:apigateway/restApi:RestApi";
const REST_API_POLICY = "aws:apigateway/restApiPolicy:RestApiPolicy";
const VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint";
const GRAPHQL_API = "aws:appsync/graphQLApi:GraphQLApi";
const openPolicy = {
  Version: "2012-10-17",
  Statement: [
    {
      Sid: "Everyone",
      Effect: "Allow",
      Principal: { AWS: "*" },
      Action: "execute-api:Invoke",
      Resource: "execute-api:/*",
    },
  ],
};

/** A PRIVATE REST API with a separate RestApiPolicy holding the gate, linked by dependency. */
function privateStack(
  api: Record<string, unknown> = {},
  policy: Record<string, unknown> = {},
): StackResourceInput[] {
  return [
    {
      type: REST_API,
      name: "loyalty-api",
      props: { name: "loyalty", endpointConfiguration: { types: "PRIVATE" }, ...api },
    },
    {
      type: REST_API_POLICY,
      name: "loyalty-api-policy",
      props: { restApiId: "a1b2c3d4e5", policy: JSON.stringify(gate()), ...policy },
      propertyDependencies: { restApiId: [urnOf(REST_API, "loyalty-api")] },
    },
  ];
}

describe("endpoint policies: the set", () => {
  it("exports every E policy with a sec1-e- name, description, level and doc URL", () => {
    assert.strictEqual(policies.length, 8);
    for (const p of policies) {
      assert.match(p.name, /^sec1-e-[a-z0-9-]+$/);
      assert.ok(p.description.length > 40, p.name);
      assert.ok(p.enforcementLevel === "mandatory" || p.enforcementLevel === "advisory");
      assert.match(String(p.url), /^https:\/\/docs\.aws\.amazon\.com\//);
      assert.ok(p.tags?.includes("SEC1"));
    }
  });
});

describe("sec1-e-rest-endpoint-type", () => {
  const run = (props: Record<string, unknown>, config = {}) =>
    runResourcePolicy(restEndpointType, { type: REST_API, name: "api", props }, config);

  it("accepts REGIONAL and PRIVATE, as a string or an array", async () => {
    for (const types of ["REGIONAL", "PRIVATE", ["PRIVATE"], ["REGIONAL"]]) {
      assert.deepStrictEqual(messagesOf(await run({ endpointConfiguration: { types } })), []);
    }
  });

  it("reports an EDGE API, and an API with no endpoint configuration (EDGE by default)", async () => {
    for (const props of [{ endpointConfiguration: { types: ["EDGE"] } }, {}]) {
      const messages = messagesOf(await run(props));
      assert.strictEqual(messages.length, 1);
      assert.match(
        messages[0],
        /REST API 'api' must use an allowed endpoint type .* not EDGE; set endpointConfiguration\.types/,
      );
    }
  });

  it("allows EDGE when config allows it", async () => {
    const config = { allowedTypes: ["EDGE", "REGIONAL", "PRIVATE"] };
    assert.deepStrictEqual(messagesOf(await run({}, config)), []);
  });

  it("requires PRIVATE for an API tagged internal", async () => {
    const props = {
      endpointConfiguration: { types: "REGIONAL" },
      tags: { "api-visibility": "Internal" },
    };
    const messages = messagesOf(await run(props));
    assert.strictEqual(messages.length, 1);
    assert.match(messages[0], /must be PRIVATE because it is marked internal/);
    assert.deepStrictEqual(messagesOf(await run(props, { requirePrivateForInternal: false })), []);
  });

  it("requires PRIVATE for an API whose name matches the configured pattern", async () => {
    const props = { name: "internal-loyalty", endpointConfiguration: { types: "REGIONAL" } };
    assert.deepStrictEqual(messagesOf(await run(props)), []);
    assert.strictEqual(
      messagesOf(await run(props, { internalNamePattern: "internal-*" })).length,
      1,
    );
  });

  it("stays silent when the endpoint configuration or its types are unknown", async () => {
    for (const props of [
      { endpointConfiguration: UNKNOWN },
      { endpointConfiguration: { types: UNKNOWN } },
    ]) {
      const result = await run(props);
      assert.deepStrictEqual(result.violations, []);
      assert.deepStrictEqual(result.previewErrors, []);
    }
  });
});

describe("sec1-e-private-api-resource-policy", () => {
  const run = (resources: StackResourceInput[]) =>
    runStackPolicy(privateApiResourcePolicy, resources);

  it("accepts a PRIVATE API with a RestApiPolicy linked by property dependency", async () => {
    assert.deepStrictEqual(messagesOf(await run(privateStack())), []);
  });

  it("accepts a PRIVATE API with an inline policy", async () => {
    const stack = privateStack({ policy: JSON.stringify(gate()) }).slice(0, 1);
    assert.deepStrictEqual(messagesOf(await run(stack)), []);
  });

  it("reports a PRIVATE API with no resource policy, on the API", async () => {
    const result = await run(privateStack().slice(0, 1));
    assert.strictEqual(result.violations.length, 1);
    assert.match(
      result.violations[0].message,
      /REST API 'loyalty-api' must have a resource policy because it is PRIVATE/,
    );
    assert.strictEqual(result.violations[0].urn, urnOf(REST_API, "loyalty-api"));
  });

  it("reports a PRIVATE API whose RestApiPolicy belongs to another API", async () => {
    const stack = privateStack();
    stack.push({
      type: REST_API,
      name: "other-api",
      props: { endpointConfiguration: { types: "REGIONAL" } },
    });
    stack[1].propertyDependencies = { restApiId: [urnOf(REST_API, "other-api")] };
    assert.strictEqual(messagesOf(await run(stack)).length, 1);
  });

  it("ignores REGIONAL APIs", async () => {
    const stack = privateStack({ endpointConfiguration: { types: "REGIONAL" } }).slice(0, 1);
    assert.deepStrictEqual(messagesOf(await run(stack)), []);
  });

  it("stays silent when a RestApiPolicy's API id is unknown and has no dependency (preview)", async () => {
    const stack = privateStack({}, { restApiId: UNKNOWN });
    stack[1].propertyDependencies = {};
    const result = await run(stack);
    assert.deepStrictEqual(result.violations, []);
    assert.deepStrictEqual(result.previewErrors, []);
  });
});

describe("sec1-e-resource-policy-source-vpce", () => {
  const run = (resources: StackResourceInput[], config = {}) =>
    runStackPolicy(resourcePolicySourceVpce, resources, config);

  it("accepts the VPC endpoint gate (Deny StringNotEquals aws:SourceVpce covering the Allow)", async () => {
    assert.deepStrictEqual(messagesOf(await run(privateStack())), []);
  });

  it("accepts an object-form policy whose Allow is conditioned on aws:SourceVpc", async () => {
    const policy = {
      Statement: [
        { ...openPolicy.Statement[0], Condition: { StringEquals: { "aws:SourceVpc": "vpc-0a" } } },
      ],
    };
    assert.deepStrictEqual(messagesOf(await run(privateStack({}, { policy }))), []);
  });

  it("reports an Allow for {AWS: *} with no VPC limit, on the RestApiPolicy, naming the statement", async () => {
    const result = await run(privateStack({}, { policy: JSON.stringify(openPolicy) }));
    assert.strictEqual(result.violations.length, 1);
    assert.match(
      result.violations[0].message,
      /RestApiPolicy 'loyalty-api-policy' \(of REST API 'loyalty-api'\) must limit statement 'Everyone' .* set its Condition to/,
    );
    assert.strictEqual(result.violations[0].urn, urnOf(REST_API_POLICY, "loyalty-api-policy"));
  });

  it("reports an inline policy whose Deny covers only one stage", async () => {
    const policy = gate();
    (policy.Statement as { Resource: string }[])[1].Resource = "execute-api:/prod/*";
    const stack = privateStack({ policy }).slice(0, 1);
    assert.strictEqual(messagesOf(await run(stack)).length, 1);
  });

  it("checks REGIONAL APIs only when config says applyTo all", async () => {
    const stack = privateStack(
      { endpointConfiguration: { types: "REGIONAL" } },
      { policy: openPolicy },
    );
    assert.deepStrictEqual(messagesOf(await run(stack)), []);
    assert.strictEqual(messagesOf(await run(stack, { applyTo: "all" })).length, 1);
  });

  it("reports an Allow limited only by ...IfExists on aws:SourceVpce on a public API (internet requests carry no such key)", async () => {
    const policy = {
      Statement: [
        {
          ...openPolicy.Statement[0],
          Condition: { StringEqualsIfExists: { "aws:SourceVpce": VPCE } },
        },
      ],
    };
    const regional = privateStack({ endpointConfiguration: { types: "REGIONAL" } }, { policy });
    const messages = messagesOf(await run(regional, { applyTo: "all" }));
    assert.strictEqual(messages.length, 1, JSON.stringify(messages));
    assert.match(messages[0], /must limit statement 'Everyone'/);
    // Every request to a PRIVATE API comes through an interface endpoint: the key is present.
    assert.deepStrictEqual(messagesOf(await run(privateStack({}, { policy }))), []);
    // A plain StringEquals is a limit for both: a request without the key does not match it.
    const strict = {
      Statement: [
        { ...openPolicy.Statement[0], Condition: { StringEquals: { "aws:SourceVpce": VPCE } } },
      ],
    };
    const regionalStrict = privateStack(
      { endpointConfiguration: { types: "REGIONAL" } },
      { policy: strict },
    );
    assert.deepStrictEqual(messagesOf(await run(regionalStrict, { applyTo: "all" })), []);
  });

  it("stays silent for an unknown (preview) or broken policy document", async () => {
    for (const policy of [
      UNKNOWN,
      '{"Statement": [',
      { Statement: [{ Effect: "Allow", Resource: UNKNOWN }] },
    ]) {
      const result = await run(privateStack({}, { policy }));
      assert.deepStrictEqual(result.violations, [], JSON.stringify(policy));
      assert.deepStrictEqual(result.previewErrors, []);
    }
  });
});

describe("sec1-e-resource-policy-scope (advisory)", () => {
  const rolePolicy = (resource: string) => ({
    Statement: [
      ...(gate().Statement as unknown[]),
      {
        Sid: "Caller",
        Effect: "Allow",
        Principal: { AWS: ROLE },
        Action: "execute-api:Invoke",
        Resource: resource,
      },
    ],
  });
  const run = (policy: unknown, config = {}) =>
    runStackPolicy(resourcePolicyScope, privateStack({}, { policy }), config);

  it("accepts the gate for * and a role Allow scoped to stage, method and path", async () => {
    assert.deepStrictEqual(
      messagesOf(await run(rolePolicy("execute-api:/prod/GET/loyalty/*"))),
      [],
    );
  });

  it("reports a role Allow on execute-api:/* (widens the role to the whole API)", async () => {
    const messages = messagesOf(await run(rolePolicy("execute-api:/*")));
    assert.strictEqual(messages.length, 1);
    assert.match(
      messages[0],
      /must scope statement 'Caller' .* not the whole API \(execute-api:\/\*\)/,
    );
  });

  it("accepts a stage-wide role Allow when config asks only for stage scope", async () => {
    assert.strictEqual(messagesOf(await run(rolePolicy("execute-api:/prod/*"))).length, 1);
    assert.deepStrictEqual(
      messagesOf(await run(rolePolicy("execute-api:/prod/*"), { minimumScope: "stage" })),
      [],
    );
  });

  it("checks Allows for * too when config includes the wildcard principal", async () => {
    assert.strictEqual(messagesOf(await run(gate(), { includeWildcardPrincipal: true })).length, 1);
  });

  it("stays silent for an unknown policy", async () => {
    assert.deepStrictEqual(messagesOf(await run(UNKNOWN)), []);
  });
});

describe("sec1-e-vpc-endpoint-execute-api", () => {
  const good = {
    serviceName: "com.amazonaws.us-east-1.execute-api",
    vpcEndpointType: "Interface",
    securityGroupIds: ["sg-0123"],
    subnetIds: ["subnet-1"],
    privateDnsEnabled: true,
  };
  const run = (props: Record<string, unknown>) =>
    runResourcePolicy(vpcEndpointExecuteApi, { type: VPC_ENDPOINT, name: "vpce", props });

  it("accepts an Interface endpoint with security groups", async () => {
    assert.deepStrictEqual(messagesOf(await run(good)), []);
  });

  it("reports a Gateway (default) type and missing security groups, one violation each", async () => {
    const { vpcEndpointType, securityGroupIds, ...rest } = good;
    void vpcEndpointType;
    void securityGroupIds;
    const messages = messagesOf(await run(rest));
    assert.strictEqual(messages.length, 2);
    assert.match(
      messages[0],
      /must be an Interface endpoint .* not Gateway \(the default\); set vpcEndpointType to "Interface"/,
    );
    assert.match(messages[1], /must have security groups .* set securityGroupIds/);
  });

  it("ignores endpoints for other services", async () => {
    assert.deepStrictEqual(
      messagesOf(await run({ serviceName: "com.amazonaws.us-east-1.s3" })),
      [],
    );
  });

  it("stays silent when the service name or fields are unknown", async () => {
    assert.deepStrictEqual(messagesOf(await run({ serviceName: UNKNOWN })), []);
    const result = await run({ ...good, vpcEndpointType: UNKNOWN, securityGroupIds: UNKNOWN });
    assert.deepStrictEqual(result.violations, []);
    assert.deepStrictEqual(result.previewErrors, []);
  });
});

describe("sec1-e-vpc-endpoint-private-dns (advisory)", () => {
  const props = {
    serviceName: "com.amazonaws.eu-west-1.execute-api",
    vpcEndpointType: "Interface",
    securityGroupIds: ["sg-1"],
  };
  const run = (p: Record<string, unknown>) =>
    runResourcePolicy(vpcEndpointPrivateDns, { type: VPC_ENDPOINT, name: "vpce", props: p });

  it("accepts private DNS enabled", async () => {
    assert.deepStrictEqual(messagesOf(await run({ ...props, privateDnsEnabled: true })), []);
  });

  it("reports private DNS off (the default)", async () => {
    const messages = messagesOf(await run(props));
    assert.strictEqual(messages.length, 1);
    assert.match(messages[0], /set privateDnsEnabled to true/);
  });

  it("stays silent when privateDnsEnabled is unknown", async () => {
    assert.deepStrictEqual(messagesOf(await run({ ...props, privateDnsEnabled: UNKNOWN })), []);
  });
});

describe("sec1-e-appsync-internal-visibility", () => {
  const run = (props: Record<string, unknown>, config = {}) =>
    runResourcePolicy(
      appsyncInternalVisibility,
      { type: GRAPHQL_API, name: "graph", props },
      config,
    );
  const internal = { name: "loyalty-graph", tags: { "api-visibility": "internal" } };

  it("accepts an internal API with visibility PRIVATE, and a public API that is GLOBAL", async () => {
    assert.deepStrictEqual(messagesOf(await run({ ...internal, visibility: "PRIVATE" })), []);
    assert.deepStrictEqual(messagesOf(await run({ name: "public-graph" })), []);
  });

  it("reports an internal API left GLOBAL (the default)", async () => {
    const messages = messagesOf(await run(internal));
    assert.strictEqual(messages.length, 1);
    assert.match(
      messages[0],
      /AppSync GraphQL API 'graph' must be PRIVATE .* set visibility to "PRIVATE"/,
    );
  });

  it("follows the configured tag and name rule", async () => {
    assert.deepStrictEqual(messagesOf(await run(internal, { internalTagKey: "tier" })), []);
    assert.strictEqual(
      messagesOf(await run({ name: "backoffice-graph" }, { internalNamePattern: "backoffice-*" }))
        .length,
      1,
    );
  });

  it("stays silent when visibility or the tags are unknown", async () => {
    assert.deepStrictEqual(messagesOf(await run({ ...internal, visibility: UNKNOWN })), []);
    assert.deepStrictEqual(messagesOf(await run({ name: "g", tags: UNKNOWN })), []);
  });
});

describe("sec1-e-resource-policy-any-account", () => {
  const METHOD = "aws:apigateway/method:Method";
  const RESOURCE = "aws:apigateway/resource:Resource";
  const open = (extra: Record<string, unknown> = {}) =>
    JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { AWS: "*" },
          Action: "execute-api:Invoke",
          Resource: "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/*/POST/*",
          ...extra,
        },
      ],
    });
  /** A REGIONAL API with one AWS_IAM method and a RestApiPolicy that lets every account in. */
  function stack(
    change: { policy?: unknown; auth?: string; types?: string; inline?: boolean } = {},
  ): StackResourceInput[] {
    const document = "policy" in change ? change.policy : open();
    const apiUrn = urnOf(REST_API, "mail-api");
    return [
      {
        type: REST_API,
        name: "mail-api",
        props: {
          id: "a1b2c3d4e5",
          rootResourceId: "root1",
          endpointConfiguration: { types: change.types ?? "REGIONAL" },
          ...(change.inline ? { policy: document } : {}),
        },
      },
      {
        type: RESOURCE,
        name: "send",
        props: { id: "res1", restApi: "a1b2c3d4e5", parentId: "root1", pathPart: "send" },
        propertyDependencies: { restApi: [apiUrn] },
      },
      {
        type: METHOD,
        name: "send-post",
        props: {
          restApi: "a1b2c3d4e5",
          resourceId: "res1",
          httpMethod: "POST",
          authorization: change.auth ?? "AWS_IAM",
        },
        propertyDependencies: { restApi: [apiUrn], resourceId: [urnOf(RESOURCE, "send")] },
      },
      ...(change.inline
        ? []
        : [
            {
              type: REST_API_POLICY,
              name: "mail-api-policy",
              props: { restApiId: "a1b2c3d4e5", policy: document },
              propertyDependencies: { restApiId: [apiUrn] },
            },
          ]),
    ];
  }
  const run = (resources: StackResourceInput[]) =>
    runStackPolicy(resourcePolicyAnyAccount, resources);

  it("is mandatory and names the path on the RestApiPolicy", async () => {
    assert.strictEqual(resourcePolicyAnyAccount.enforcementLevel, "mandatory");
    const result = await run(stack());
    assert.deepStrictEqual(
      result.violations.map((v) => v.urn),
      [urnOf(REST_API_POLICY, "mail-api-policy")],
    );
    assert.match(
      messagesOf(result)[0],
      /RestApiPolicy 'mail-api-policy' \(of REST API 'mail-api'\) must not let every AWS account invoke it: statement 1 .*SigV4-signed principals of every AWS account → POST \/send \(AWS_IAM\)/,
    );
  });

  it('reports the inline policy on the RestApi, on an EDGE API too, and Principal "*"', async () => {
    const inline = await run(stack({ inline: true, types: "EDGE" }));
    assert.deepStrictEqual(
      inline.violations.map((v) => v.urn),
      [urnOf(REST_API, "mail-api")],
    );
    const star = JSON.stringify({
      Statement: [{ Effect: "Allow", Principal: "*", Action: "execute-api:*", Resource: "*" }],
    });
    assert.strictEqual(messagesOf(await run(stack({ policy: star }))).length, 1);
  });

  it("reports a RestApiPolicy for an API outside the stack (a literal id)", async () => {
    const outside: StackResourceInput[] = [
      {
        type: REST_API_POLICY,
        name: "partner-policy",
        props: { restApiId: "zz9876", policy: open() },
      },
    ];
    const result = await run(outside);
    assert.deepStrictEqual(
      result.violations.map((v) => v.urn),
      [urnOf(REST_API_POLICY, "partner-policy")],
    );
    assert.match(messagesOf(result)[0], /REST API zz9876 .*every AWS_IAM method of that API/);
  });

  it("takes an id from another stack (a stack reference) as an API outside the stack", async () => {
    const ref = { type: "pulumi:pulumi:StackReference", name: "shared", props: {} };
    const policy = {
      type: REST_API_POLICY,
      name: "shared-api-policy",
      props: { restApiId: "yy5432", policy: open() },
      propertyDependencies: { restApiId: [urnOf("pulumi:pulumi:StackReference", "shared")] },
    };
    const result = await run([...stack(), ref, policy]);
    assert.deepStrictEqual(
      result.violations.map((v) => v.urn),
      [urnOf(REST_API_POLICY, "shared-api-policy"), urnOf(REST_API_POLICY, "mail-api-policy")],
    );
  });

  it("accepts conditions that pin the caller to an org, account, principal, VPC or narrow range", async () => {
    for (const Condition of [
      { StringEquals: { "aws:PrincipalOrgID": "o-abc123" } },
      { StringEquals: { "aws:PrincipalAccount": "123456789012" } },
      { ArnLike: { "aws:PrincipalArn": "arn:aws:iam::123456789012:role/*" } },
      { StringEquals: { "aws:SourceVpce": VPCE } },
      { IpAddress: { "aws:SourceIp": ["203.0.113.0/24"] } },
    ]) {
      assert.deepStrictEqual(
        messagesOf(await run(stack({ policy: open({ Condition }) }))),
        [],
        JSON.stringify(Condition),
      );
    }
  });

  it("does not count conditions that pin no one", async () => {
    for (const Condition of [
      { IpAddress: { "aws:SourceIp": ["0.0.0.0/0"] } },
      { StringEquals: { "aws:PrincipalTag/team": "mail" } },
      { StringEqualsIfExists: { "aws:SourceVpce": VPCE } },
    ]) {
      assert.strictEqual(
        messagesOf(await run(stack({ policy: open({ Condition }) }))).length,
        1,
        JSON.stringify(Condition),
      );
    }
  });

  it("accepts named principals and a Deny outside the organization", async () => {
    const named = open({ Principal: { AWS: ROLE } });
    assert.deepStrictEqual(messagesOf(await run(stack({ policy: named }))), []);
    const fenced = JSON.stringify({
      Statement: [
        JSON.parse(open()).Statement[0],
        {
          Effect: "Deny",
          Principal: "*",
          Action: "execute-api:Invoke",
          Resource: "execute-api:/*",
          Condition: { StringNotEquals: { "aws:PrincipalOrgID": "o-abc123" } },
        },
      ],
    });
    assert.deepStrictEqual(messagesOf(await run(stack({ policy: fenced }))), []);
  });

  it("leaves APIs without AWS_IAM methods, PRIVATE APIs and unknown documents alone", async () => {
    assert.deepStrictEqual(messagesOf(await run(stack({ auth: "COGNITO_USER_POOLS" }))), []);
    assert.deepStrictEqual(messagesOf(await run(stack({ types: "PRIVATE" }))), []);
    assert.deepStrictEqual(messagesOf(await run(stack({ policy: UNKNOWN }))), []);
  });
});
