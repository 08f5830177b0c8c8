// The Compute Engine calls the plugin makes: the documented REST API (v1)
// through google-auth-library, which finds Application Default Credentials
// (GOOGLE_APPLICATION_CREDENTIALS: a service account key or a workload
// identity configuration; gcloud's user credentials; on GCE the instance's
// service account through the metadata server) and sends authorized requests
// with gaxios' retries. The official @google-cloud/compute client was measured
// against this (docs/gcp.md): its bundle is a hundred times larger and it
// takes seconds to load. provider.ts loads this module on the first call.
import { GoogleAuth } from 'google-auth-library';
import type { gaxios } from 'google-auth-library';
import type { KeyValue } from '../../src/sdk/settings.js';
import type { ErrorContext } from './errors.js';
import { credentialsError, toPluginError } from './errors.js';
import type { GceInstance, InstanceAction, Target } from './instance.js';
import { labelFilter, resourceOf } from './instance.js';
import type { ZoneOperation } from './operation.js';

export const COMPUTE_SCOPE = 'https://www.googleapis.com/auth/compute';
/** instances.list's largest page. */
const PAGE_SIZE = 500;

interface InstanceList {
  readonly items?: readonly GceInstance[];
  readonly nextPageToken?: string;
}

export interface ComputeOptions {
  /**
   * The project the plugin works in. Given to the auth library, which would
   * otherwise look for one itself, running `gcloud config config-helper` where
   * gcloud is installed (seconds, and another project than the instance's).
   */
  readonly project: string;
  readonly endpoint: string;
  readonly requestTimeoutMs: number;
  readonly maxAttempts: number;
  /** Tests may pass their own; the plugin uses Application Default Credentials. */
  readonly auth?: GoogleAuth;
}

export class Compute {
  readonly #auth: GoogleAuth;
  readonly #options: ComputeOptions;

  constructor(options: ComputeOptions) {
    this.#options = options;
    this.#auth = options.auth ?? new GoogleAuth({ scopes: [COMPUTE_SCOPE], projectId: options.project });
  }

  async #request<T>(context: ErrorContext, request: gaxios.GaxiosOptions, signal: AbortSignal): Promise<T> {
    const full: ErrorContext = { ...context, endpoint: this.#options.endpoint };
    let client: Awaited<ReturnType<GoogleAuth['getClient']>>;
    try {
      client = await this.#auth.getClient();
      // Fetched (and cached by the client) before the request, so a missing
      // or refused credential is told apart from a Compute error.
      await client.getAccessToken();
    } catch (error) {
      throw credentialsError(error, full);
    }
    try {
      const answer = await client.request<T>({
        ...request,
        signal,
        timeout: this.#options.requestTimeoutMs,
        responseType: 'json',
        retry: this.#options.maxAttempts > 1,
        retryConfig: {
          retry: this.#options.maxAttempts - 1,
          noResponseRetries: this.#options.maxAttempts - 1,
          // Only reads and polls: a POST that failed may have been applied.
          httpMethodsToRetry: ['GET'],
          statusCodesToRetry: [[429, 429], [500, 599]],
        },
      });
      return answer.data;
    } catch (error) {
      throw toPluginError(error, full, signal.aborted);
    }
  }

  #url(target: Pick<Target, 'project' | 'zone'>, rest: string): string {
    return `${this.#options.endpoint}/projects/${encodeURIComponent(target.project)}/zones/${encodeURIComponent(target.zone)}/${rest}`;
  }

  get(target: Target, signal: AbortSignal): Promise<GceInstance> {
    return this.#request<GceInstance>(
      { method: 'instances.get', resource: resourceOf(target) },
      { url: this.#url(target, `instances/${encodeURIComponent(target.instance)}`), method: 'GET' },
      signal,
    );
  }

  async list(where: Pick<Target, 'project' | 'zone'>, label: KeyValue | undefined, signal: AbortSignal): Promise<GceInstance[]> {
    const found: GceInstance[] = [];
    const filter = labelFilter(label);
    let pageToken: string | undefined;
    do {
      const page: InstanceList = await this.#request<InstanceList>(
        { method: 'instances.list', resource: `projects/${where.project}/zones/${where.zone}` },
        {
          url: this.#url(where, 'instances'),
          method: 'GET',
          params: { maxResults: PAGE_SIZE, ...(filter === undefined ? {} : { filter }), ...(pageToken === undefined ? {} : { pageToken }) },
        },
        signal,
      );
      found.push(...(page.items ?? []));
      pageToken = page.nextPageToken || undefined;
    } while (pageToken !== undefined);
    return found;
  }

  act(target: Target, action: InstanceAction, discardLocalSsd: boolean, signal: AbortSignal): Promise<ZoneOperation> {
    const takesSsd = action === 'stop' || action === 'suspend';
    return this.#request<ZoneOperation>(
      { method: `instances.${action}`, resource: resourceOf(target) },
      {
        url: this.#url(target, `instances/${encodeURIComponent(target.instance)}/${action}`),
        method: 'POST',
        ...(takesSsd ? { params: { discardLocalSsd: String(discardLocalSsd) } } : {}),
      },
      signal,
    );
  }

  operation(target: Pick<Target, 'project' | 'zone'>, name: string, signal: AbortSignal): Promise<ZoneOperation> {
    return this.#request<ZoneOperation>(
      { method: 'zoneOperations.get', resource: `projects/${target.project}/zones/${target.zone}/operations/${name}` },
      { url: this.#url(target, `operations/${encodeURIComponent(name)}`), method: 'GET' },
      signal,
    );
  }
}
