import { Policies } from "@pulumi/policy";
import { policies as apiKeys } from "./api-keys";
import { policies as appsyncIamCallers } from "./appsync-iam-callers";
import { policies as authentication } from "./authentication";
import { policies as endpoints } from "./endpoints";
import { policies as identityProviders } from "./identity-providers";
import { policies as functionInvoke } from "./function-invoke";
import { policies as functionUrls } from "./function-urls";
import { policies as leastPrivilege } from "./least-privilege";
import { policies as observability } from "./observability";
import { policies as secrets } from "./secrets";
import { policies as serviceRoles } from "./service-roles";
import { policies as tokenScopes } from "./token-scopes";
import { policies as userPools } from "./user-pools";
import { policies as waf } from "./waf";
import { policies as reach } from "./reach";
import { exemptionDeclarations } from "./exemption-declarations";
import { withExemptions } from "../lib/exempting";

/** The SEC1 policies as written, by practice: A, K, E, I, X (unit tests run them directly). */
export const sec1Policies: Policies = [
  ...authentication,
  ...identityProviders,
  ...tokenScopes,
  ...userPools,
  ...appsyncIamCallers,
  ...reach,
  ...apiKeys,
  ...secrets,
  ...endpoints,
  ...functionUrls,
  ...leastPrivilege,
  ...serviceRoles,
  ...functionInvoke,
  ...observability,
  ...waf,
];

/**
 * Every policy of the pack, each wrapped by the one exemption mechanism (lib/exempting.ts), and
 * last the policy that checks exemption declarations.
 */
export const allPolicies: Policies = withExemptions(sec1Policies, exemptionDeclarations);
