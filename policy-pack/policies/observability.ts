/** SEC1 practice X: see ../../shared/SEC1-CHECKS.md. Policies arrive with issue 3. */
import { Policies } from "@pulumi/policy";

/** Every policy of practice X. */
export const policies: Policies = [];
