import * as assert from "node:assert";
import {
  evaluatePolicy,
  findUnrestrictedInvoke,
  invokeGrants,
  parsePolicyDocument,
  parseTrustPolicy,
  scopeOfResource,
} from "../lib/policy-document";
import { API, doc, gate, OTHER_ROLE, request, ROLE, VPCE } from "./helpers/policy-documents";
import { UNKNOWN } from "./helpers/run-policy";

describe("policy-document: parsing", () => {
  it("reads a JSON string and an object to the same statements", () => {
    assert.deepStrictEqual(doc(JSON.stringify(gate())), doc(gate()));
  });

  it("normalises a lone Statement object, string Action and string Resource to lists", () => {
    const d = doc({ Statement: { Effect: "Allow", Action: "s3:GetObject", Resource: "*" } });
    assert.strictEqual(d.statements.length, 1);
    assert.deepStrictEqual(d.statements[0].action, ["s3:GetObject"]);
    assert.deepStrictEqual(d.statements[0].resource, ["*"]);
  });

  it('treats Principal "*" and {"AWS": "*"} as the same wildcard', () => {
    const a = doc({ Statement: { Effect: "Allow", Principal: "*", Action: "*", Resource: "*" } });
    const b = doc({
      Statement: { Effect: "Allow", Principal: { AWS: "*" }, Action: "*", Resource: "*" },
    });
    assert.strictEqual(a.statements[0].principal?.wildcard, true);
    assert.deepStrictEqual(a.statements[0].principal, b.statements[0].principal);
  });

  it("reads Principal lists and service principals", () => {
    const d = doc({
      Statement: {
        Effect: "Allow",
        Principal: { AWS: [ROLE, "123456789012"], Service: "lambda.amazonaws.com" },
        Action: "*",
        Resource: "*",
      },
    });
    assert.deepStrictEqual(d.statements[0].principal?.aws, [ROLE, "123456789012"]);
    assert.deepStrictEqual(d.statements[0].principal?.service, ["lambda.amazonaws.com"]);
  });

  const cannotTell: [string, unknown, string][] = [
    ["broken JSON", '{"Statement": [', "malformed"],
    ["a JSON array", "[]", "malformed"],
    ["a number", 42, "malformed"],
    ["no Statement", { Version: "2012-10-17" }, "malformed"],
    ["a bad Effect", { Statement: { Effect: "Maybe", Action: "*", Resource: "*" } }, "malformed"],
    [
      "Action and NotAction",
      { Statement: { Effect: "Allow", Action: "*", NotAction: "s3:*", Resource: "*" } },
      "malformed",
    ],
    ["no Resource", { Statement: { Effect: "Allow", Action: "*" } }, "malformed"],
    [
      "a non-string action",
      { Statement: { Effect: "Allow", Action: [1], Resource: "*" } },
      "malformed",
    ],
    [
      "a bad Principal",
      { Statement: { Effect: "Allow", Principal: ["*"], Action: "*", Resource: "*" } },
      "malformed",
    ],
    [
      "a bad Condition",
      { Statement: { Effect: "Allow", Action: "*", Resource: "*", Condition: "x" } },
      "malformed",
    ],
    ["the unknown sentinel", UNKNOWN, "unknown"],
    ["an interpolated unknown", `{"Statement": [{"Resource": "${UNKNOWN}"}]}`, "unknown"],
    [
      "an unknown nested in an object",
      { Statement: [{ Effect: "Allow", Action: "*", Resource: UNKNOWN }] },
      "unknown",
    ],
    ["undefined", undefined, "absent"],
    ["an empty string", "", "absent"],
  ];
  for (const [what, value, status] of cannotTell) {
    it(`reads ${what} as ${status}, without throwing`, () => {
      assert.strictEqual(parsePolicyDocument(value).status, status);
    });
  }
});

describe("policy-document: trust policies", () => {
  const trust = {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: "apigateway.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:SourceAccount": "111122223333" } },
      },
    ],
  };

  it("reads a statement without Resource (the role is the resource) as Resource *", () => {
    assert.strictEqual(parsePolicyDocument(trust).status, "malformed");
    for (const value of [trust, JSON.stringify(trust)]) {
      const parsed = parseTrustPolicy(value);
      assert.strictEqual(parsed.status, "ok");
      const [st] = parsed.status === "ok" ? parsed.document.statements : [];
      assert.deepStrictEqual(st.resource, ["*"]);
      assert.deepStrictEqual(st.principal?.service, ["apigateway.amazonaws.com"]);
      assert.strictEqual(st.conditions.length, 1);
    }
  });

  it("keeps what it cannot read: unknown, absent, not JSON", () => {
    assert.strictEqual(parseTrustPolicy(UNKNOWN).status, "unknown");
    assert.strictEqual(
      parseTrustPolicy(`{"Statement": [{"Principal": "${UNKNOWN}"}]}`).status,
      "unknown",
    );
    assert.strictEqual(parseTrustPolicy(undefined).status, "absent");
    assert.strictEqual(parseTrustPolicy("{not json").status, "malformed");
  });
});

describe("policy-document: evaluation", () => {
  it("allows a caller through the gate from the listed VPC endpoint", () => {
    assert.strictEqual(evaluatePolicy(doc(gate()), request()), "Allow");
  });

  it("denies explicitly from another VPC endpoint, and when the key is missing", () => {
    const d = doc(gate());
    assert.strictEqual(
      evaluatePolicy(d, request({ context: { "aws:SourceVpce": "vpce-other" } })),
      "ExplicitDeny",
    );
    assert.strictEqual(evaluatePolicy(d, request({ context: {} })), "ExplicitDeny");
  });

  it("matches actions case-insensitively with wildcards", () => {
    const d = doc({
      Statement: { Effect: "Allow", Principal: "*", Action: "Execute-API:*", Resource: "*" },
    });
    assert.strictEqual(evaluatePolicy(d, request()), "Allow");
    assert.strictEqual(evaluatePolicy(d, request({ action: "s3:GetObject" })), "ImplicitDeny");
  });

  it("NotAction allows everything except the listed actions", () => {
    const d = doc({
      Statement: { Effect: "Allow", Principal: "*", NotAction: "s3:*", Resource: "*" },
    });
    assert.strictEqual(evaluatePolicy(d, request()), "Allow");
    assert.strictEqual(evaluatePolicy(d, request({ action: "s3:GetObject" })), "ImplicitDeny");
  });

  it("NotResource allows everything except the listed resources", () => {
    const d = doc({
      Statement: {
        Effect: "Allow",
        Principal: "*",
        Action: "execute-api:Invoke",
        NotResource: "execute-api:/prod/POST/*",
      },
    });
    assert.strictEqual(evaluatePolicy(d, request()), "Allow");
    assert.strictEqual(
      evaluatePolicy(d, request({ resource: `${API}/prod/POST/loyalty/42/points` })),
      "ImplicitDeny",
    );
  });

  it("names principals by ARN, account id, account root and assumed-role session", () => {
    const d = doc({
      Statement: [
        { Effect: "Allow", Principal: { AWS: ROLE }, Action: "execute-api:Invoke", Resource: "*" },
        {
          Effect: "Allow",
          Principal: { AWS: "arn:aws:iam::555555555555:root" },
          Action: "*",
          Resource: "*",
        },
      ],
    });
    assert.strictEqual(evaluatePolicy(d, request()), "Allow");
    assert.strictEqual(
      evaluatePolicy(
        d,
        request({ principal: { arn: "arn:aws:sts::123456789012:assumed-role/loyalty-caller/s1" } }),
      ),
      "Allow",
    );
    assert.strictEqual(
      evaluatePolicy(d, request({ principal: { arn: OTHER_ROLE } })),
      "ImplicitDeny",
    );
    assert.strictEqual(
      evaluatePolicy(d, request({ principal: { arn: "arn:aws:iam::555555555555:role/x" } })),
      "Allow",
    );
  });

  it("IfExists passes a missing key; Null tests presence; Bool compares", () => {
    const d = doc({
      Statement: {
        Effect: "Allow",
        Principal: "*",
        Action: "*",
        Resource: "*",
        Condition: {
          StringEqualsIfExists: { "aws:SourceVpc": "vpc-1" },
          Null: { "aws:SourceVpce": "false" },
          Bool: { "aws:SecureTransport": "true" },
        },
      },
    });
    const ctx = { "aws:SourceVpce": VPCE, "aws:SecureTransport": true };
    assert.strictEqual(evaluatePolicy(d, request({ context: ctx })), "Allow");
    assert.strictEqual(
      evaluatePolicy(d, request({ context: { ...ctx, "aws:SourceVpc": "vpc-2" } })),
      "ImplicitDeny",
    );
    assert.strictEqual(
      evaluatePolicy(d, request({ context: { "aws:SecureTransport": true } })),
      "ImplicitDeny",
    );
  });

  it("ForAnyValue / ForAllValues over multi-valued keys", () => {
    const any = doc({
      Statement: {
        Effect: "Allow",
        Action: "*",
        Resource: "*",
        Condition: { "ForAnyValue:StringLike": { "aws:TagKeys": ["team-*"] } },
      },
    });
    const all = doc({
      Statement: {
        Effect: "Allow",
        Action: "*",
        Resource: "*",
        Condition: { "ForAllValues:StringEquals": { "aws:TagKeys": ["a", "b"] } },
      },
    });
    assert.strictEqual(
      evaluatePolicy(any, request({ context: { "aws:TagKeys": ["x", "team-1"] } })),
      "Allow",
    );
    assert.strictEqual(evaluatePolicy(any, request({ context: {} })), "ImplicitDeny");
    assert.strictEqual(
      evaluatePolicy(all, request({ context: { "aws:TagKeys": ["a"] } })),
      "Allow",
    );
    assert.strictEqual(
      evaluatePolicy(all, request({ context: { "aws:TagKeys": ["a", "c"] } })),
      "ImplicitDeny",
    );
    assert.strictEqual(evaluatePolicy(all, request({ context: {} })), "Allow");
  });

  it("answers Unknown instead of guessing when an operator it does not evaluate decides", () => {
    const d = doc({
      Statement: {
        Effect: "Allow",
        Principal: "*",
        Action: "*",
        Resource: "*",
        Condition: { DateLessThan: { "aws:CurrentTime": "2030-01-01T00:00:00Z" } },
      },
    });
    assert.strictEqual(evaluatePolicy(d, request()), "Unknown");
  });
});

describe("policy-document: VPC endpoint restriction", () => {
  const open = (value: unknown) => findUnrestrictedInvoke(doc(value)).verdict;

  it("a Deny with StringNotEquals aws:SourceVpce covering the Allow restricts it", () => {
    assert.strictEqual(open(gate()), "restricted");
    assert.strictEqual(open(JSON.stringify(gate())), "restricted");
  });

  it("an Allow for * with no condition is open, whatever the Principal form", () => {
    for (const principal of ["*", { AWS: "*" }, { AWS: ["*"] }]) {
      assert.strictEqual(
        open({
          Statement: {
            Effect: "Allow",
            Principal: principal,
            Action: "execute-api:Invoke",
            Resource: "execute-api:/*",
          },
        }),
        "open",
      );
    }
  });

  it("an Allow for * conditioned on aws:SourceVpce or aws:SourceVpc is restricted", () => {
    for (const [op, key, value] of [
      ["StringEquals", "aws:SourceVpce", VPCE],
      ["StringEquals", "aws:sourcevpc", "vpc-0abc"],
      ["ForAnyValue:StringEquals", "aws:SourceVpce", [VPCE]],
    ] as const) {
      const statement = {
        Effect: "Allow",
        Principal: "*",
        Action: ["execute-api:Invoke"],
        Resource: ["execute-api:/*"],
        Condition: { [op]: { [key]: value } },
      };
      assert.strictEqual(open({ Statement: [statement] }), "restricted", `${op} ${key}`);
    }
  });

  it("an Allow for * limited only by another key (aws:PrincipalOrgID) is open", () => {
    assert.strictEqual(
      open({
        Statement: {
          Effect: "Allow",
          Principal: "*",
          Action: "execute-api:Invoke",
          Resource: "execute-api:/*",
          Condition: { StringEquals: { "aws:PrincipalOrgID": "o-123" } },
        },
      }),
      "open",
    );
  });

  it("a Deny that covers only one stage leaves the Allow open elsewhere", () => {
    const value = gate();
    (value.Statement as { Resource: string }[])[1].Resource = "execute-api:/prod/*";
    assert.strictEqual(open(value), "open");
  });

  it("a Deny whose condition we cannot evaluate leaves the verdict unknown", () => {
    const value = gate();
    (value.Statement as Record<string, unknown>[])[1].Condition = {
      StringNotEquals: { "aws:SourceVpce": VPCE },
      DateGreaterThan: { "aws:SourceVpce": "x" },
    };
    assert.strictEqual(open(value), "unknown");
  });

  it("NotAction and wildcard actions reach execute-api:Invoke", () => {
    assert.strictEqual(
      open({ Statement: { Effect: "Allow", Principal: "*", NotAction: "s3:*", Resource: "*" } }),
      "open",
    );
    assert.strictEqual(
      open({
        Statement: {
          Effect: "Allow",
          Principal: "*",
          Action: "execute-api:*",
          Resource: `${API}/*`,
        },
      }),
      "open",
    );
  });

  it("an Allow for a named role is not an Allow for *", () => {
    assert.strictEqual(
      open({
        Statement: {
          Effect: "Allow",
          Principal: { AWS: ROLE },
          Action: "execute-api:Invoke",
          Resource: "execute-api:/*",
        },
      }),
      "restricted",
    );
  });
});

describe("policy-document: invoke scope", () => {
  const cases: [string, string | undefined][] = [
    ["*", "any"],
    ["arn:aws:execute-api:*:*:*", "any"],
    ["arn:aws:execute-api:us-east-1:123456789012:*", "any"],
    ["arn:*:*:*:*:*", "any"],
    [`${API}/*`, "api"],
    [`${API}/*/*/*`, "api"],
    ["execute-api:/*", "api"],
    [`${API}/prod/*`, "stage"],
    [`${API}/prod/GET/*`, "method"],
    [`${API}/prod/GET/loyalty/*`, "path"],
    ["execute-api:/prod/POST/loyalty/*/points", "path"],
    ["arn:aws:s3:::bucket/*", undefined],
  ];
  for (const [pattern, scope] of cases) {
    it(`classifies ${pattern} as ${scope ?? "not execute-api"}`, () => {
      assert.strictEqual(scopeOfResource(pattern), scope);
    });
  }

  it("reports NotAction and NotResource grants and their broadest resource", () => {
    const grants = invokeGrants(
      doc({
        Statement: [
          { Effect: "Allow", NotAction: "s3:*", Resource: [`${API}/prod/GET/x`, "*"] },
          { Effect: "Allow", Action: "execute-api:Invoke", NotResource: `${API}/admin/*` },
          { Effect: "Allow", Action: "s3:GetObject", Resource: "*" },
          { Effect: "Deny", Action: "execute-api:Invoke", Resource: "*" },
        ],
      }),
    );
    assert.deepStrictEqual(
      grants.map((g) => [g.scope, g.broadest, g.viaNotAction, g.viaNotResource]),
      [
        ["any", "*", true, false],
        ["any", "NotResource", false, true],
      ],
    );
  });
});
