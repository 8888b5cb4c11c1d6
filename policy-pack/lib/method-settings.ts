/**
 * Which aws.apigateway.MethodSettings apply to a REST stage: used by the throttling (K3) and
 * execution-logging (X) policies. A settings resource covers a stage when it depends on the
 * Stage through `stageName`, or names the same stage of the same REST API.
 */
import { PolicyResource } from "@pulumi/policy";
import { isUnknownValue, knownString, rawProps, resolveReference } from "./stack-refs";

/** Whether two resources' `restApi` inputs name the same REST API. */
export function sameRestApi(
  a: PolicyResource,
  b: PolicyResource,
  restApis: PolicyResource[],
): "yes" | "no" | "unknown" {
  const refA = resolveReference(a, "restApi", restApis);
  const refB = resolveReference(b, "restApi", restApis);
  if (refA.kind === "found" && refB.kind === "found") {
    return refA.resources.some((r) => refB.resources.includes(r)) ? "yes" : "no";
  }
  const idA = knownString(rawProps(a.props).restApi);
  const idB = knownString(rawProps(b.props).restApi);
  if (idA !== undefined && idB !== undefined && refA.kind !== "found" && refB.kind !== "found") {
    return idA === idB ? "yes" : "no";
  }
  return "unknown";
}

/** The MethodSettings for `methodPath` that cover the stage, and whether others might. */
export function settingsForStage(
  stage: PolicyResource,
  settings: PolicyResource[],
  restApis: PolicyResource[],
  methodPath = "*/*",
): { covering: PolicyResource[]; undecided: boolean } {
  const covering: PolicyResource[] = [];
  let undecided = false;
  const stageName = rawProps(stage.props).stageName;
  for (const s of settings) {
    const props = rawProps(s.props);
    if (isUnknownValue(props.methodPath)) {
      undecided = true;
      continue;
    }
    if (props.methodPath !== methodPath) continue;
    let covers: "yes" | "no" | "unknown";
    if (resolveReference(s, "stageName", [stage]).kind === "found") covers = "yes";
    else if (isUnknownValue(props.stageName) || isUnknownValue(stageName)) covers = "unknown";
    else if (props.stageName !== stageName) covers = "no";
    else covers = sameRestApi(s, stage, restApis);
    if (covers === "yes") covering.push(s);
    else if (covers === "unknown") undecided = true;
  }
  return { covering, undecided };
}
