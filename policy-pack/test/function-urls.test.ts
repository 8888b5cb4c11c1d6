import * as assert from "assert";
import { functionUrlCorsCredentials, functionUrlCorsOrigins } from "../policies/function-urls";
import { TYPES } from "../lib/stack-refs";
import { assertOne, assertSilent, runResourcePolicy, UNKNOWN } from "./helpers/run-policy";

const url = (cors: unknown, authorizationType = "AWS_IAM") => ({
  type: TYPES.functionUrl,
  name: "report-url",
  props: { functionName: "report", authorizationType, cors },
});

describe("sec1-e-function-url-cors-credentials", () => {
  it("is mandatory", () =>
    assert.strictEqual(functionUrlCorsCredentials.enforcementLevel, "mandatory"));

  it("reports credentials allowed for every origin", async () => {
    assertOne(
      await runResourcePolicy(
        functionUrlCorsCredentials,
        url({ allowOrigins: ["*"], allowCredentials: true }),
      ),
      /Lambda FunctionUrl 'report-url' must not allow credentials from every origin; set cors.allowOrigins/,
    );
  });

  it("accepts credentials for named origins, and any origin without credentials", async () => {
    const named = url({ allowOrigins: ["https://app.example.com"], allowCredentials: true });
    assertSilent(await runResourcePolicy(functionUrlCorsCredentials, named));
    assertSilent(await runResourcePolicy(functionUrlCorsCredentials, url({ allowOrigins: ["*"] })));
    assertSilent(await runResourcePolicy(functionUrlCorsCredentials, url(undefined)));
  });

  it("stays silent while origins or credentials are unknown, and exempts configured URLs", async () => {
    for (const cors of [
      UNKNOWN,
      { allowOrigins: UNKNOWN, allowCredentials: true },
      { allowOrigins: ["*"], allowCredentials: UNKNOWN },
    ]) {
      assertSilent(await runResourcePolicy(functionUrlCorsCredentials, url(cors)));
    }
    const open = url({ allowOrigins: ["*"], allowCredentials: true });
    assertSilent(
      await runResourcePolicy(functionUrlCorsCredentials, open, { exemptResources: ["report-*"] }),
    );
  });
});

describe("sec1-e-function-url-cors-origins", () => {
  it("is advisory", () => assert.strictEqual(functionUrlCorsOrigins.enforcementLevel, "advisory"));

  it("reports any origin on a URL not public by design", async () => {
    assertOne(
      await runResourcePolicy(functionUrlCorsOrigins, url({ allowOrigins: ["*"] })),
      /Lambda FunctionUrl 'report-url' must name the web origins that call it/,
    );
  });

  it("accepts named origins, no CORS, and URLs configured as public", async () => {
    assertSilent(
      await runResourcePolicy(
        functionUrlCorsOrigins,
        url({ allowOrigins: ["https://app.example.com"] }),
      ),
    );
    assertSilent(await runResourcePolicy(functionUrlCorsOrigins, url(undefined)));
    assertSilent(
      await runResourcePolicy(functionUrlCorsOrigins, url({ allowOrigins: ["*"] }), {
        publicResources: ["report-url"],
      }),
    );
  });

  it("leaves credentialed any-origin CORS to the mandatory policy, and stays silent on unknowns", async () => {
    assertSilent(
      await runResourcePolicy(
        functionUrlCorsOrigins,
        url({ allowOrigins: ["*"], allowCredentials: true }),
      ),
    );
    assertSilent(await runResourcePolicy(functionUrlCorsOrigins, url({ allowOrigins: [UNKNOWN] })));
    assertSilent(
      await runResourcePolicy(
        functionUrlCorsOrigins,
        url({ allowOrigins: ["*"], allowCredentials: UNKNOWN }),
      ),
    );
  });
});
