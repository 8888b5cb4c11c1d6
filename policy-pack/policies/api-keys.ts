/** SEC1 practice K: see ../../shared/SEC1-CHECKS.md. Policies arrive with issue 3. */
import { Policies } from "@pulumi/policy";

/** Every policy of practice K. */
export const policies: Policies = [];
