/**
 * The whole program under the SDK's mock engine for one stack (dev), against a floor program
 * (import @pulumi/aws, create one resource under setMocks), each in a fresh node process with the
 * same loader the offline preview uses (tools/esbuild-register.js: transpile only), spawn to exit. Runs alternate between the two
 * so a noisy neighbour on the shared CPU hits both alike; the median of each is reported.
 * Target: the program costs at most 1.3x the floor, i.e. our code adds little to loading the SDK
 * and provider, which dominate.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Benchmark, lowerIsBetter, median } from "./figure";

const REPO = path.resolve(__dirname, "..");
const RUNS = 7;
const REGISTER = path.join(REPO, "tools", "esbuild-register.js");

const PROGRAM_JS = `
const { loadStackConfig, runProgram } = require("./tools/mock-engine");
runProgram({ stack: "dev", config: loadStackConfig("dev").config }).then(
  (run) => { if (run.resources.length < 0) throw new Error("unreachable"); },
  (err) => { console.error(err); process.exit(1); },
);
`;

/**
 * The floor is a TypeScript module too, loaded through the same hook, as the Pulumi CLI
 * loads any TypeScript program: so both sides pay for the TypeScript compiler's start.
 */
const FLOOR_TS = `
import * as pulumi from "@pulumi/pulumi";
pulumi.runtime
  .setMocks(
    {
      newResource: (a: pulumi.runtime.MockResourceArgs) => ({ id: a.name + "-id", state: a.inputs }),
      call: (a: pulumi.runtime.MockCallArgs) => a.inputs,
    },
    "floor",
    "dev",
    false,
  )
  .then(async () => {
    const aws = await import("@pulumi/aws");
    new aws.s3.BucketV2("floor");
    await (pulumi.runtime as any).waitForRPCs();
  })
  .catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
`;

/** Milliseconds from spawn to a clean exit of `node -r ./tools/esbuild-register.js <args>`. */
function timeProcess(args: string[], env: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, ["-r", REGISTER, ...args], {
      cwd: REPO,
      env: { ...process.env, ...env },
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
    const floorFile = path.join(dir, "index.ts");
    fs.writeFileSync(floorFile, FLOOR_TS);
    // The floor lives outside the repository; it finds the same SDK through NODE_PATH.
    const FLOOR = () => timeProcess([floorFile], { NODE_PATH: path.join(REPO, "node_modules") });
    const PROGRAM = () => timeProcess(["-e", PROGRAM_JS]);
    const program: number[] = [];
    const floor: number[] = [];
    try {
      // One warm-up of each fills the OS file cache; it is not counted.
      await FLOOR();
      await PROGRAM();
      for (let i = 0; i < RUNS; i++) {
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
      lowerIsBetter(
        "program under mocks, dev (fresh process) vs floor (aws + 1 resource)",
        median(program),
        median(floor),
        1.3,
        "ms",
      ),
    ];
  },
};

export default bench;
