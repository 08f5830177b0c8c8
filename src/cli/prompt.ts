// Yes/no questions on a terminal.
import { createInterface } from 'node:readline/promises';

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
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  try {
    const ended = new Promise<string>((resolve) => rl.once('close', () => resolve('')));
    return isYes(await Promise.race([rl.question(`${question} `), ended]));
  } finally {
    rl.close();
  }
}
