// A signal source that exists but says something the parser does not
// understand. The sampler turns it into a busy reading naming the file, so an
// unexpected kernel format keeps the machine up instead of stopping it.

export class SignalParseError extends Error {
  override readonly name = 'SignalParseError';
}

/** The first `max` characters of `text` for an error message, quoted. */
export function excerpt(text: string, max = 120): string {
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
}
