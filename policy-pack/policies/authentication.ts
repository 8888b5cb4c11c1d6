/** SEC1 practice A: see ../../shared/SEC1-CHECKS.md. Policies arrive with issue 3. */
import { Policies } from "@pulumi/policy";

/** Every policy of practice A. */
export const policies: Policies = [];
