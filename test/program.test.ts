import * as assert from "assert";
import { MOCK_ACCOUNT_ID } from "../tools/mock-engine";
import { ofType, policyDocument, runStack } from "./helpers/harness";

describe("program", () => {
  for (const stack of ["dev", "prod"] as const) {
    describe(`${stack} stack`, () => {
      it("builds every tier and exports its endpoints", async () => {
        const run = await runStack(stack);
        assert.strictEqual(run.outputs.environment, stack);
        for (const type of [
          "sec1:network:Network",
          "sec1:identity:Identity",
          "aws:apigateway/restApi:RestApi",
          "aws:apigatewayv2/api:Api",
          "aws:appsync/graphQLApi:GraphQLApi",
          "aws:ec2/vpcEndpoint:VpcEndpoint",
        ]) {
          assert.ok(
            run.resources.some((r) => r.type === type),
            `${type} missing`,
          );
        }
        assert.match(
          String(run.outputs.privateApiUrl),
          /^https:\/\/[a-z0-9]{10}\.execute-api\.eu-west-1\.amazonaws\.com\/v1$/,
        );
        assert.match(String(run.outputs.graphqlUrl), /^https:\/\/.+\/graphql$/);
        assert.deepStrictEqual(run.secretOutputs, ["privateApiKeyValues"]);
      });

      it("lets no role invoke execute-api beyond a stage, method and path of its own API", async () => {
        const run = await runStack(stack);
        const apiId = run.resources.find((r) => r.type === "aws:apigateway/restApi:RestApi")?.id;
        const documents = [
          ...ofType(run, "aws:iam/rolePolicy:RolePolicy").map((r) => r.inputs.policy),
          ...ofType(run, "aws:iam/policy:Policy").map((r) => r.inputs.policy),
        ];
        let grants = 0;
        for (const doc of documents) {
          for (const st of policyDocument(doc).Statement) {
            const actions = [st.Action ?? []].flat() as string[];
            if (st.Effect !== "Allow" || !actions.some((a) => /^(execute-api:|\*$)/i.test(a)))
              continue;
            for (const resource of [st.Resource].flat() as string[]) {
              grants++;
              assert.match(
                resource,
                new RegExp(
                  `^arn:aws:execute-api:eu-west-1:${MOCK_ACCOUNT_ID}:${apiId}/v1/(GET|POST)/loyalty/`,
                ),
              );
            }
          }
        }
        assert.ok(grants >= 2, "each internal caller has an invoke grant");
      });
    });
  }

  it("refuses a stack whose GraphQL resolver has no invoker role", async () => {
    const failure = await runStack("dev", { internalCallers: [] }).then(
      () => undefined,
      (e: Error) => e,
    );
    assert.ok(failure && failure.name === "ConfigError");
    assert.match(
      failure.message,
      /sec1-api-platform:internalCallers: expected a caller named appsync-loyalty-resolver/,
    );
  });
});
