// Yes/no questions on a terminal.

/** True when a person can answer: stdin is a terminal. */
export function canPrompt(stdin: NodeJS.ReadStream = process.stdin): boolean {
  return stdin.isTTY === true;
}

/** "y" or "yes" (any case) is yes; anything else, or end of input, is no. */
export function isYes(answer: string): boolean {
  return /^\s*y(es)?\s*$/i.test(answer);
}

/** Asks on stderr (stdout stays clean for output) and reads one line from stdin. */
export async function confirm(question: string): Promise<boolean> {
  // Loaded here: readline is four of Node's modules to compile at every CLI start, for the one command that asks.
  const { createInterface } = process.getBuiltinModule('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  try {
    const ended = new Promise<string>((resolve) => rl.once('close', () => resolve('')));
    return isYes(await Promise.race([rl.question(`${question} `), ended]));
  } finally {
    rl.close();
  }
}
