// PrivateRestApi: endpoint, methods, resource policy evaluated as AWS does, deployment, stage,
// usage plans and argument validation.
import * as assert from "assert";
import * as z from "zod";
import { addPointsSchema } from "../handlers/loyalty";
import { LOYALTY_API, LOYALTY_POINTS_BODY_SCHEMA } from "../app/airline/contract";
import {
  PrivateRestApi,
  PrivateRestApiArgs,
  validatePrivateRestApiArgs,
} from "../components/private-rest-api";
import { MOCK_ACCOUNT_ID } from "../tools/mock-engine";
import { apiArgs, decide, REGION, TARGET, VPCE } from "./fixtures/private-api";
import {
  ofType,
  one,
  policyDocument,
  ProgramRun,
  RegisteredResource,
  runComponents,
} from "./helpers/harness";

/** Runs one PrivateRestApi (the happy-path args with `overrides`) under mocks. */
function runApi(overrides: Partial<PrivateRestApiArgs> = {}, stack = "dev") {
  return runComponents(() => {
    const api = new PrivateRestApi("loyalty", apiArgs(stack, overrides));
    return {
      restApiId: api.restApiId,
      stageName: api.stageName,
      executionArn: api.executionArn,
      invokeUrl: api.invokeUrl,
      invokerRoleArns: api.invokerRoleArns,
      apiKeyValues: api.apiKeyValues,
      usagePlanIds: api.usagePlanIds,
    };
  });
}

const trigger = (run: ProgramRun) =>
  (one(run, "aws:apigateway/deployment:Deployment").inputs.triggers as Record<string, string>)
    .redeployment;

describe("PrivateRestApi", () => {
  let run: ProgramRun;
  let apiId: string;
  let executionArn: string;
  let roleArns: Record<string, string>;
  let policy: { Statement: any[] };
  before(async () => {
    run = await runApi();
    apiId = run.outputs.restApiId as string;
    executionArn = run.outputs.executionArn as string;
    roleArns = run.outputs.invokerRoleArns as Record<string, string>;
    policy = policyDocument(one(run, "aws:apigateway/restApiPolicy:RestApiPolicy").inputs.policy);
  });

  describe("endpoint and methods", () => {
    it("is a PRIVATE API bound to the given VPC endpoint only", () => {
      const api = one(run, "aws:apigateway/restApi:RestApi");
      const endpoint = api.inputs.endpointConfiguration as Record<string, unknown>;
      assert.strictEqual(endpoint.types, "PRIVATE");
      assert.deepStrictEqual(endpoint.vpcEndpointIds, [VPCE]);
    });

    it("has one method per configured route, each with AWS_IAM authorization", () => {
      const methods = ofType(run, "aws:apigateway/method:Method");
      assert.strictEqual(methods.length, LOYALTY_API.routes.length);
      for (const m of methods) assert.strictEqual(m.inputs.authorization, "AWS_IAM", m.name);
    });

    it("requires an API key on every method, since a usage plan applies to the stage", () => {
      for (const m of ofType(run, "aws:apigateway/method:Method"))
        assert.strictEqual(m.inputs.apiKeyRequired, true, m.name);
    });

    it("builds the resource tree /loyalty/{customerId}/points under the root", () => {
      const resources = ofType(run, "aws:apigateway/resource:Resource");
      const byPart = Object.fromEntries(resources.map((r) => [r.inputs.pathPart, r]));
      assert.deepStrictEqual(Object.keys(byPart).sort(), ["loyalty", "points", "{customerId}"]);
      assert.strictEqual(byPart["{customerId}"].inputs.parentId, byPart.loyalty.id);
      assert.strictEqual(byPart.points.inputs.parentId, byPart["{customerId}"].id);
      const methods = ofType(run, "aws:apigateway/method:Method");
      const get = methods.find((m) => m.inputs.httpMethod === "GET")!;
      const post = methods.find((m) => m.inputs.httpMethod === "POST")!;
      assert.strictEqual(get.inputs.resourceId, byPart["{customerId}"].id);
      assert.strictEqual(post.inputs.resourceId, byPart.points.id);
    });

    it("validates parameters on every method and the JSON body of POST against its model", () => {
      const validator = one(run, "aws:apigateway/requestValidator:RequestValidator");
      assert.strictEqual(validator.inputs.validateRequestBody, true);
      assert.strictEqual(validator.inputs.validateRequestParameters, true);
      const model = one(run, "aws:apigateway/model:Model");
      assert.deepStrictEqual(JSON.parse(model.inputs.schema as string), LOYALTY_POINTS_BODY_SCHEMA);
      for (const m of ofType(run, "aws:apigateway/method:Method")) {
        assert.strictEqual(m.inputs.requestValidatorId, validator.id, m.name);
        assert.deepStrictEqual(m.inputs.requestParameters, {
          "method.request.path.customerId": true,
        });
      }
      const post = ofType(run, "aws:apigateway/method:Method").find(
        (m) => m.inputs.httpMethod === "POST",
      )!;
      assert.deepStrictEqual(post.inputs.requestModels, { "application/json": model.inputs.name });
    });

    it("validates the POST body with the same contract as the loyalty handler", () => {
      // The handler's zod schema, as JSON Schema draft 4; an integer > 0 is an integer >= 1.
      const handler = z.toJSONSchema(addPointsSchema as never, { target: "draft-4" }) as any;
      const points = handler.properties.points;
      if (points.exclusiveMinimum === true) {
        points.minimum += 1;
        delete points.exclusiveMinimum;
      }
      const { title: _title, ...ours } = LOYALTY_POINTS_BODY_SCHEMA;
      assert.deepStrictEqual(ours, handler);
    });

    it("proxies every method to the loyalty function (AWS_PROXY, POST to its invoke ARN)", () => {
      const integrations = ofType(run, "aws:apigateway/integration:Integration");
      assert.strictEqual(integrations.length, LOYALTY_API.routes.length);
      for (const i of integrations) {
        assert.strictEqual(i.inputs.type, "AWS_PROXY");
        assert.strictEqual(i.inputs.integrationHttpMethod, "POST");
        assert.strictEqual(i.inputs.uri, TARGET.invokeArn);
      }
    });

    it("lets API Gateway invoke the function only from this API's stage, method and path", () => {
      const permissions = ofType(run, "aws:lambda/permission:Permission");
      assert.deepStrictEqual(permissions.map((p) => p.inputs.sourceArn).sort(), [
        `${executionArn}/v1/GET/loyalty/*`,
        `${executionArn}/v1/POST/loyalty/*/points`,
      ]);
      for (const p of permissions) {
        assert.strictEqual(p.inputs.principal, "apigateway.amazonaws.com");
        assert.strictEqual(p.inputs.action, "lambda:InvokeFunction");
        assert.strictEqual(p.inputs.function, TARGET.functionName);
      }
    });
  });

  describe("resource policy, evaluated as AWS does", () => {
    const get = () => `${executionArn}/v1/GET/loyalty/C-42`;
    const post = () => `${executionArn}/v1/POST/loyalty/C-42/points`;
    const resolver = () => roleArns["appsync-loyalty-resolver"];
    const batch = () => roleArns["points-accrual-batch"];

    it("allows an invoker role calling its route through this VPC endpoint", async () => {
      assert.strictEqual(
        await decide({
          principal: resolver(),
          resource: get(),
          sourceVpce: VPCE,
          resourcePolicy: policy,
        }),
        "Allowed",
      );
      assert.strictEqual(
        await decide({
          principal: batch(),
          resource: post(),
          sourceVpce: VPCE,
          resourcePolicy: policy,
        }),
        "Allowed",
      );
    });

    it("denies the same call through another VPC endpoint", async () => {
      const decision = await decide({
        principal: resolver(),
        resource: get(),
        sourceVpce: "vpce-0ffffffffffffffff",
        resourcePolicy: policy,
      });
      assert.strictEqual(decision, "ExplicitlyDenied");
    });

    it("denies the same call from the internet (no VPC endpoint)", async () => {
      const decision = await decide({
        principal: resolver(),
        resource: get(),
        resourcePolicy: policy,
      });
      assert.strictEqual(decision, "ExplicitlyDenied");
    });

    it("denies another principal of the account even if its own policy allows execute-api:Invoke on *", async () => {
      const decision = await decide({
        principal: `arn:aws:iam::${MOCK_ACCOUNT_ID}:role/some-admin`,
        resource: get(),
        sourceVpce: VPCE,
        identityPolicies: [
          {
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Action: "execute-api:*", Resource: "*" }],
          },
        ],
        resourcePolicy: policy,
      });
      assert.strictEqual(decision, "ExplicitlyDenied");
    });

    it("does not let an invoker role call a route granted only to another caller", async () => {
      const decision = await decide({
        principal: resolver(),
        resource: post(),
        sourceVpce: VPCE,
        resourcePolicy: policy,
      });
      assert.notStrictEqual(decision, "Allowed");
    });

    it("scopes each Allow to one invoker role and its routes, conditioned on the endpoint", () => {
      const allows = policy.Statement.filter((s) => s.Effect === "Allow");
      assert.strictEqual(allows.length, 2);
      for (const s of allows) {
        assert.strictEqual(typeof s.Principal.AWS, "string");
        assert.ok(Object.values(roleArns).includes(s.Principal.AWS));
        assert.deepStrictEqual(s.Condition, { StringEquals: { "aws:SourceVpce": VPCE } });
        for (const r of [s.Resource].flat()) assert.ok(!String(r).endsWith(`${apiId}/*`), r);
      }
    });

    it("denies everyone when there are no callers", async () => {
      const lonely = await runApi({ callers: [] });
      const doc = policyDocument(
        one(lonely, "aws:apigateway/restApiPolicy:RestApiPolicy").inputs.policy,
      );
      const arn = lonely.outputs.executionArn as string;
      const decision = await decide({
        principal: `arn:aws:iam::${MOCK_ACCOUNT_ID}:role/anyone`,
        resource: `${arn}/v1/GET/loyalty/1`,
        sourceVpce: VPCE,
        identityPolicies: [
          { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] },
        ],
        resourcePolicy: doc,
      });
      assert.strictEqual(decision, "ExplicitlyDenied");
    });
  });

  describe("invoker roles, with their own and the API's policies", () => {
    const identityOf = (caller: string) => {
      const role = ofType(run, "aws:iam/role:Role").find(
        (r) => r.name === `loyalty-${caller}-role`,
      )!;
      return ofType(run, "aws:iam/rolePolicy:RolePolicy")
        .filter((p) => p.inputs.role === role.id)
        .map((p) => policyDocument(p.inputs.policy));
    };
    const otherApi = () => `arn:aws:execute-api:${REGION}:${MOCK_ACCOUNT_ID}:zzzzzzzzzz`;
    const cases = () => ({
      "appsync-loyalty-resolver": {
        granted: `${executionArn}/v1/GET/loyalty/C-42`,
        others: [
          `${executionArn}/v2/GET/loyalty/C-42`,
          `${executionArn}/v1/POST/loyalty/C-42`,
          `${executionArn}/v1/DELETE/loyalty/C-42`,
          `${executionArn}/v1/POST/loyalty/C-42/points`,
          `${otherApi()}/v1/GET/loyalty/C-42`,
          `${executionArn}/v1/GET/loyalty`,
          `${executionArn}/v1/GET/admin`,
        ],
      },
      "points-accrual-batch": {
        granted: `${executionArn}/v1/POST/loyalty/C-42/points`,
        others: [
          `${executionArn}/prod/POST/loyalty/C-42/points`,
          `${executionArn}/v1/GET/loyalty/C-42/points`,
          `${executionArn}/v1/GET/loyalty/C-42`,
          `${executionArn}/v1/PUT/loyalty/C-42/points`,
          `${otherApi()}/v1/POST/loyalty/C-42/points`,
          `${executionArn}/v1/POST/loyalty`,
          `${executionArn}/v1/POST/admin`,
        ],
      },
    });

    for (const caller of ["appsync-loyalty-resolver", "points-accrual-batch"] as const) {
      it(`${caller} can invoke exactly its granted stage, method and path`, async () => {
        const { granted, others } = cases()[caller];
        const base = {
          principal: roleArns[caller],
          sourceVpce: VPCE,
          identityPolicies: identityOf(caller),
          resourcePolicy: policy,
        };
        assert.strictEqual(await decide({ ...base, resource: granted }), "Allowed", granted);
        for (const resource of others)
          assert.notStrictEqual(await decide({ ...base, resource }), "Allowed", resource);
      });

      it(`${caller}'s own policy alone grants nothing beyond its route`, async () => {
        const { granted, others } = cases()[caller];
        const base = { principal: roleArns[caller], identityPolicies: identityOf(caller) };
        assert.strictEqual(await decide({ ...base, resource: granted }), "Allowed", granted);
        for (const resource of others)
          assert.notStrictEqual(await decide({ ...base, resource }), "Allowed", resource);
      });
    }

    it("grants no wildcard stage, method or API: every Allow names stage, method and path", () => {
      let grants = 0;
      for (const caller of Object.keys(roleArns))
        for (const doc of identityOf(caller))
          for (const s of doc.Statement.filter((st: any) => st.Effect === "Allow"))
            for (const r of [s.Resource].flat() as string[]) {
              grants++;
              const [, stage, method, ...path] = r.slice(executionArn.length).split("/");
              assert.ok(r.startsWith(`${executionArn}/`), r);
              assert.ok(stage === "v1" && /^[A-Z]+$/.test(method) && path[0] === "loyalty", r);
            }
      assert.strictEqual(grants, 2, "one granted route per caller");
    });

    it("creates the invoker roles as children of their InvokerRole components under the API", () => {
      const api = one(run, "sec1:apigateway:PrivateRestApi");
      const invokers = ofType(run, "sec1:apigateway:InvokerRole");
      assert.deepStrictEqual(invokers.map((c) => c.name).sort(), [
        "loyalty-appsync-loyalty-resolver",
        "loyalty-points-accrual-batch",
      ]);
      for (const c of invokers) assert.strictEqual(c.parent, api.urn);
    });
  });

  describe("deployment and stage", () => {
    it("deploys after the resource policy, every method and every integration", () => {
      const deployment = one(run, "aws:apigateway/deployment:Deployment");
      const needed = [
        one(run, "aws:apigateway/restApiPolicy:RestApiPolicy"),
        ...ofType(run, "aws:apigateway/method:Method"),
        ...ofType(run, "aws:apigateway/integration:Integration"),
      ];
      for (const r of needed) assert.ok(deployment.dependencies.includes(r.urn), r.name);
    });

    it("makes the stage depend on the deployment, the account's log role and the execution log group", () => {
      const stage = one(run, "aws:apigateway/stage:Stage");
      const deployment = one(run, "aws:apigateway/deployment:Deployment");
      assert.deepStrictEqual(stage.propertyDependencies.deployment, [deployment.urn]);
      assert.strictEqual(stage.inputs.deployment, deployment.id);
      assert.ok(stage.dependencies.includes(one(run, "aws:apigateway/account:Account").urn));
      assert.ok(
        stage.dependencies.includes(
          one(run, "aws:cloudwatch/logGroup:LogGroup", "-execution-logs").urn,
        ),
      );
    });

    it("traces with X-Ray and writes JSON access logs to a group with the stack's retention", () => {
      const stage = one(run, "aws:apigateway/stage:Stage");
      assert.strictEqual(stage.inputs.xrayTracingEnabled, true);
      const settings = stage.inputs.accessLogSettings as { destinationArn: string; format: string };
      const group = one(run, "aws:cloudwatch/logGroup:LogGroup", "-access-logs");
      assert.strictEqual(settings.destinationArn, group.arn);
      assert.strictEqual(group.inputs.retentionInDays, 14);
      const format = JSON.parse(settings.format) as Record<string, string>;
      for (const key of ["requestId", "status", "callerArn", "vpceId", "apiKeyId"])
        assert.ok(format[key]?.startsWith("$context."), key);
    });

    it("keeps execution logs in API Gateway's own group name, with the stack's retention", () => {
      const group = one(run, "aws:cloudwatch/logGroup:LogGroup", "-execution-logs");
      assert.strictEqual(group.inputs.name, `API-Gateway-Execution-Logs_${apiId}/v1`);
      assert.strictEqual(group.inputs.retentionInDays, 14);
    });

    it("throttles, logs and meters every method of the stage with the config's numbers", () => {
      const settings = one(run, "aws:apigateway/methodSettings:MethodSettings");
      assert.strictEqual(settings.inputs.methodPath, "*/*");
      assert.strictEqual(settings.inputs.stageName, "v1");
      assert.deepStrictEqual(settings.inputs.settings, {
        throttlingRateLimit: 20,
        throttlingBurstLimit: 40,
        loggingLevel: "INFO",
        dataTraceEnabled: false,
        metricsEnabled: true,
      });
    });

    it("sets the account's CloudWatch role, with AWS's push-to-logs policy, before logging", () => {
      const account = one(run, "aws:apigateway/account:Account");
      const role = one(run, "aws:iam/role:Role", "-cloudwatch-role");
      assert.strictEqual(account.inputs.cloudwatchRoleArn, role.arn);
      const trust = policyDocument(role.inputs.assumeRolePolicy);
      assert.deepStrictEqual(trust.Statement[0].Principal, { Service: "apigateway.amazonaws.com" });
      // Confused deputy: API Gateway may assume it for this account only.
      assert.deepStrictEqual(trust.Statement[0].Condition, {
        StringEquals: { "aws:SourceAccount": MOCK_ACCOUNT_ID },
      });
      const attachment = one(run, "aws:iam/rolePolicyAttachment:RolePolicyAttachment");
      assert.strictEqual(
        attachment.inputs.policyArn,
        "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs",
      );
      assert.ok(account.dependencies.includes(attachment.urn));
    });

    it("leaves the account setting alone when told another stack manages it", async () => {
      const other = await runApi({ manageAccountCloudWatchRole: false });
      assert.strictEqual(ofType(other, "aws:apigateway/account:Account").length, 0);
      assert.strictEqual(ofType(other, "aws:iam/role:Role").length, 2);
    });
  });

  describe("deployment trigger", () => {
    it("changes when the resource policy changes (a caller's grant)", async () => {
      const callers = apiArgs().callers.map((c) =>
        c.name === "appsync-loyalty-resolver"
          ? { ...c, routes: ["GET /loyalty/{customerId}", "POST /loyalty/{customerId}/points"] }
          : c,
      );
      assert.notStrictEqual(trigger(await runApi({ callers })), trigger(run));
    });

    it("changes when the resource policy changes (the VPC endpoint)", async () => {
      assert.notStrictEqual(
        trigger(await runApi({ vpcEndpointId: "vpce-0123456789abcdef0" })),
        trigger(run),
      );
    });

    it("changes when a method changes (its request model)", async () => {
      const routes = LOYALTY_API.routes.map((r) =>
        r.bodySchema
          ? { ...r, bodySchema: { ...r.bodySchema, required: ["points", "reason"] } }
          : r,
      );
      assert.notStrictEqual(trigger(await runApi({ routes })), trigger(run));
    });

    it("changes when an integration changes (another function)", async () => {
      const target = { ...TARGET, invokeArn: TARGET.invokeArn.replace("loyalty-handler", "v2") };
      assert.notStrictEqual(trigger(await runApi({ target })), trigger(run));
    });

    it("stays the same when only stage settings, retention or tags change", async () => {
      const same = await runApi({
        throttle: { rateLimit: 5, burstLimit: 5 },
        logRetentionDays: 30,
        loggingLevel: "ERROR",
        tags: { team: "other" },
      });
      assert.strictEqual(trigger(same), trigger(run));
      assert.strictEqual(trigger(await runApi()), trigger(run));
    });
  });

  describe("outputs", () => {
    it("exports the stage's invoke URL, https://<id>.execute-api.<region>.amazonaws.com/<stage>", () => {
      assert.strictEqual(
        run.outputs.invokeUrl,
        `https://${apiId}.execute-api.${REGION}.amazonaws.com/v1`,
      );
      assert.strictEqual(executionArn, `arn:aws:execute-api:${REGION}:${MOCK_ACCOUNT_ID}:${apiId}`);
    });

    it("exports API key values only as secrets", () => {
      assert.ok(run.secretOutputs.includes("apiKeyValues"));
      assert.strictEqual(run.outputs.apiKeyValues, "[secret]");
      const values = run.rawOutputs.apiKeyValues as Record<string, string>;
      assert.deepStrictEqual(Object.keys(values).sort(), [
        "appsync-loyalty-resolver",
        "points-accrual-batch",
      ]);
      for (const v of Object.values(values)) assert.ok(v.length >= 20);
    });

    it("hands out one caller's API key as a secret, and refuses a caller it does not have", async () => {
      let unknownCaller: Error | undefined;
      const keyRun = await runComponents(() => {
        const api = new PrivateRestApi("loyalty", apiArgs());
        try {
          api.apiKeyValue("nobody");
        } catch (e) {
          unknownCaller = e as Error;
        }
        return {
          resolverKey: api.apiKeyValue("appsync-loyalty-resolver"),
          all: api.apiKeyValues,
        };
      });
      assert.ok(keyRun.secretOutputs.includes("resolverKey"));
      const all = keyRun.rawOutputs.all as Record<string, string>;
      assert.strictEqual(keyRun.rawOutputs.resolverKey, all["appsync-loyalty-resolver"]);
      assert.notStrictEqual(all["appsync-loyalty-resolver"], all["points-accrual-batch"]);
      assert.match(String(unknownCaller?.message), /no caller 'nobody'/);
    });

    it("exports one usage plan id per tier and one invoker role ARN per caller", () => {
      assert.deepStrictEqual(Object.keys(run.outputs.usagePlanIds as object).sort(), [
        "batch",
        "standard",
      ]);
      for (const arn of Object.values(roleArns))
        assert.match(arn, /^arn:aws:iam::123456789012:role\//);
    });
  });

  describe("prod", () => {
    let prod: ProgramRun;
    before(async () => {
      prod = await runApi({}, "prod");
    });

    it("protects the API, its log groups, invoker roles and API keys", () => {
      const isProtected = (r: RegisteredResource) => r.options.protect;
      assert.ok(isProtected(one(prod, "aws:apigateway/restApi:RestApi")));
      for (const type of ["aws:cloudwatch/logGroup:LogGroup", "aws:apigateway/apiKey:ApiKey"]) {
        assert.strictEqual(ofType(prod, type).length, 2, type);
        for (const r of ofType(prod, type)) assert.ok(isProtected(r), r.name);
      }
      const invokers = ofType(prod, "aws:iam/role:Role").filter(
        (r) => !r.name.includes("cloudwatch"),
      );
      assert.strictEqual(invokers.length, 2, "one invoker role per caller");
      for (const r of invokers) assert.ok(isProtected(r), r.name);
    });

    it("uses prod's retention, throttle and logging level", () => {
      const groups = ofType(prod, "aws:cloudwatch/logGroup:LogGroup");
      assert.strictEqual(groups.length, 2, "access and execution logs");
      for (const g of groups) assert.strictEqual(g.inputs.retentionInDays, 365);
      const settings = one(prod, "aws:apigateway/methodSettings:MethodSettings").inputs
        .settings as Record<string, unknown>;
      assert.strictEqual(settings.throttlingRateLimit, 100);
      assert.strictEqual(settings.throttlingBurstLimit, 200);
      assert.strictEqual(settings.loggingLevel, "ERROR");
    });
  });

  describe("argument validation", () => {
    it("accepts the dev and prod stacks' args", () => {
      assert.deepStrictEqual(validatePrivateRestApiArgs(apiArgs("dev")), []);
      assert.deepStrictEqual(validatePrivateRestApiArgs(apiArgs("prod")), []);
    });

    it("refuses a caller whose invoker role would be autonamed past IAM's 64 characters, before any child", async () => {
      const args = apiArgs("dev");
      // 40 characters: a valid caller name in config, too long under "loyalty-api-".
      const name = "points-accrual-batch-for-the-eu-partners";
      assert.strictEqual(name.length, 40);
      const callers = args.callers.map((c, i) => (i === 1 ? { ...c, name } : c));
      assert.deepStrictEqual(validatePrivateRestApiArgs({ ...args, callers }), []);
      let error: Error | undefined;
      const run = await runComponents(() => {
        try {
          new PrivateRestApi("loyalty-api", { ...args, callers });
        } catch (e) {
          error = e as Error;
        }
      });
      assert.ok(error, "expected a validation error");
      assert.match(
        error.message,
        new RegExp(
          `callers\\[1\\]\\.name: the invoker role 'loyalty-api-${name}-role' would be autonamed to 65 characters \\(limit 64\\)`,
        ),
      );
      assert.deepStrictEqual(
        run.resources.filter((r) => r.custom).map((r) => r.type),
        [],
      );
    });

    it("refuses a component name that makes its CloudWatch role too long, unless the account setting is left alone", () => {
      const name = "x".repeat(41);
      const problems = validatePrivateRestApiArgs({ ...apiArgs(), callers: [] }, name);
      assert.deepStrictEqual(problems, [
        `name: the IAM role '${name}-cloudwatch-role' would be autonamed to 65 characters (limit 64); shorten the component or name`,
      ]);
      assert.deepStrictEqual(
        validatePrivateRestApiArgs(
          { ...apiArgs(), callers: [], manageAccountCloudWatchRole: false },
          name,
        ),
        [],
      );
    });

    it("reports every problem at once, naming each field, before creating any child", async () => {
      const args = apiArgs("dev");
      const bad: PrivateRestApiArgs = {
        ...args,
        stageName: "v-1",
        throttle: { rateLimit: 50, burstLimit: 10 },
        logRetentionDays: 15,
        routes: [...LOYALTY_API.routes, { route: "PUT /loyalty/{customerId}" }],
        usagePlans: [
          { ...args.usagePlans[0], rateLimit: -1 },
          { ...args.usagePlans[1], quota: { limit: 10, period: "YEAR" as never } },
        ],
        callers: [
          { ...args.callers[0], routes: [] },
          { ...args.callers[1], routes: ["DELETE /loyalty/{customerId}"], usagePlan: "gold" },
        ],
      };
      let error: Error | undefined;
      const run = await runComponents(() => {
        try {
          new PrivateRestApi("loyalty", bad);
        } catch (e) {
          error = e as Error;
        }
      });
      assert.ok(error, "expected a validation error");
      for (const field of [
        "stageName",
        "throttle.burstLimit",
        "logRetentionDays",
        "routes[2].bodySchema",
        "usagePlans[0].rateLimit",
        "usagePlans[1].quota.period",
        "callers[0].routes: expected at least one granted route",
        "callers[1].routes[0]: 'DELETE /loyalty/{customerId}' is not a route of the API",
        "callers[1].usagePlan: unknown tier 'gold'",
      ])
        assert.ok(error.message.includes(field), `missing '${field}' in:\n${error.message}`);
      assert.deepStrictEqual(
        run.resources.filter((r) => r.custom).map((r) => r.type),
        [],
      );
    });
  });
});
