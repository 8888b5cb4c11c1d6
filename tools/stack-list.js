#!/usr/bin/env node
// The stacks the workflows run, read from the Pulumi.<stack>.yaml files (no dependencies, so a
// job can run it before `npm ci`): prints `all=[...]`, `development=[...]` and `production=[...]`
// (JSON lists, for `>> "$GITHUB_OUTPUT"` and `fromJSON`), each in deploy order. A stack is
// `production` unless its file sets `<project>:posture: development`, the same default as
// config.ts. Development stacks deploy first (side by side), then production stacks one at a
// time in the order of their `<project>:deployOrder` (lowest first): with two production stacks
// or more, each must set a deployOrder of its own, so `staging` never follows `prod` by name.
// Adding a stack file is all a new environment needs: the workflows' matrices come from here.
"use strict";
const fs = require("fs");
const path = require("path");

/** The value of a project key written as `<project>:<key>: <value>` in a stack file. */
function keyValue(text, project, key) {
  const line = new RegExp(`^\\s*${project}:${key}:\\s*["']?([\\w.-]+)["']?\\s*(#.*)?$`, "m");
  return (line.exec(text) || [])[1];
}

/** The stack's place among stacks of its posture, or undefined; a bad value is an error. */
function deployOrderOf(text, project, file) {
  const value = keyValue(text, project, "deployOrder");
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) {
    throw new Error(`${file}: ${project}:deployOrder is '${value}', expected an integer >= 0`);
  }
  return Number(value);
}

/** Production stacks need distinct deploy orders once there are two or more of them. */
function checkProductionOrder(stacks, project) {
  const production = stacks.filter((s) => s.posture !== "development");
  if (production.length < 2) return;
  const key = `${project}:deployOrder`;
  for (const s of production) {
    if (s.deployOrder === undefined) {
      throw new Error(
        `Pulumi.${s.stack}.yaml sets no ${key}: with ${production.length} production stacks ` +
          `(${production.map((p) => p.stack).join(", ")}) each sets its place in the deploy order`,
      );
    }
    const twin = production.find((p) => p !== s && p.deployOrder === s.deployOrder);
    if (twin) {
      throw new Error(
        `Pulumi.${s.stack}.yaml and Pulumi.${twin.stack}.yaml both set ${key}: ` +
          `${s.deployOrder}: give each production stack its own place`,
      );
    }
  }
}

/** Development first, then by deployOrder (unset last), then by name. */
function byDeployOrder(a, b) {
  const dev = (s) => (s.posture === "development" ? 0 : 1);
  const order = (s) => (s.deployOrder === undefined ? Infinity : s.deployOrder);
  return dev(a) - dev(b) || order(a) - order(b) || (a.stack < b.stack ? -1 : 1);
}

/** Every stack of the project folder with its posture and deploy order, in deploy order. */
function stackList(dir) {
  const project = /^name:\s*(\S+)/m.exec(fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8"));
  if (!project) throw new Error("Pulumi.yaml has no name");
  const stacks = fs
    .readdirSync(dir)
    .map((f) => /^Pulumi\.([A-Za-z0-9_.-]+)\.yaml$/.exec(f))
    .filter((m) => m !== null)
    .map((m) => {
      const text = fs.readFileSync(path.join(dir, m[0]), "utf8");
      return {
        stack: m[1],
        posture: keyValue(text, project[1], "posture") || "production",
        deployOrder: deployOrderOf(text, project[1], m[0]),
      };
    });
  checkProductionOrder(stacks, project[1]);
  return stacks.sort(byDeployOrder);
}

/** The three lines for $GITHUB_OUTPUT. */
function outputLines(stacks) {
  const names = (p) => JSON.stringify(stacks.filter(p).map((s) => s.stack));
  return [
    `all=${names(() => true)}`,
    `development=${names((s) => s.posture === "development")}`,
    `production=${names((s) => s.posture !== "development")}`,
  ];
}

module.exports = { stackList, outputLines };

if (require.main === module) {
  const dir = process.argv[2] || path.join(__dirname, "..");
  try {
    process.stdout.write(`${outputLines(stackList(dir)).join("\n")}\n`);
  } catch (err) {
    process.stderr.write(`error: ${err.message}\n`);
    process.exit(2);
  }
}
