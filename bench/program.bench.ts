/**
 * The whole program under the SDK's mock engine (dev stack) against a floor that registers the
 * same custom resources, flat (no components, no validation, no schema or bundling) with the
 * literal inputs the program gave them, through the same mock engine: the SDK's own cost for
 * this graph. Both run in fresh node processes with the loader the offline preview uses
 * (tools/esbuild-register.js), spawn to exit, in interleaved rounds (the order alternates) so a
 * noisy neighbour on the shared CPU hits both alike; the median per-round ratio is reported with
 * its range. Target: at most 1.3x the floor.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadStackConfig, runProgram } from "../tools/mock-engine";
import { Benchmark, pairedLowerIsBetter } from "./figure";

const REPO = path.resolve(__dirname, "..");
const ROUNDS = 15;
const REGISTER = path.join(REPO, "tools", "esbuild-register.js");

const PROGRAM_JS = `
const { loadStackConfig, runProgram } = require("./tools/mock-engine");
runProgram({ stack: "dev", config: loadStackConfig("dev").config }).then(
  (run) => { if (run.resources.length < 0) throw new Error("unreachable"); },
  (err) => { console.error(err); process.exit(1); },
);
`;

/**
 * The floor: the same mock engine and config, and a program that only constructs each custom
 * resource of the dev stack's run from its SDK class, with literal inputs read from a file.
 */
const FLOOR_JS = (resourcesFile: string) => `
const { loadStackConfig, runProgram } = require("./tools/mock-engine");
const resources = JSON.parse(require("fs").readFileSync(${JSON.stringify(resourcesFile)}, "utf8"));
runProgram({
  stack: "dev",
  config: loadStackConfig("dev").config,
  program: () => {
    for (const r of resources) {
      const sdk = require(r.pkg === "aws" ? "@pulumi/aws" : "@pulumi/awsx");
      new sdk[r.module][r.cls](r.name, r.inputs);
    }
  },
}).then(
  (run) => { if (run.resources.length < resources.length) throw new Error("missing resources"); },
  (err) => { console.error(err); process.exit(1); },
);
`;

/** The custom resources of a dev run, as SDK class and literal inputs. */
async function flatResources() {
  const run = await runProgram({ stack: "dev", config: loadStackConfig("dev").config });
  return run.resources
    .filter((r) => r.custom && !r.type.startsWith("pulumi:providers:"))
    .map((r) => {
      // aws:apigateway/restApi:RestApi, awsx:ec2:Vpc
      const m = /^(aws|awsx):([^/:]+)(?:\/[^:]+)?:(\w+)$/.exec(r.type);
      if (!m) throw new Error(`no SDK class for ${r.type}`);
      return { pkg: m[1], module: m[2], cls: m[3], name: r.name, inputs: r.inputs };
    });
}

/** Milliseconds from spawn to a clean exit of `node -r ./tools/esbuild-register.js <args>`. */
function timeProcess(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, ["-r", REGISTER, ...args], {
      cwd: REPO,
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) =>
      code === 0
        ? resolve(Number(process.hrtime.bigint() - started) / 1e6)
        : reject(new Error(`exit ${code}: ${stderr}`)),
    );
  });
}

const bench: Benchmark = {
  name: "program",
  async run() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "floor-program-"));
    const resources = await flatResources();
    const file = path.join(dir, "resources.json");
    fs.writeFileSync(file, JSON.stringify(resources));
    const FLOOR = () => timeProcess(["-e", FLOOR_JS(file)]);
    const PROGRAM = () => timeProcess(["-e", PROGRAM_JS]);
    const program: number[] = [];
    const floor: number[] = [];
    try {
      // One warm-up of each fills the OS file cache; it is not counted.
      await FLOOR();
      await PROGRAM();
      for (let i = 0; i < ROUNDS; i++) {
        if (i % 2 === 0) {
          floor.push(await FLOOR());
          program.push(await PROGRAM());
        } else {
          program.push(await PROGRAM());
          floor.push(await FLOOR());
        }
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    return [
      pairedLowerIsBetter(
        `program under mocks, dev (fresh process) vs the same ${resources.length} resources registered flat`,
        program,
        floor,
        1.3,
        "ms",
      ),
    ];
  },
};

export default bench;
