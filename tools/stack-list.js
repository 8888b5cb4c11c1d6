#!/usr/bin/env node
// The stacks the workflows run, read from the Pulumi.<stack>.yaml files (no dependencies, so a
// job can run it before `npm ci`): prints `all=[...]`, `development=[...]` and `production=[...]`
// (JSON lists, for `>> "$GITHUB_OUTPUT"` and `fromJSON`). A stack is `production` unless its file
// sets `<project>:posture: development`, the same default as config.ts. Adding a stack file is
// all a new environment needs: the workflows' matrices come from here.
"use strict";
const fs = require("fs");
const path = require("path");

/** Every stack of the project folder with its posture, sorted by name. */
function stackList(dir) {
  const project = /^name:\s*(\S+)/m.exec(fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8"));
  if (!project) throw new Error("Pulumi.yaml has no name");
  const posture = new RegExp(`^\\s*${project[1]}:posture:\\s*["']?(\\w+)["']?\\s*$`, "m");
  return fs
    .readdirSync(dir)
    .map((f) => /^Pulumi\.([A-Za-z0-9_.-]+)\.yaml$/.exec(f))
    .filter((m) => m !== null)
    .map((m) => {
      const text = fs.readFileSync(path.join(dir, m[0]), "utf8");
      return { stack: m[1], posture: (posture.exec(text) || [])[1] || "production" };
    })
    .sort((a, b) => (a.stack < b.stack ? -1 : 1));
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
  process.stdout.write(`${outputLines(stackList(dir)).join("\n")}\n`);
}
