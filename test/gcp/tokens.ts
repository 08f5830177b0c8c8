// Access tokens a local metadata server hands out and a local Compute
// endpoint accepts: one shared book, as Google's token service and APIs
// share theirs. A token carries the scopes it was issued for.
import { randomBytes } from 'node:crypto';

export interface IssuedToken {
  readonly scopes: readonly string[];
  readonly serviceAccount: string;
}

export class TokenBook {
  readonly #tokens = new Map<string, IssuedToken>();

  issue(serviceAccount: string, scopes: readonly string[]): string {
    const token = `ya29.snoozebot-test-${randomBytes(18).toString('base64url')}`;
    this.#tokens.set(token, { scopes, serviceAccount });
    return token;
  }

  lookup(token: string): IssuedToken | undefined {
    return this.#tokens.get(token);
  }

  /** Every token handed out so far stops working. */
  revokeAll(): void {
    this.#tokens.clear();
  }
}
