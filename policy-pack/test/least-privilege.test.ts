import * as assert from "node:assert";
import {
  executeApiInvokePathScope,
  executeApiInvokeScope,
  lambdaPermissionSourceApi,
  lambdaPermissionSourceArn,
  policies,
  privateApiIamAuth,
} from "../policies/least-privilege";
import {
  messagesOf,
  runResourcePolicy,
  runStackPolicy,
  StackResourceInput,
  UNKNOWN,
  urnOf,
} from "./helpers/run-policy";

const API = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5";
const REST_API = "aws:apigateway/restApi:RestApi";
const METHOD = "aws:apigateway/method:Method";
const FUNCTION = "aws:lambda/function:Function";
const PERMISSION = "aws:lambda/permission:Permission";
const INTEGRATION = "aws:apigateway/integration:Integration";

function invokePolicy(resource: unknown, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "Invoke",
        Effect: "Allow",
        Action: "execute-api:Invoke",
        Resource: resource,
        ...extra,
      },
    ],
  });
}

describe("least-privilege policies: the set", () => {
  it("exports every I policy with a sec1-i- name, description, level and doc URL", () => {
    assert.strictEqual(policies.length, 5);
    for (const p of policies) {
      assert.match(p.name, /^sec1-i-[a-z0-9-]+$/);
      assert.ok(p.description.length > 40, p.name);
      assert.match(String(p.url), /^https:\/\/docs\.aws\.amazon\.com\//);
    }
  });
});

describe("sec1-i-execute-api-invoke-scope", () => {
  const run = (type: string, props: Record<string, unknown>) =>
    runResourcePolicy(executeApiInvokeScope, { type, name: "caller", props });
  const policy = (document: string) => run("aws:iam/policy:Policy", { policy: document });

  it("accepts a grant on one API's stage, method and path", async () => {
    assert.deepStrictEqual(messagesOf(await policy(invokePolicy(`${API}/prod/GET/loyalty/*`))), []);
  });

  it("accepts a grant on one whole API (the advisory policy covers scoping)", async () => {
    assert.deepStrictEqual(messagesOf(await policy(invokePolicy(`${API}/*/*/*`))), []);
  });

  it('reports Resource "*", arn:aws:execute-api:*:*:* and account-wide wildcards', async () => {
    for (const resource of [
      "*",
      "arn:aws:execute-api:*:*:*",
      "arn:aws:execute-api:us-east-1:123456789012:*",
    ]) {
      const messages = messagesOf(await policy(invokePolicy(resource)));
      assert.strictEqual(messages.length, 1, resource);
      assert.match(
        messages[0],
        /IAM Policy 'caller' must name specific APIs .* set Resource to arn:<partition>:execute-api/,
      );
    }
  });

  it("reports execute-api:* and * actions on all resources", async () => {
    for (const action of ["execute-api:*", "*", "Execute-Api:Inv*"]) {
      const document = JSON.stringify({
        Statement: [{ Effect: "Allow", Action: action, Resource: "*" }],
      });
      assert.strictEqual(messagesOf(await policy(document)).length, 1, action);
    }
  });

  it("reports NotAction and NotResource allows that reach invoke, one violation each", async () => {
    const document = JSON.stringify({
      Statement: [
        { Effect: "Allow", NotAction: "iam:*", Resource: `${API}/prod/GET/x` },
        { Effect: "Allow", Action: "execute-api:Invoke", NotResource: `${API}/admin/*` },
      ],
    });
    const messages = messagesOf(await policy(document));
    assert.strictEqual(messages.length, 2);
    assert.match(messages[0], /through NotAction/);
    assert.match(messages[1], /NotResource/);
  });

  it("ignores policies that do not reach invoke", async () => {
    const document = JSON.stringify({
      Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }],
    });
    assert.deepStrictEqual(messagesOf(await policy(document)), []);
  });

  it("checks role policies, and a role's inline policies by position", async () => {
    const rp = await run("aws:iam/rolePolicy:RolePolicy", { role: "r", policy: invokePolicy("*") });
    assert.match(messagesOf(rp)[0], /^IAM RolePolicy 'caller'/);
    const role = await run("aws:iam/role:Role", {
      assumeRolePolicy: "{}",
      inlinePolicies: [
        { name: "ok", policy: invokePolicy(`${API}/prod/GET/x`) },
        { name: "bad", policy: invokePolicy("*") },
      ],
    });
    assert.strictEqual(messagesOf(role).length, 1);
    assert.match(messagesOf(role)[0], /^IAM Role 'caller' .*inlinePolicies\[1\]\.policy/);
  });

  it("reports an attached AWS managed policy that invokes every API (any partition, any path)", async () => {
    const cases: [string, Record<string, unknown>, RegExp][] = [
      [
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        { role: "r", policyArn: "arn:aws:iam::aws:policy/AmazonAPIGatewayInvokeFullAccess" },
        /^IAM RolePolicyAttachment 'caller' must not attach the AWS managed policy AmazonAPIGatewayInvokeFullAccess \(policyArn\), which allows execute-api:Invoke on every API \('arn:aws:execute-api:\*:\*:\*'\)/,
      ],
      [
        "aws:iam/userPolicyAttachment:UserPolicyAttachment",
        { user: "u", policyArn: "arn:aws-us-gov:iam::aws:policy/AdministratorAccess" },
        /^IAM UserPolicyAttachment 'caller' must not attach the AWS managed policy AdministratorAccess/,
      ],
      [
        "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
        { group: "g", policyArn: "arn:aws:iam::aws:policy/PowerUserAccess" },
        /PowerUserAccess .*through NotAction/,
      ],
      [
        "aws:iam/policyAttachment:PolicyAttachment",
        { roles: ["r"], policyArn: "arn:aws:iam::aws:policy/AmazonAPIGatewayInvokeFullAccess" },
        /^IAM PolicyAttachment 'caller'/,
      ],
      [
        "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
        {
          roleName: "r",
          policyArns: [
            "arn:aws:iam::123456789012:policy/mine",
            "arn:aws:iam::aws:policy/AmazonAPIGatewayInvokeFullAccess",
          ],
        },
        /policyArns\[1\]/,
      ],
      [
        "aws:iam/role:Role",
        {
          assumeRolePolicy: "{}",
          managedPolicyArns: ["arn:aws:iam::aws:policy/AmazonAPIGatewayInvokeFullAccess"],
        },
        /^IAM Role 'caller' .*managedPolicyArns\[0\]/,
      ],
    ];
    for (const [type, props, pattern] of cases) {
      const messages = messagesOf(await run(type, props));
      assert.strictEqual(messages.length, 1, `${type}: ${JSON.stringify(messages)}`);
      assert.match(messages[0], pattern);
    }
  });

  it("accepts attachments of managed policies that do not invoke APIs, and unknown ARNs", async () => {
    for (const policyArn of [
      "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs",
      "arn:aws:iam::aws:policy/ReadOnlyAccess",
      "arn:aws:iam::123456789012:policy/AmazonAPIGatewayInvokeFullAccess",
      UNKNOWN,
    ]) {
      const result = await run("aws:iam/rolePolicyAttachment:RolePolicyAttachment", {
        role: "r",
        policyArn,
      });
      assert.deepStrictEqual(result.violations, [], policyArn);
      assert.deepStrictEqual(result.previewErrors, [], policyArn);
    }
  });

  it("stays silent when the policy is unknown (preview) or not valid JSON", async () => {
    for (const document of [UNKNOWN, invokePolicy(`${API}/${UNKNOWN}`), "{not json"]) {
      const result = await policy(document);
      assert.deepStrictEqual(result.violations, []);
      assert.deepStrictEqual(result.previewErrors, []);
    }
  });
});

describe("sec1-i-execute-api-invoke-path-scope (advisory)", () => {
  const run = (resource: string, config = {}) =>
    runResourcePolicy(
      executeApiInvokePathScope,
      {
        type: "aws:iam/rolePolicy:RolePolicy",
        name: "caller",
        props: { policy: invokePolicy(resource) },
      },
      config,
    );

  it("accepts stage, method and path", async () => {
    assert.deepStrictEqual(messagesOf(await run(`${API}/prod/POST/loyalty/*/points`)), []);
  });

  it("reports /*/*/* (the whole API)", async () => {
    const messages = messagesOf(await run(`${API}/*/*/*`));
    assert.strictEqual(messages.length, 1);
    assert.match(messages[0], /must scope execute-api:Invoke .* not a whole API/);
  });

  it("leaves account-wide grants to the mandatory policy", async () => {
    assert.deepStrictEqual(messagesOf(await run("*")), []);
  });

  it("accepts a method-wide grant when config asks for method scope", async () => {
    assert.strictEqual(messagesOf(await run(`${API}/prod/GET/*`)).length, 1);
    assert.deepStrictEqual(
      messagesOf(await run(`${API}/prod/GET/*`, { minimumScope: "method" })),
      [],
    );
  });

  it("stays silent when the policy is unknown", async () => {
    const result = await runResourcePolicy(executeApiInvokePathScope, {
      type: "aws:iam/policy:Policy",
      props: { policy: UNKNOWN },
    });
    assert.deepStrictEqual(result.violations, []);
  });
});

describe("sec1-i-private-api-iam-auth", () => {
  function stack(method: Record<string, unknown> = {}, endpoint = "PRIVATE"): StackResourceInput[] {
    return [
      {
        type: REST_API,
        name: "loyalty-api",
        props: { endpointConfiguration: { types: endpoint } },
      },
      {
        type: METHOD,
        name: "loyalty-get",
        props: {
          restApi: "a1b2c3d4e5",
          resourceId: "r1",
          httpMethod: "GET",
          authorization: "AWS_IAM",
          ...method,
        },
        propertyDependencies: { restApi: [urnOf(REST_API, "loyalty-api")] },
      },
    ];
  }
  const run = (resources: StackResourceInput[], config = {}) =>
    runStackPolicy(privateApiIamAuth, resources, config);

  it("accepts AWS_IAM methods on a private API", async () => {
    assert.deepStrictEqual(messagesOf(await run(stack())), []);
  });

  it("reports a CUSTOM or NONE method of a private API, on the method", async () => {
    for (const authorization of ["CUSTOM", "NONE"]) {
      const result = await run(stack({ authorization, authorizerId: "auth" }));
      assert.strictEqual(result.violations.length, 1);
      assert.match(
        result.violations[0].message,
        /Method 'loyalty-get' \(GET on PRIVATE REST API 'loyalty-api'\) must use AWS_IAM authorization/,
      );
      assert.strictEqual(result.violations[0].urn, urnOf(METHOD, "loyalty-get"));
    }
  });

  it("exempts OPTIONS preflight and methods of REGIONAL APIs", async () => {
    assert.deepStrictEqual(
      messagesOf(await run(stack({ httpMethod: "OPTIONS", authorization: "NONE" }))),
      [],
    );
    assert.deepStrictEqual(messagesOf(await run(stack({ authorization: "NONE" }, "REGIONAL"))), []);
  });

  it("accepts CUSTOM when config allows it", async () => {
    const config = { allowedAuthorizations: ["AWS_IAM", "CUSTOM"] };
    assert.deepStrictEqual(messagesOf(await run(stack({ authorization: "CUSTOM" }), config)), []);
  });

  it("stays silent when the authorization or the API link is unknown", async () => {
    assert.deepStrictEqual(messagesOf(await run(stack({ authorization: UNKNOWN }))), []);
    const unlinked = stack({ authorization: "NONE", restApi: UNKNOWN });
    unlinked[1].propertyDependencies = {};
    const result = await run(unlinked);
    assert.deepStrictEqual(result.violations, []);
    assert.deepStrictEqual(result.previewErrors, []);
  });
});

describe("sec1-i-lambda-permission-source-arn", () => {
  const good = {
    action: "lambda:InvokeFunction",
    function: "loyalty-fn",
    principal: "apigateway.amazonaws.com",
    sourceArn: `${API}/*/GET/loyalty/*`,
  };
  const run = (props: Record<string, unknown>) =>
    runResourcePolicy(lambdaPermissionSourceArn, { type: PERMISSION, name: "allow-api", props });

  it("accepts an execute-api sourceArn naming one API, and an AppSync API ARN", async () => {
    assert.deepStrictEqual(messagesOf(await run(good)), []);
    const appsync = {
      ...good,
      principal: "appsync.amazonaws.com",
      sourceArn: "arn:aws:appsync:us-east-1:123456789012:apis/abcdefghijklmnopqrstuvwxyz",
    };
    assert.deepStrictEqual(messagesOf(await run(appsync)), []);
  });

  it("reports a missing sourceArn", async () => {
    const messages = messagesOf(await run({ ...good, sourceArn: undefined }));
    assert.strictEqual(messages.length, 1);
    assert.match(
      messages[0],
      /Lambda Permission 'allow-api' must name the API .* set sourceArn to the API's executionArn/,
    );
  });

  it("reports wildcard API ids, wrong services and wildcard accounts", async () => {
    for (const sourceArn of [
      "arn:aws:execute-api:us-east-1:123456789012:*/*/GET/x",
      "arn:aws:execute-api:us-east-1:*:a1b2c3d4e5/*",
      "arn:aws:appsync:us-east-1:123456789012:apis/x",
    ]) {
      assert.strictEqual(messagesOf(await run({ ...good, sourceArn })).length, 1, sourceArn);
    }
  });

  it("reports principal *", async () => {
    const messages = messagesOf(await run({ ...good, principal: "*" }));
    assert.strictEqual(messages.length, 1);
    assert.match(messages[0], /must not grant principal '\*'/);
  });

  it("stays silent when the principal or sourceArn is unknown", async () => {
    assert.deepStrictEqual(messagesOf(await run({ ...good, principal: UNKNOWN })), []);
    assert.deepStrictEqual(messagesOf(await run({ ...good, sourceArn: `${UNKNOWN}/*/*` })), []);
  });
});

describe("sec1-i-lambda-permission-source-api", () => {
  function stack(sourceApi = "loyalty-api"): StackResourceInput[] {
    return [
      { type: REST_API, name: "loyalty-api", props: {} },
      { type: REST_API, name: "admin-api", props: {} },
      { type: FUNCTION, name: "loyalty-fn", props: { runtime: "nodejs20.x" } },
      {
        type: INTEGRATION,
        name: "loyalty-integration",
        props: { restApi: UNKNOWN, uri: UNKNOWN, type: "AWS_PROXY" },
        propertyDependencies: {
          restApi: [urnOf(REST_API, "loyalty-api")],
          uri: [urnOf(FUNCTION, "loyalty-fn")],
        },
      },
      {
        type: PERMISSION,
        name: "loyalty-permission",
        props: { principal: "apigateway.amazonaws.com", function: UNKNOWN, sourceArn: UNKNOWN },
        propertyDependencies: {
          function: [urnOf(FUNCTION, "loyalty-fn")],
          sourceArn: [urnOf(REST_API, sourceApi)],
        },
      },
    ];
  }

  it("accepts a permission naming the API whose integration calls the function", async () => {
    assert.deepStrictEqual(
      messagesOf(await runStackPolicy(lambdaPermissionSourceApi, stack())),
      [],
    );
  });

  it("reports a permission naming another API of the stack", async () => {
    const result = await runStackPolicy(lambdaPermissionSourceApi, stack("admin-api"));
    assert.strictEqual(result.violations.length, 1);
    assert.match(
      result.violations[0].message,
      /Permission 'loyalty-permission' must name the API that calls function 'loyalty-fn' \('loyalty-api'\), not 'admin-api'/,
    );
  });

  it("stays silent when the integration's API cannot be resolved (preview, no dependencies)", async () => {
    const resources = stack("admin-api");
    resources[3].propertyDependencies = { uri: [urnOf(FUNCTION, "loyalty-fn")] };
    const result = await runStackPolicy(lambdaPermissionSourceApi, resources);
    assert.deepStrictEqual(result.violations, []);
    assert.deepStrictEqual(result.previewErrors, []);
  });
});
