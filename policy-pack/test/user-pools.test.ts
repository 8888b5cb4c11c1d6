import * as assert from "assert";
import {
  userPoolMfa,
  userPoolPasswordPolicy,
  userPoolSelfSignUp,
  userPoolThreatProtection,
} from "../policies/user-pools";
import {
  assertOne,
  assertSilent,
  messagesOf,
  runResourcePolicy,
  UNKNOWN,
} from "./helpers/run-policy";

const TYPE = "aws:cognito/userPool:UserPool";

const pool = (props: Record<string, unknown>) => ({
  type: TYPE,
  name: "users",
  props: {
    mfaConfiguration: "ON",
    softwareTokenMfaConfiguration: { enabled: true },
    userPoolTier: "PLUS",
    userPoolAddOns: { advancedSecurityMode: "ENFORCED" },
    passwordPolicy: {
      minimumLength: 12,
      requireLowercase: true,
      requireUppercase: true,
      requireNumbers: true,
      requireSymbols: true,
    },
    adminCreateUserConfig: { allowAdminCreateUserOnly: true },
    tags: { audience: "workforce" },
    ...props,
  },
});

describe("user pool policies", () => {
  it("are advisory for hardening and mandatory for self sign-up on workforce pools", () => {
    assert.strictEqual(userPoolMfa.enforcementLevel, "advisory");
    assert.strictEqual(userPoolThreatProtection.enforcementLevel, "advisory");
    assert.strictEqual(userPoolPasswordPolicy.enforcementLevel, "advisory");
    assert.strictEqual(userPoolSelfSignUp.enforcementLevel, "mandatory");
  });

  it("accept a hardened workforce pool", async () => {
    for (const p of [
      userPoolMfa,
      userPoolThreatProtection,
      userPoolPasswordPolicy,
      userPoolSelfSignUp,
    ]) {
      assertSilent(await runResourcePolicy(p, pool({})));
    }
  });
});

describe("sec1-a-user-pool-mfa", () => {
  it("reports OFF, unset and (by default) OPTIONAL", async () => {
    assertOne(
      await runResourcePolicy(userPoolMfa, pool({ mfaConfiguration: "OFF" })),
      /Cognito UserPool 'users' must require a second factor at sign-in; set mfaConfiguration to ON \(now OFF\)/,
    );
    assertOne(
      await runResourcePolicy(userPoolMfa, pool({ mfaConfiguration: undefined })),
      /now OFF/,
    );
    assertOne(
      await runResourcePolicy(userPoolMfa, pool({ mfaConfiguration: "OPTIONAL" })),
      /now OPTIONAL/,
    );
  });

  it("accepts OPTIONAL when configured to, and exempts configured pools", async () => {
    const optional = pool({ mfaConfiguration: "OPTIONAL" });
    assertSilent(await runResourcePolicy(userPoolMfa, optional, { acceptOptional: true }));
    assertSilent(await runResourcePolicy(userPoolMfa, optional, { exemptResources: ["us*"] }));
  });

  it("stays silent while the MFA setting is unknown", async () => {
    assertSilent(await runResourcePolicy(userPoolMfa, pool({ mfaConfiguration: UNKNOWN })));
  });
});

describe("sec1-a-user-pool-threat-protection", () => {
  it("reports no add-ons, OFF and (by default) AUDIT", async () => {
    assertOne(
      await runResourcePolicy(userPoolThreatProtection, pool({ userPoolAddOns: undefined })),
      /must block risky sign-ins; set userPoolAddOns.advancedSecurityMode to ENFORCED \(now OFF\) and userPoolTier to PLUS/,
    );
    assertOne(
      await runResourcePolicy(
        userPoolThreatProtection,
        pool({ userPoolAddOns: { advancedSecurityMode: "AUDIT" } }),
      ),
      /now AUDIT/,
    );
  });

  it("accepts AUDIT when configured to", async () => {
    const audit = pool({ userPoolAddOns: { advancedSecurityMode: "AUDIT" } });
    assertSilent(await runResourcePolicy(userPoolThreatProtection, audit, { acceptAudit: true }));
  });

  it("stays silent while the add-ons or the mode are unknown", async () => {
    assertSilent(
      await runResourcePolicy(userPoolThreatProtection, pool({ userPoolAddOns: UNKNOWN })),
    );
    assertSilent(
      await runResourcePolicy(
        userPoolThreatProtection,
        pool({ userPoolAddOns: { advancedSecurityMode: UNKNOWN } }),
      ),
    );
  });
});

describe("sec1-a-user-pool-password-policy", () => {
  const weak = {
    minimumLength: 6,
    requireLowercase: true,
    requireUppercase: false,
    requireNumbers: true,
    requireSymbols: true,
  };

  it("reports a short password or a missing class, naming each setting", async () => {
    assertOne(
      await runResourcePolicy(userPoolPasswordPolicy, pool({ passwordPolicy: weak })),
      /must require strong passwords; set passwordPolicy.minimumLength to 8 or more, passwordPolicy.requireUppercase to true\./,
    );
  });

  it("accepts an unset policy (Cognito's default is 8 characters with every class) unless config asks for more", async () => {
    assertSilent(
      await runResourcePolicy(userPoolPasswordPolicy, pool({ passwordPolicy: undefined })),
    );
    assertOne(
      await runResourcePolicy(userPoolPasswordPolicy, pool({ passwordPolicy: undefined }), {
        minimumLength: 14,
      }),
      /minimumLength to 14 or more\./,
    );
  });

  it("follows the configured length and classes", async () => {
    const p = pool({ passwordPolicy: { ...weak, minimumLength: 10 } });
    assert.deepStrictEqual(
      messagesOf(
        await runResourcePolicy(userPoolPasswordPolicy, p, { requiredClasses: ["numbers"] }),
      ),
      [],
    );
    assertOne(
      await runResourcePolicy(userPoolPasswordPolicy, p, {
        minimumLength: 12,
        requiredClasses: [],
      }),
      /minimumLength to 12/,
    );
  });

  it("stays silent on unknown values", async () => {
    assertSilent(
      await runResourcePolicy(userPoolPasswordPolicy, pool({ passwordPolicy: UNKNOWN })),
    );
    assertSilent(
      await runResourcePolicy(
        userPoolPasswordPolicy,
        pool({ passwordPolicy: { ...weak, minimumLength: UNKNOWN, requireUppercase: UNKNOWN } }),
      ),
    );
  });
});

describe("sec1-a-user-pool-self-sign-up", () => {
  const open = { adminCreateUserConfig: { allowAdminCreateUserOnly: false } };

  it("reports self sign-up on a pool tagged as workforce", async () => {
    assertOne(
      await runResourcePolicy(userPoolSelfSignUp, pool(open)),
      /Cognito UserPool 'users' is a workforce pool and must not accept self sign-up; set adminCreateUserConfig.allowAdminCreateUserOnly to true/,
    );
    assertOne(
      await runResourcePolicy(userPoolSelfSignUp, pool({ adminCreateUserConfig: undefined })),
      /self sign-up/,
    );
  });

  it("leaves customer pools alone, and follows the configured workforce marks", async () => {
    const customer = pool({ ...open, tags: { audience: "customers" } });
    assertSilent(await runResourcePolicy(userPoolSelfSignUp, customer));
    assertOne(
      await runResourcePolicy(userPoolSelfSignUp, customer, { workforceResources: ["users"] }),
      /workforce/,
    );
    assertOne(
      await runResourcePolicy(userPoolSelfSignUp, customer, {
        workforceTags: ["audience=customers"],
      }),
      /workforce/,
    );
    assertSilent(await runResourcePolicy(userPoolSelfSignUp, pool(open), { workforceTags: [] }));
  });

  it("stays silent while the tags or the sign-up setting are unknown", async () => {
    assertSilent(await runResourcePolicy(userPoolSelfSignUp, pool({ ...open, tags: UNKNOWN })));
    assertSilent(
      await runResourcePolicy(userPoolSelfSignUp, pool({ adminCreateUserConfig: UNKNOWN })),
    );
    assertSilent(
      await runResourcePolicy(
        userPoolSelfSignUp,
        pool({ adminCreateUserConfig: { allowAdminCreateUserOnly: UNKNOWN } }),
      ),
    );
  });
});
