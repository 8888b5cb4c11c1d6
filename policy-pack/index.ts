// The pack: assembles the policies of each SEC1 practice. Nothing else lives here, because
// constructing a PolicyPack starts the analyzer server (tests import policies/ directly).
import { PolicyPack } from "@pulumi/policy";
import { allPolicies } from "./policies";

new PolicyPack("sec1-serverless-api-access", {
  description:
    "AWS Well-Architected Serverless Lens SEC1: how do you control access to your serverless API?",
  provider: "aws",
  tags: ["SEC1", "serverless", "api-gateway", "appsync"],
  policies: allPolicies,
});
