import { Policies } from "@pulumi/policy";
import { policies as apiKeys } from "./api-keys";
import { policies as authentication } from "./authentication";
import { policies as endpoints } from "./endpoints";
import { policies as leastPrivilege } from "./least-privilege";
import { policies as observability } from "./observability";
import { policies as reach } from "./reach";

/** Every policy of the pack, by practice: A, K, E, I, X. */
export const allPolicies: Policies = [
  ...authentication,
  ...reach,
  ...apiKeys,
  ...endpoints,
  ...leastPrivilege,
  ...observability,
];
