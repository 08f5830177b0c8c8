// Checks an incoming request's AWS Signature Version 4 the way a service
// does: parse the Authorization header, rebuild the signature over the
// headers it says were signed, with @smithy/signature-v4 and the secret of
// the access key it names, and compare.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';

export interface TestCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface SignedRequest {
  readonly method: string;
  /** Path and query as received, e.g. "/" or "/?a=b". */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** Why a request's signature was refused, in the words of an AWS error. */
export class SignatureError extends Error {
  override readonly name = 'SignatureError';
  constructor(
    readonly code: 'MissingAuthenticationToken' | 'AuthFailure' | 'IncompleteSignature' | 'RequestExpired',
    message: string,
  ) {
    super(message);
  }
}

export interface VerifiedRequest {
  readonly accessKeyId: string;
  readonly region: string;
  readonly service: string;
  readonly signedHeaders: readonly string[];
}

type SourceData = string | ArrayBuffer | ArrayBufferView;

/** SHA-256 (HMAC-SHA-256 with a secret) in the shape @smithy/signature-v4 wants, from node:crypto. */
export class NodeSha256 {
  #hash;
  constructor(secret?: SourceData) {
    this.#hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(secret));
  }
  update(data: Uint8Array): void {
    this.#hash.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }
  reset(): void {
    throw new Error('not used');
  }
}

function toBuffer(data: SourceData): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

const AUTH = /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;_.-]+),\s*Signature=([0-9a-f]{64})$/;
/** How far a request's time may be from ours (AWS allows 15 minutes). */
const MAX_SKEW_MS = 15 * 60 * 1000;

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** "20240102T030405Z" → Date. */
export function parseAmzDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (m === null) return undefined;
  return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
}

function queryOf(url: URL): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of url.searchParams) {
    const seen = query[key];
    query[key] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return query;
}

/**
 * Verifies `request` against `credentials` (any of them may have signed it);
 * throws SignatureError when it is unsigned, malformed, stale, from an unknown
 * key, for another region or service, or its signature does not match.
 */
export async function verifySigV4(
  request: SignedRequest,
  credentials: readonly TestCredentials[],
  expect: { region: string; service: string },
  now: Date = new Date(),
): Promise<VerifiedRequest> {
  const authorization = header(request.headers, 'authorization');
  if (authorization === undefined) {
    throw new SignatureError('MissingAuthenticationToken', 'Request is missing Authentication Token');
  }
  const match = AUTH.exec(authorization.trim());
  if (match === null) throw new SignatureError('IncompleteSignature', `Authorization header is not AWS4-HMAC-SHA256: ${authorization.slice(0, 60)}`);
  const [, accessKeyId = '', shortDate = '', region = '', service = '', signedList = '', signature = ''] = match;

  const key = credentials.find((c) => c.accessKeyId === accessKeyId);
  if (key === undefined) throw new SignatureError('AuthFailure', 'AWS was not able to validate the provided access credentials');
  if (region !== expect.region) {
    throw new SignatureError('AuthFailure', `Credential should be scoped to a valid region, not '${region}' (this endpoint is ${expect.region})`);
  }
  if (service !== expect.service) throw new SignatureError('AuthFailure', `Credential should be scoped to correct service: '${expect.service}'`);

  const amzDate = header(request.headers, 'x-amz-date');
  const signingDate = amzDate === undefined ? undefined : parseAmzDate(amzDate);
  if (signingDate === undefined) throw new SignatureError('IncompleteSignature', 'Request must contain a valid X-Amz-Date header');
  if (amzDate?.slice(0, 8) !== shortDate) throw new SignatureError('AuthFailure', 'Credential date does not match X-Amz-Date');
  if (Math.abs(now.getTime() - signingDate.getTime()) > MAX_SKEW_MS) {
    throw new SignatureError('RequestExpired', `Request has expired: signed at ${signingDate.toISOString()}`);
  }

  const signedHeaders = signedList.split(';');
  for (const required of ['host', 'x-amz-date']) {
    if (!signedHeaders.includes(required)) throw new SignatureError('IncompleteSignature', `Header ${required} must be signed`);
  }
  if (key.sessionToken !== undefined) {
    if (header(request.headers, 'x-amz-security-token') !== key.sessionToken || !signedHeaders.includes('x-amz-security-token')) {
      throw new SignatureError('AuthFailure', 'The security token included in the request is invalid');
    }
  }
  // A signed payload hash must be the hash of the payload actually sent.
  const claimedHash = header(request.headers, 'x-amz-content-sha256');
  if (claimedHash !== undefined && claimedHash !== 'UNSIGNED-PAYLOAD') {
    const actual = createHash('sha256').update(request.body).digest('hex');
    if (claimedHash !== actual) throw new SignatureError('AuthFailure', 'The provided x-amz-content-sha256 header does not match the body');
  }

  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    if (name === 'x-amz-date') continue; // the signer sets it from signingDate
    const value = header(request.headers, name);
    if (value === undefined) throw new SignatureError('AuthFailure', `Signed header ${name} is missing from the request`);
    headers[name] = value;
  }
  const url = new URL(`http://placeholder${request.url}`);
  const host = headers.host ?? '';
  const colon = host.lastIndexOf(':');
  const signer = new SignatureV4({
    credentials: key,
    region,
    service,
    sha256: NodeSha256,
    // The payload hash is whatever the client signed; do not add a header it did not send.
    applyChecksum: false,
    uriEscapePath: true,
  });
  const resigned = await signer.sign(
    {
      method: request.method,
      protocol: 'http:',
      hostname: colon > 0 ? host.slice(0, colon) : host,
      ...(colon > 0 ? { port: Number(host.slice(colon + 1)) } : {}),
      path: url.pathname,
      query: queryOf(url),
      headers,
      body: request.body.toString('utf8'),
    },
    { signingDate, signableHeaders: new Set(signedHeaders) },
  );
  const expected = /Signature=([0-9a-f]{64})$/.exec(String(resigned.headers.authorization ?? ''))?.[1] ?? '';
  const same = expected.length === signature.length && timingSafeEqual(Buffer.from(expected), Buffer.from(signature));
  if (!same) {
    throw new SignatureError(
      'AuthFailure',
      'AWS was not able to validate the provided access credentials: the request signature does not match',
    );
  }
  return { accessKeyId, region, service, signedHeaders };
}
