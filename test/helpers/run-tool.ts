/** Runs one of the offline tools the way its npm script does (esbuild's transpile-only loader). */
import { spawn } from "child_process";
import * as path from "path";

const REPO = path.resolve(__dirname, "../..");

/** What a tool run left: its exit status and what it printed. */
export interface ToolResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Spawns `tools/<script>` from the repository root with no cloud or Pulumi credentials. */
export function runTool(script: string, args: string[]): Promise<ToolResult> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ["-r", "./tools/esbuild-register.js", `tools/${script}`, ...args],
      { cwd: REPO, env: { ...process.env, AWS_ACCESS_KEY_ID: "", PULUMI_ACCESS_TOKEN: "" } },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
