/**
 * What the offline command-line tools share: how they read flags (`--flag value` or
 * `--flag=value`), the flags they have in common, and how they print and exit.
 */
import * as path from "path";

/** A usage problem (exit 2). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** The flags every offline tool takes: the pack, its config, and the report forms. */
export interface CommonOptions {
  policyPack: string;
  policyPackConfig?: string;
  json: boolean;
  /** Write SARIF 2.1.0 to this file as well (`--sarif`). */
  sarif?: string;
  /** `--help`: print the help and exit 0. */
  help: boolean;
}

/** Takes the value of the current flag: inline (`--flag=value`) or the next argument. */
export type TakeValue = () => string;

/**
 * Walks the command line, calling `handle(flag, take, arg)` for each argument; `take()` returns
 * the flag's value and consumes it. A flag without its value is a {@link UsageError}.
 */
export function readFlags(
  argv: string[],
  handle: (flag: string, take: TakeValue, arg: string) => void,
): void {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.startsWith("--") && arg.includes("=") ? arg.split(/=(.*)/s) : [arg];
    handle(
      flag,
      () => {
        if (inline !== undefined) return inline;
        const v = argv[i + 1];
        if (v === undefined || v.startsWith("--")) throw new UsageError(`${flag} needs a value`);
        i++;
        return v;
      },
      arg,
    );
  }
}

/** Applies one of the common flags to `opts`; false when `flag` is not one of them. */
export function commonFlag(opts: CommonOptions, flag: string, take: TakeValue): boolean {
  switch (flag) {
    case "--policy-pack":
      opts.policyPack = path.resolve(take());
      return true;
    case "--policy-pack-config":
      opts.policyPackConfig = path.resolve(take());
      return true;
    case "--json":
      opts.json = true;
      return true;
    case "--sarif":
      opts.sarif = path.resolve(take());
      return true;
    case "--help":
    case "-h":
      opts.help = true;
      return true;
    default:
      return false;
  }
}

/** Writes text to stdout, with a final newline. */
export const say = (text: string) => process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);

/** Runs a tool's main and exits with its status once stdout is flushed (a pipe is async). */
export function runMain(main: (argv: string[]) => Promise<number>): void {
  main(process.argv.slice(2)).then(
    (code) => process.stdout.write("", () => process.exit(code)),
    (err: unknown) => {
      process.stderr.write(`error: ${(err as Error)?.stack ?? String(err)}\n`);
      process.exit(2);
    },
  );
}
