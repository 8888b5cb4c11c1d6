/**
 * SEC1 practice A, the sign-in behind the tokens: a Cognito user pool whose tokens authorize API
 * calls is only as strong as its sign-in. MFA, threat protection and the password policy are
 * hardening (they do not change who is allowed to call), so advisory; self sign-up on a pool
 * config marks as workforce lets anyone on the internet become a caller, so mandatory.
 */
import * as aws from "@pulumi/aws";
import { Policies, ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { sec1Metadata } from "../lib/metadata";
import {
  configSchema,
  exemptResourcesProperty,
  readConfig,
  stringListProperty,
} from "../lib/policy-config";
import { matchesAnyGlob, rawProps } from "../lib/stack-refs";
import { asNumber, asRecord, isUnknownValue, nameOf, upperString as upper } from "../lib/values";

const DOCS = {
  mfa: "https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-settings-mfa.html",
  threat:
    "https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pool-settings-threat-protection.html",
  password:
    "https://docs.aws.amazon.com/cognito/latest/developerguide/managing-users-passwords.html",
  signUp:
    "https://docs.aws.amazon.com/cognito/latest/developerguide/signing-up-users-in-your-app.html",
};

const SERVICE = "Cognito UserPool";

/** Config of sec1-a-user-pool-mfa. */
export interface UserPoolMfaArgs {
  /** Accept OPTIONAL (users choose) as well as ON. Default: false. */
  acceptOptional: boolean;
  /** Logical names of user pools exempt (`*` wildcards). Default: []. */
  exemptResources: string[];
}

const mfaSchema = configSchema({
  acceptOptional: {
    type: "boolean",
    default: false,
    description: "Accept mfaConfiguration OPTIONAL (users choose) as well as ON.",
  },
  exemptResources: exemptResourcesProperty("user pools exempt"),
});

/** A: user pools require a second factor. */
export const userPoolMfa: ResourceValidationPolicy = {
  name: "sec1-a-user-pool-mfa",
  description:
    "Cognito user pools whose tokens authorize API calls must require multi-factor authentication, so a leaked password alone does not yield a token.",
  enforcementLevel: "advisory",
  configSchema: mfaSchema,
  ...sec1Metadata(
    "A",
    "medium",
    'Set `mfaConfiguration: "ON"` with `softwareTokenMfaConfiguration { enabled: true }` (or SMS / email MFA); set `acceptOptional` where users may choose.',
    DOCS.mfa,
    ["cognito", "mfa"],
  ),
  validateResource: validateResourceOfType(aws.cognito.UserPool, (pool, args, report) => {
    const config = readConfig<UserPoolMfaArgs>(args, mfaSchema);
    const name = nameOf(args);
    if (matchesAnyGlob(name, config.exemptResources)) return;
    const raw = rawProps(pool).mfaConfiguration;
    if (isUnknownValue(raw)) return;
    const mfa = upper(raw) ?? "OFF";
    if (mfa === "ON" || (mfa === "OPTIONAL" && config.acceptOptional)) return;
    report(
      `${SERVICE} '${name}' must require a second factor at sign-in; set mfaConfiguration to ON (now ${mfa}).`,
    );
  }),
};

/** Config of sec1-a-user-pool-threat-protection. */
export interface UserPoolThreatProtectionArgs {
  /** Accept AUDIT (risks measured, not acted on) as well as ENFORCED. Default: false. */
  acceptAudit: boolean;
  /** Logical names of user pools exempt (`*` wildcards). Default: []. */
  exemptResources: string[];
}

const threatSchema = configSchema({
  acceptAudit: {
    type: "boolean",
    default: false,
    description:
      "Accept advancedSecurityMode AUDIT (risks measured, not acted on) as well as ENFORCED.",
  },
  exemptResources: exemptResourcesProperty("user pools exempt"),
});

/** A: user pools block risky and compromised-credential sign-ins. */
export const userPoolThreatProtection: ResourceValidationPolicy = {
  name: "sec1-a-user-pool-threat-protection",
  description:
    "Cognito user pools must enforce threat protection (advanced security ENFORCED), which blocks sign-ins with compromised credentials and risky sign-ins before a token is issued.",
  enforcementLevel: "advisory",
  configSchema: threatSchema,
  ...sec1Metadata(
    "A",
    "medium",
    'Set `userPoolTier: "PLUS"` and `userPoolAddOns { advancedSecurityMode: "ENFORCED" }` on the user pool (threat protection needs the Plus feature plan).',
    DOCS.threat,
    ["cognito", "threat-protection"],
  ),
  validateResource: validateResourceOfType(aws.cognito.UserPool, (pool, args, report) => {
    const config = readConfig<UserPoolThreatProtectionArgs>(args, threatSchema);
    const name = nameOf(args);
    if (matchesAnyGlob(name, config.exemptResources)) return;
    const addOns = rawProps(pool).userPoolAddOns;
    if (isUnknownValue(addOns)) return;
    const raw = asRecord(addOns)?.advancedSecurityMode;
    if (isUnknownValue(raw)) return;
    const mode = upper(raw) ?? "OFF";
    if (mode === "ENFORCED" || (mode === "AUDIT" && config.acceptAudit)) return;
    report(
      `${SERVICE} '${name}' must block risky sign-ins; set userPoolAddOns.advancedSecurityMode to ENFORCED (now ${mode}) and userPoolTier to PLUS.`,
    );
  }),
};

/** Config of sec1-a-user-pool-password-policy. */
export interface UserPoolPasswordPolicyArgs {
  /** Shortest password allowed. Default: 8. */
  minimumLength: number;
  /** Character classes every password must contain. Default: all four. */
  requiredClasses: string[];
  /** Logical names of user pools exempt (`*` wildcards). Default: []. */
  exemptResources: string[];
}

const CLASSES: Record<string, string> = {
  lowercase: "requireLowercase",
  uppercase: "requireUppercase",
  numbers: "requireNumbers",
  symbols: "requireSymbols",
};

const passwordSchema = configSchema({
  minimumLength: {
    type: "integer",
    minimum: 6,
    maximum: 99,
    default: 8,
    description: "Shortest password allowed (Cognito accepts 6-99).",
  },
  requiredClasses: stringListProperty(
    Object.keys(CLASSES),
    "Character classes every password must contain.",
    Object.keys(CLASSES),
  ),
  exemptResources: exemptResourcesProperty("user pools exempt"),
});

/** A: user pool passwords are long and mixed. */
export const userPoolPasswordPolicy: ResourceValidationPolicy = {
  name: "sec1-a-user-pool-password-policy",
  description:
    "Cognito user pools must require passwords of a minimum length with upper case, lower case, numbers and symbols, so passwords resist guessing and credential stuffing.",
  enforcementLevel: "advisory",
  configSchema: passwordSchema,
  ...sec1Metadata(
    "A",
    "medium",
    "Set `passwordPolicy { minimumLength, requireLowercase, requireUppercase, requireNumbers, requireSymbols }` (or leave `passwordPolicy` unset: Cognito's default is 8 characters with all four classes).",
    DOCS.password,
    ["cognito", "password-policy"],
  ),
  validateResource: validateResourceOfType(aws.cognito.UserPool, (pool, args, report) => {
    const config = readConfig<UserPoolPasswordPolicyArgs>(args, passwordSchema);
    const name = nameOf(args);
    if (matchesAnyGlob(name, config.exemptResources)) return;
    const raw = rawProps(pool).passwordPolicy;
    if (isUnknownValue(raw)) return;
    const policy = asRecord(raw);
    // Unset: Cognito applies its default policy, 8 characters and every class.
    const length = policy ? asNumber(policy.minimumLength) : 8;
    const gaps: string[] = [];
    if (!policy || !isUnknownValue(policy.minimumLength)) {
      if ((length ?? 8) < config.minimumLength)
        gaps.push(`minimumLength to ${config.minimumLength} or more`);
    }
    for (const cls of config.requiredClasses) {
      const key = CLASSES[cls];
      if (!key || !policy || isUnknownValue(policy[key])) continue;
      if (policy[key] !== true) gaps.push(`${key} to true`);
    }
    if (gaps.length === 0) return;
    report(
      `${SERVICE} '${name}' must require strong passwords; set passwordPolicy.${gaps.join(", passwordPolicy.")}.`,
    );
  }),
};

/** Config of sec1-a-user-pool-self-sign-up. */
export interface UserPoolSelfSignUpArgs {
  /** Logical names of workforce pools (`*` wildcards): only administrators create their users. Default: []. */
  workforceResources: string[];
  /** Tags (`key=value`) that mark a pool as workforce. Default: ["audience=workforce"]. */
  workforceTags: string[];
}

const signUpSchema = configSchema({
  workforceResources: stringListProperty(
    [],
    "Logical names of workforce user pools (`*` wildcards): only administrators create their users.",
  ),
  workforceTags: stringListProperty(
    ["audience=workforce"],
    "Tags (`key=value`) that mark a user pool as workforce.",
  ),
});

function isWorkforce(name: string, tags: unknown, config: UserPoolSelfSignUpArgs): boolean {
  if (matchesAnyGlob(name, config.workforceResources)) return true;
  const record = asRecord(tags) ?? {};
  return config.workforceTags.some((t) => {
    const eq = t.indexOf("=");
    return eq > 0 && record[t.slice(0, eq)] === t.slice(eq + 1);
  });
}

/** A: workforce pools take no self sign-up. */
export const userPoolSelfSignUp: ResourceValidationPolicy = {
  name: "sec1-a-user-pool-self-sign-up",
  description:
    "Cognito user pools of a workforce (employees, partners) must not let people sign themselves up: with self sign-up anyone on the internet gets a valid token for the APIs that trust the pool.",
  enforcementLevel: "mandatory",
  configSchema: signUpSchema,
  ...sec1Metadata(
    "A",
    "high",
    "Set `adminCreateUserConfig { allowAdminCreateUserOnly: true }` on workforce user pools (marked by `workforceTags` or `workforceResources`) and create users through your onboarding process or a federated IdP.",
    DOCS.signUp,
    ["cognito", "sign-up"],
  ),
  validateResource: validateResourceOfType(aws.cognito.UserPool, (pool, args, report) => {
    const config = readConfig<UserPoolSelfSignUpArgs>(args, signUpSchema);
    const props = rawProps(pool);
    const name = nameOf(args);
    if (isUnknownValue(props.tags) || !isWorkforce(name, props.tags, config)) return;
    const admin = props.adminCreateUserConfig;
    if (isUnknownValue(admin)) return;
    const only = asRecord(admin)?.allowAdminCreateUserOnly;
    if (only === true || isUnknownValue(only)) return;
    report(
      `${SERVICE} '${name}' is a workforce pool and must not accept self sign-up; set adminCreateUserConfig.allowAdminCreateUserOnly to true.`,
    );
  }),
};

/** Every policy of this file. */
export const policies: Policies = [
  userPoolMfa,
  userPoolThreatProtection,
  userPoolPasswordPolicy,
  userPoolSelfSignUp,
];
