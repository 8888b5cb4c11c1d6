/**
 * SEC1 practice A, an AppSync AWS_IAM provider nobody is meant to use. AWS_IAM admits any
 * principal whose identity policy allows `appsync:GraphQL` on the API, in this account or in one
 * the account trusts; when the stack grants it to no one, the provider is either meant for
 * callers defined elsewhere (say so in config) or an unused door. A grant on every API is the
 * other side of the same door. Advisory: neither by itself lets anyone outside in.
 */
import { Policies, PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { sec1Metadata } from "../lib/metadata";
import { wildcardMatch } from "../lib/arn";
import { identityDocuments } from "../lib/identity-documents";
import { Statement, statementLabel } from "../lib/policy-document";
import { configSchema, exemptResourcesProperty, readConfig } from "../lib/policy-config";
import { validateStackWith } from "../lib/typed-validation";
import { matchesAnyGlob, ofType, rawProps, TYPES } from "../lib/stack-refs";
import { asRecord, hasUnknown, knownString, nameOf, upperString as upper } from "../lib/values";

const DOCS = {
  iam: "https://docs.aws.amazon.com/appsync/latest/devguide/security-authz.html#aws-iam-authorization",
};

const GRAPHQL = "appsync:GraphQL";

/** "yes", "no" or undefined (unknown) for "the API offers the AWS_IAM provider". */
function offersIam(props: Record<string, unknown>): boolean | undefined {
  if (hasUnknown(props.authenticationType)) return undefined;
  if (upper(props.authenticationType) === "AWS_IAM") return true;
  const extra = props.additionalAuthenticationProviders;
  if (hasUnknown(extra)) return undefined;
  return (Array.isArray(extra) ? extra : []).some(
    (p) => upper(asRecord(p)?.authenticationType) === "AWS_IAM",
  );
}

/** True when an Allow statement may allow appsync:GraphQL, on some resource. */
function allowsGraphQL(s: Statement): boolean {
  if (s.effect !== "Allow") return false;
  return s.action
    ? s.action.some((a) => wildcardMatch(a, GRAPHQL, true))
    : !(s.notAction ?? []).some((a) => wildcardMatch(a, GRAPHQL, true));
}

/** True when a statement's resources cover every GraphQL API (`*`, `apis/*`, NotResource). */
function onEveryApi(s: Statement): boolean {
  if (s.notResource) return true;
  return (s.resource ?? []).some((r) => {
    if (r === "*") return true;
    const arn = /^arn:[^:]+:appsync:[^:]*:[^:]*:(.*)$/.exec(r);
    return arn !== null && wildcardMatch(arn[1], "apis/sec1-any-api/types/Query/fields/x");
  });
}

/** True when a statement that allows appsync:GraphQL may reach `api`. */
function reachesApi(s: Statement, api: PolicyResource, fromApi: boolean): boolean {
  if (s.notResource || fromApi) return true;
  const arn = knownString(rawProps(api.props).arn);
  return (s.resource ?? []).some(
    (r) => r === "*" || (arn !== undefined && wildcardMatch(r, `${arn}/types/Query/fields/x`)),
  );
}

/** True when the document's resource takes an input from the API (its ARN, say). */
function dependsOnApi(source: PolicyResource, api: PolicyResource): boolean {
  return Object.values(asRecord(source.propertyDependencies) ?? {}).some(
    (deps) => Array.isArray(deps) && deps.includes(api),
  );
}

/** Config of sec1-a-appsync-iam-callers. */
export interface AppSyncIamCallersArgs {
  /** Logical names of GraphQL APIs whose IAM callers are defined elsewhere (`*` wildcards). */
  exemptResources: string[];
}

const schema = configSchema({
  exemptResources: exemptResourcesProperty(
    "GraphQL APIs whose IAM callers are granted outside this stack",
  ),
});

/** A (stack): an AWS_IAM provider has a caller the stack grants appsync:GraphQL. */
export const appsyncIamCallers: StackValidationPolicy = {
  name: "sec1-a-appsync-iam-callers",
  description:
    "An AppSync API that accepts AWS_IAM should have the IAM callers it is meant for granted appsync:GraphQL on it in the stack; with none, the provider admits whichever principal some other policy allows, and nobody reviews who that is. No identity policy should allow appsync:GraphQL on every API (`*`, `apis/*`): its holder calls every AWS_IAM API of the account, present and future (judged in stacks that define a GraphQL API).",
  enforcementLevel: "advisory",
  configSchema: schema,
  ...sec1Metadata(
    "A",
    "low",
    "Grant `appsync:GraphQL` on `<api arn>/types/<Type>/fields/<field>` to the roles meant to call the API, in this stack; or remove the AWS_IAM provider; or list the API in `exemptResources` when its callers are granted in another stack or account.",
    DOCS.iam,
    ["appsync", "iam"],
  ),
  validateStack: validateStackWith(TYPES.graphQLApi, (args, report) => {
    const config = readConfig<AppSyncIamCallersArgs>(args, schema);
    const documents = identityDocuments(args.resources);
    for (const d of documents) {
      const wide = (d.document?.statements ?? []).filter(
        (st) => allowsGraphQL(st) && onEveryApi(st),
      );
      if (wide.length === 0 || matchesAnyGlob(nameOf(d.source), config.exemptResources)) continue;
      report(
        `IAM policy '${nameOf(d.source)}' should not allow appsync:GraphQL on every API (${wide.map(statementLabel).join(", ")} of ${d.where}: its principal → appsync:GraphQL → every AWS_IAM GraphQL API of the account, present and future); set Resource to <api arn>/types/<Type>/fields/<field> of the APIs it calls.`,
        d.source.urn,
      );
    }
    if (documents.some((d) => d.unknown)) return; // a grant may hide in a document not known yet
    // Only statements that allow appsync:GraphQL at all are matched against each API, so a stack
    // of many APIs and many unrelated policies stays linear.
    const grants = documents.flatMap((d) =>
      (d.document?.statements ?? [])
        .filter(allowsGraphQL)
        .map((statement) => ({ source: d.source, statement })),
    );
    for (const api of ofType(args.resources, TYPES.graphQLApi)) {
      if (matchesAnyGlob(nameOf(api), config.exemptResources)) continue;
      if (offersIam(rawProps(api.props)) !== true) continue;
      const granted = grants.some(({ source, statement }) =>
        reachesApi(statement, api, dependsOnApi(source, api)),
      );
      if (granted) continue;
      report(
        `AppSync GraphQLApi '${nameOf(api)}' accepts AWS_IAM but the stack grants no caller appsync:GraphQL on it; set an IAM policy for its callers, or list it in exemptResources when they are granted elsewhere.`,
        api.urn,
      );
    }
  }),
};

/** Every policy of this file. */
export const policies: Policies = [appsyncIamCallers];
