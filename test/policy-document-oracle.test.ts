/**
 * The pack's policy-document evaluator cross-checked against @cloud-copilot/iam-simulate. The
 * oracle is AGPL-3.0: a devDependency of the root only, never of the pack, which orgs install and
 * publish; so this test lives here, beside the root's tests, not in policy-pack/test.
 */
import * as assert from "node:assert";
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { evaluatePolicy, RequestContext } from "../policy-pack/lib/policy-document";
import {
  API,
  doc,
  FOREIGN_ROLE,
  OTHER_ROLE,
  request,
  ROLE,
  VPCE,
} from "../policy-pack/test/helpers/policy-documents";

describe("policy-document: cross-check against @cloud-copilot/iam-simulate (oracle)", () => {
  // Full ARNs: the oracle does not expand API Gateway's execute-api:/ shorthand.
  const R = `${API}/*`;
  const documents: [string, Record<string, unknown>][] = [
    [
      "gate",
      {
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Principal: "*", Action: "execute-api:Invoke", Resource: R },
          {
            Effect: "Deny",
            Principal: "*",
            Action: "execute-api:Invoke",
            Resource: R,
            Condition: { StringNotEquals: { "aws:SourceVpce": VPCE } },
          },
        ],
      },
    ],
    [
      "allow with vpce condition",
      {
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { AWS: "*" },
            Action: ["execute-api:Invoke"],
            Resource: [R],
            Condition: { StringEquals: { "aws:SourceVpce": [VPCE, "vpce-0ffffffffffffffff"] } },
          },
        ],
      },
    ],
    [
      "named role, scoped path",
      {
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { AWS: ROLE },
            Action: "execute-api:Invoke",
            Resource: `${API}/prod/GET/loyalty/*`,
          },
        ],
      },
    ],
    [
      "NotAction + NotResource",
      {
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: "*",
            NotAction: "execute-api:ManageConnections",
            Resource: R,
          },
          { Effect: "Deny", Principal: "*", Action: "execute-api:*", NotResource: `${API}/prod/*` },
        ],
      },
    ],
    [
      "StringNotLike + ArnNotLike deny",
      {
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Principal: "*", Action: "execute-api:Invoke", Resource: R },
          {
            Effect: "Deny",
            Principal: "*",
            Action: "execute-api:Invoke",
            Resource: R,
            Condition: { StringNotLike: { "aws:SourceVpce": "vpce-0123*" } },
          },
          {
            Effect: "Deny",
            Principal: "*",
            Action: "execute-api:Invoke",
            Resource: `${API}/prod/POST/*`,
            Condition: {
              ArnNotLike: { "aws:PrincipalArn": "arn:aws:iam::123456789012:role/loyalty-*" },
            },
          },
        ],
      },
    ],
    [
      "IfExists and Null",
      {
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: "*",
            Action: "execute-api:Invoke",
            Resource: R,
            Condition: {
              StringEqualsIfExists: { "aws:SourceVpc": "vpc-0aaa" },
              Null: { "aws:SourceVpce": "false" },
            },
          },
        ],
      },
    ],
  ];
  const requests: [string, RequestContext][] = [
    ["own role via the endpoint", request()],
    ["own role via another endpoint", request({ context: { "aws:SourceVpce": "vpce-0999" } })],
    ["own role with no endpoint", request({ context: {} })],
    [
      "other role POST via the endpoint",
      request({ principal: { arn: OTHER_ROLE }, resource: `${API}/prod/POST/loyalty/42/points` }),
    ],
    ["role POST via the endpoint", request({ resource: `${API}/prod/POST/loyalty/42/points` })],
    ["own role, other stage", request({ resource: `${API}/test/GET/loyalty/42` })],
    [
      "vpc key set, wrong vpc",
      request({ context: { "aws:SourceVpce": VPCE, "aws:SourceVpc": "vpc-0bbb" } }),
    ],
    ["foreign account via the endpoint", request({ principal: { arn: FOREIGN_ROLE } })],
  ];

  async function oracle(policy: Record<string, unknown>, r: RequestContext): Promise<string> {
    const arn = r.principal.arn ?? ROLE;
    const context: Record<string, string | string[]> = { "aws:PrincipalArn": arn };
    for (const [k, v] of Object.entries(r.context ?? {})) {
      if (v !== undefined) context[k] = Array.isArray(v) ? v : String(v);
    }
    const result = await runSimulation(
      {
        identityPolicies: [],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: policy,
        request: {
          principal: arn,
          action: r.action,
          resource: { resource: r.resource, accountId: "123456789012" },
          contextVariables: context,
        },
      } as never,
      {},
    );
    assert.notStrictEqual(result.resultType, "error", JSON.stringify(result));
    const analysis = (
      result as { result: { analysis?: { resourceAnalysis?: { result?: string } } } }
    ).result.analysis?.resourceAnalysis?.result;
    return String(analysis);
  }

  const ours: Record<string, string> = {
    Allow: "Allowed",
    ExplicitDeny: "ExplicitlyDenied",
    ImplicitDeny: "ImplicitlyDenied",
  };

  it("agrees with the oracle on every document × request (resource-policy decision)", async () => {
    const disagreements: string[] = [];
    let compared = 0;
    for (const [dname, policy] of documents) {
      for (const [rname, r] of requests) {
        const expected = await oracle(policy, r);
        const actual = ours[evaluatePolicy(doc(policy), r)] ?? "Unknown";
        compared++;
        if (expected !== actual)
          disagreements.push(`${dname} / ${rname}: oracle ${expected}, ours ${actual}`);
      }
    }
    assert.strictEqual(compared, documents.length * requests.length);
    assert.deepStrictEqual(disagreements, []);
  });
});
