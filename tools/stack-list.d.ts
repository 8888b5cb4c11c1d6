// Types of tools/stack-list.js, which stays plain JavaScript: the workflows run it before `npm ci`.

/** A stack file's name, posture and place in the deploy order. */
export interface StackEntry {
  stack: string;
  posture: string;
  deployOrder?: number;
}

/** Every stack of the project folder, in deploy order; throws on an ambiguous order. */
export function stackList(dir: string): StackEntry[];

/** The `all=`, `development=` and `production=` lines for $GITHUB_OUTPUT. */
export function outputLines(stacks: StackEntry[]): string[];
