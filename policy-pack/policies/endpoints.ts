/** SEC1 practice E: see ../../shared/SEC1-CHECKS.md. Policies arrive with issue 3. */
import { Policies } from "@pulumi/policy";

/** Every policy of practice E. */
export const policies: Policies = [];
