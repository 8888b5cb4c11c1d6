/**
 * SEC1 practice E, who may call a Lambda function URL from a browser. CORS decides which web
 * origins a browser lets read the answers: any origin together with credentials lets every web
 * site act with a signed-in user's cookies or tokens (a change of who can call: mandatory);
 * any origin without credentials only matters for URLs that are not public by design (advisory).
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
import { asRecord, isUnknownValue, knownStrings, nameOf } from "../lib/values";

const DOCS = {
  cors: "https://docs.aws.amazon.com/lambda/latest/dg/urls-configuration.html#urls-cors",
};

/** The CORS block of a function URL: its origins and whether credentials are allowed. */
function corsOf(
  props: Record<string, unknown>,
): { anyOrigin: boolean; credentials: boolean | undefined } | undefined {
  const cors = props.cors;
  if (cors === undefined || cors === null || isUnknownValue(cors)) return undefined;
  const record = asRecord(cors);
  if (!record) return undefined;
  const origins = knownStrings(record.allowOrigins);
  if (origins === undefined) return undefined;
  const credentials = isUnknownValue(record.allowCredentials)
    ? undefined
    : record.allowCredentials === true;
  return { anyOrigin: origins.some((o) => o.trim() === "*"), credentials };
}

/** Config of sec1-e-function-url-cors-credentials. */
export interface FunctionUrlCorsCredentialsArgs {
  /** Logical names of FunctionUrl resources exempt (`*` wildcards). Default: []. */
  exemptResources: string[];
}

const credentialsSchema = configSchema({
  exemptResources: exemptResourcesProperty("FunctionUrl resources exempt"),
});

/** E: no function URL lets every web origin make credentialed calls. */
export const functionUrlCorsCredentials: ResourceValidationPolicy = {
  name: "sec1-e-function-url-cors-credentials",
  description:
    "Lambda function URLs must not allow credentials for every origin: with allowCredentials and `*` origins, any web site a signed-in user visits can call the function with the user's credentials and read the answer.",
  enforcementLevel: "mandatory",
  configSchema: credentialsSchema,
  ...sec1Metadata(
    "E",
    "high",
    "List the web origins that call the URL in `cors.allowOrigins` (e.g. `https://app.example.com`), or set `cors.allowCredentials` to false.",
    DOCS.cors,
    ["lambda", "function-url", "cors"],
  ),
  validateResource: validateResourceOfType(aws.lambda.FunctionUrl, (url, args, report) => {
    const name = nameOf(args);
    const config = readConfig<FunctionUrlCorsCredentialsArgs>(args, credentialsSchema);
    if (matchesAnyGlob(name, config.exemptResources)) return;
    const cors = corsOf(rawProps(url));
    if (!cors?.anyOrigin || cors.credentials !== true) return;
    report(
      `Lambda FunctionUrl '${name}' must not allow credentials from every origin; set cors.allowOrigins to the origins of your web apps (not "*").`,
    );
  }),
};

/** Config of sec1-e-function-url-cors-origins. */
export interface FunctionUrlCorsOriginsArgs {
  /** Logical names of URLs public by design (`*` wildcards), which may allow any origin. Default: []. */
  publicResources: string[];
}

const originsSchema = configSchema({
  publicResources: stringListProperty(
    [],
    "Logical names of FunctionUrl resources that are public by design (`*` wildcards) and may allow any origin.",
  ),
});

/** E: only URLs public by design answer every origin. */
export const functionUrlCorsOrigins: ResourceValidationPolicy = {
  name: "sec1-e-function-url-cors-origins",
  description:
    "Lambda function URLs that are not public by design must name the web origins allowed to call them, so browsers on other sites cannot read their answers.",
  enforcementLevel: "advisory",
  configSchema: originsSchema,
  ...sec1Metadata(
    "E",
    "medium",
    "Set `cors.allowOrigins` to the origins of your web apps, or list the URL in `publicResources` when it is meant for every web site.",
    DOCS.cors,
    ["lambda", "function-url", "cors"],
  ),
  validateResource: validateResourceOfType(aws.lambda.FunctionUrl, (url, args, report) => {
    const name = nameOf(args);
    const config = readConfig<FunctionUrlCorsOriginsArgs>(args, originsSchema);
    if (matchesAnyGlob(name, config.publicResources)) return;
    const cors = corsOf(rawProps(url));
    // With credentials too, sec1-e-function-url-cors-credentials reports it (mandatory).
    if (!cors?.anyOrigin || cors.credentials !== false) return;
    report(
      `Lambda FunctionUrl '${name}' must name the web origins that call it; set cors.allowOrigins to them (not "*"), or list it in publicResources.`,
    );
  }),
};

/** Every policy of this file. */
export const policies: Policies = [functionUrlCorsCredentials, functionUrlCorsOrigins];
