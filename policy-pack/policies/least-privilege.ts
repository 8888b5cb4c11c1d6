/** SEC1 practice I: see ../../shared/SEC1-CHECKS.md. Policies arrive with issue 3. */
import { Policies } from "@pulumi/policy";

/** Every policy of practice I. */
export const policies: Policies = [];
