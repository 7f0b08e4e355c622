/**
 * The export door (issue 15): Prometheus `GET /metrics`, the Alertmanager forwarder, and the Prometheus
 * rule file generated from Nexus Ops rules. See README.md in this folder.
 */
import type { ApiResult } from '../../../shared/api/contract.js';
import type { ExportScrapeOutput } from '../../../shared/api/export.js';

export type { ForwarderStatus, PostableAlert } from './alertmanager.js';
export {
  createExportCapability,
  type ExportCapability,
  type ExportDeps,
  FORWARD_JOB,
  PRUNE_JOB,
} from './capability.js';
export { alertName, customExportedName, exportedName, PREFIX } from './names.js';
export { prometheusRuleFile, type RuleFile } from './rule-file.js';
export { bearerOf, isLoopback, MIN_TOKEN_LENGTH } from './scrape.js';

/** Anything that calls an API method (the dispatcher). */
export interface MethodCaller {
  call(method: string, input: unknown): Promise<ApiResult<unknown>>;
}

/**
 * The `GET /metrics` route of the app's HTTP server: the scrape goes through the `export.scrape` method,
 * which checks the scrape token (not the API token) and renders the exposition.
 */
export async function metricsResponse(api: MethodCaller, request: Request): Promise<Response> {
  const header = request.headers.get('authorization') ?? '';
  const result = await api.call('export.scrape', { authorization: header.length > 4096 ? '' : header });
  if (!result.ok) {
    return new Response(`${result.error.message}\n`, {
      status: 500,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
    });
  }
  const answer = result.value as ExportScrapeOutput;
  return new Response(request.method === 'HEAD' ? null : answer.body, {
    status: answer.status,
    headers: { 'content-type': answer.contentType, ...answer.headers },
  });
}
