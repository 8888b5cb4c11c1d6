import * as assert from "assert";
import {
  credentialFormat,
  entropy,
  environmentSecrets,
  literalCredentials,
  looksSecret,
} from "../policies/secrets";
import { TYPES } from "../lib/stack-refs";
import {
  assertOne,
  assertSilent,
  messagesOf,
  runResourcePolicy,
  runStackPolicy,
  StackResourceInput,
  UNKNOWN,
  urnOf,
} from "./helpers/run-policy";

// Test values assembled at run time, so no scanner mistakes this file for a leak.
const ACCESS_KEY_ID = ["AKIA", "IOSFODNN7", "EXAMPLE"].join("");
const PRIVATE_KEY = ["-----BEGIN RSA ", "PRIVATE KEY-----\nMIIE..."].join("");
const GENERATED = "q8ZrT2mXw4Lk9PvB3nYc7HsA1dEf6GjK0uVo5RiW";

const fn = (variables: Record<string, unknown> | string, name = "orders-fn") => ({
  type: TYPES.lambdaFunction,
  name,
  props: { role: "arn:aws:iam::123456789012:role/r", environment: { variables } },
});

describe("secret detection helpers", () => {
  it("recognise credential formats and nothing else", () => {
    assert.strictEqual(credentialFormat(ACCESS_KEY_ID), "an AWS access key id");
    assert.strictEqual(credentialFormat(PRIVATE_KEY), "a private key");
    assert.strictEqual(
      credentialFormat("postgres://app:hunter2@db:5432/x"),
      "a password inside a URL",
    );
    for (const benign of [
      "https://api.example.com/v1",
      "orders-table",
      "AKIA-not-a-key",
      GENERATED,
    ]) {
      assert.strictEqual(credentialFormat(benign), undefined, benign);
    }
  });

  it("tell generated secrets from names, ARNs and URLs", () => {
    assert.ok(entropy(GENERATED) > 4.5);
    assert.ok(looksSecret(GENERATED));
    for (const benign of [
      "loyalty-table-fbfe596",
      "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf",
      "https://z57rvgimov.execute-api.eu-west-1.amazonaws.com/v1",
      "aaaaaaaaaaaaaaaaaaaa1",
      "short1A",
    ]) {
      assert.ok(!looksSecret(benign), benign);
    }
  });
});

describe("sec1-k-literal-credentials", () => {
  it("is mandatory", () => assert.strictEqual(literalCredentials.enforcementLevel, "mandatory"));

  it("reports an AWS access key id in a function's environment", async () => {
    assertOne(
      await runResourcePolicy(literalCredentials, fn({ AWS_ACCESS_KEY: ACCESS_KEY_ID })),
      /Lambda Function 'orders-fn' must not hold credentials in environment.variables.AWS_ACCESS_KEY, which holds an AWS access key id/,
    );
  });

  it("reports a private key in REST stage variables and a URL password in HTTP stage variables", async () => {
    assertOne(
      await runResourcePolicy(literalCredentials, {
        type: TYPES.restStage,
        name: "v1",
        props: {
          restApi: "a",
          stageName: "v1",
          deployment: "d",
          variables: { signingKey: PRIVATE_KEY },
        },
      }),
      /API Gateway Stage 'v1' must not hold credentials in variables.signingKey, which holds a private key/,
    );
    assertOne(
      await runResourcePolicy(literalCredentials, {
        type: TYPES.httpStage,
        name: "live",
        props: { apiId: "h", stageVariables: { backend: "https://svc:s3cr3t@backend.internal" } },
      }),
      /stageVariables.backend, which holds a password inside a URL/,
    );
  });

  it("accepts references to secrets and ordinary settings", async () => {
    assertSilent(
      await runResourcePolicy(
        literalCredentials,
        fn({
          DB_SECRET_ARN: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db",
          TABLE: "orders",
        }),
      ),
    );
  });

  it("stays silent on unknown values and exempts configured resources", async () => {
    assertSilent(await runResourcePolicy(literalCredentials, fn(UNKNOWN)));
    assertSilent(await runResourcePolicy(literalCredentials, fn({ KEY: UNKNOWN })));
    const leaky = fn({ AWS_ACCESS_KEY: ACCESS_KEY_ID });
    assertSilent(
      await runResourcePolicy(literalCredentials, leaky, { exemptResources: ["orders-*"] }),
    );
  });
});

describe("sec1-k-environment-secrets", () => {
  const apiKey: StackResourceInput = {
    type: TYPES.apiKey,
    name: "partner-key",
    props: { name: "partner", value: GENERATED },
  };
  const withKey = (
    variables: Record<string, unknown>,
    keyProps = apiKey.props,
  ): StackResourceInput[] => {
    const key = { ...apiKey, props: keyProps };
    return [
      key,
      {
        ...fn(variables),
        propertyDependencies: { environment: [urnOf(TYPES.apiKey, "partner-key")] },
      },
    ];
  };

  it("is advisory", () => assert.strictEqual(environmentSecrets.enforcementLevel, "advisory"));

  it("reports an API key's value placed in a function's environment, naming the key", async () => {
    const run = await runStackPolicy(environmentSecrets, withKey({ PARTNER_API_KEY: GENERATED }));
    assertOne(
      run,
      /Lambda Function 'orders-fn' should not carry the secret of API Gateway ApiKey 'partner-key' in environment.variables.PARTNER_API_KEY/,
    );
    assert.strictEqual(run.violations[0].urn, urnOf(TYPES.lambdaFunction, "orders-fn"));
  });

  it("attributes a secret-named variable to the key it came from while the key's value is not in view", async () => {
    assertOne(
      await runStackPolicy(
        environmentSecrets,
        withKey({ PARTNER_API_KEY: "x" }, { name: "partner" }),
      ),
      /the secret of API Gateway ApiKey 'partner-key'/,
    );
  });

  it("reports a secret-looking value under a secret-like name without any holder", async () => {
    assertOne(
      await runStackPolicy(environmentSecrets, [fn({ WEBHOOK_TOKEN: GENERATED })]),
      /should not carry a secret-looking value in environment.variables.WEBHOOK_TOKEN/,
    );
  });

  it("accepts ordinary settings, ids and secret ARNs", async () => {
    assertSilent(
      await runStackPolicy(environmentSecrets, [
        fn({
          TABLE_NAME: "orders-table-1a2b3c4",
          PARTNER_KEY_ID: "k8s7d6f5g4",
          DB_SECRET: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbC1",
        }),
      ]),
    );
  });

  it("follows the configured names and exemptions", async () => {
    const stack = [fn({ WEBHOOK_TOKEN: GENERATED })];
    assertSilent(await runStackPolicy(environmentSecrets, stack, { secretNames: ["*PASSWORD"] }));
    assertSilent(
      await runStackPolicy(environmentSecrets, stack, { exemptResources: ["orders-fn"] }),
    );
    assert.strictEqual(
      messagesOf(await runStackPolicy(environmentSecrets, stack, { secretNames: ["WEBHOOK_*"] }))
        .length,
      1,
    );
  });

  it("stays silent while variables are unknown, and leaves credential formats to the mandatory policy", async () => {
    assertSilent(await runStackPolicy(environmentSecrets, withKey({ PARTNER_API_KEY: UNKNOWN })));
    assertSilent(await runStackPolicy(environmentSecrets, [fn(UNKNOWN)]));
    assertSilent(await runStackPolicy(environmentSecrets, [fn({ AWS_SECRET_KEY: ACCESS_KEY_ID })]));
  });
});
