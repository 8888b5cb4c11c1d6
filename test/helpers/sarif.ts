/**
 * The OASIS SARIF 2.1.0 JSON schema (errata 01, JSON Schema draft-04), shipped as test data in
 * test/fixtures/sarif/, compiled once: nothing is fetched at test time.
 */
import * as fs from "fs";
import * as path from "path";
import Ajv, { ValidateFunction } from "ajv-draft-04";
import addFormats from "ajv-formats";

let validator: ValidateFunction | undefined;

/** The problems ajv finds in `log` against the SARIF 2.1.0 schema (empty when valid). */
export function sarifSchemaErrors(log: unknown): string[] {
  if (!validator) {
    const file = path.join(__dirname, "../fixtures/sarif/sarif-schema-2.1.0.json");
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    validator = ajv.compile(JSON.parse(fs.readFileSync(file, "utf8")));
  }
  return validator(log)
    ? []
    : (validator.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? ""}`);
}
