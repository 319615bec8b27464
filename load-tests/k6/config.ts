// Shared, typed scenario config for every k6 script: reads load-tests/scenarios.json (the same file the
// local autocannon runner reads), builds k6 options and thresholds, and runs one weighted request.
import { check } from 'k6';
import http from 'k6/http';
import type { Options, Scenario } from 'k6/options';
import type { TEndpoint, TScenarioConfig } from '../scenarios.types.ts';

export type { TEndpoint };

const config = JSON.parse(open('../scenarios.json')) as TScenarioConfig;
export const BASE_URL = (__ENV.BASE_URL ?? 'http://localhost:8000').replace(/\/$/, '');

/** An API key with jobs:trigger, for the endpoints that need credentials (the sync trigger). */
export const API_KEY = __ENV.API_KEY ?? '';

function thresholds(tags: string[], abortOnFail: boolean): Options['thresholds'] {
  const limit = (table: Record<string, number>, tag: string) => table[tag] ?? table.default;
  const result: NonNullable<Options['thresholds']> = {
    http_req_failed: [{ threshold: `rate<${config.thresholds.http_req_failed}`, abortOnFail }],
    checks: [`rate>${config.thresholds.checks}`],
  };
  for (const tag of tags) {
    result[`http_req_duration{endpoint:${tag}}`] = [
      { threshold: `p(95)<${limit(config.thresholds.p95_ms, tag)}`, abortOnFail },
      `p(99)<${limit(config.thresholds.p99_ms, tag)}`,
    ];
  }
  return result;
}

export function optionsFor(name: string): Options {
  const scenario = config.scenarios[name];
  if (!scenario) throw new Error(`unknown scenario ${name}`);
  if (scenario.kind === 'iterations') {
    return {
      scenarios: {
        [name]: { executor: 'per-vu-iterations', vus: scenario.vus, iterations: scenario.iterations },
      },
      thresholds: thresholds(
        [...config.endpoints, ...config.smokeOnly].map((endpoint) => endpoint.tag),
        false,
      ),
    };
  }
  const peak = Math.max(...scenario.stages.map((stage) => stage.target));
  const executor: Scenario = {
    executor: 'ramping-arrival-rate',
    startRate: 0,
    timeUnit: '1s',
    preAllocatedVUs: Math.max(10, Math.ceil(peak / 10)),
    maxVUs: Math.max(50, peak),
    stages: scenario.stages.map((stage) => ({ duration: `${stage.duration}s`, target: stage.target })),
  };
  return {
    scenarios: { [name]: executor },
    thresholds: thresholds(
      config.endpoints.map((endpoint) => endpoint.tag),
      Boolean(scenario.abortOnFail),
    ),
  };
}

const total = config.endpoints.reduce((sum, endpoint) => sum + (endpoint.weight ?? 0), 0);

/** One request of the weighted mix, tagged by endpoint, with status and body-shape checks. */
export function request(endpoint: TEndpoint = pick()): void {
  const params = {
    headers: (endpoint.auth && API_KEY ? { Authorization: `Bearer ${API_KEY}` } : {}) as Record<
      string,
      string
    >,
    tags: { endpoint: endpoint.tag },
    responseCallback: http.expectedStatuses(...endpoint.expect),
  };
  const response =
    endpoint.method === 'POST'
      ? http.post(`${BASE_URL}${endpoint.path}`, null, params)
      : http.get(`${BASE_URL}${endpoint.path}`, params);
  check(response, {
    [`${endpoint.tag}: status ${endpoint.expect.join('|')}`]: (r) => endpoint.expect.includes(r.status),
    [`${endpoint.tag}: body shape`]: (r) =>
      endpoint.body === null || r.status >= 400
        ? true
        : (r.json() as Record<string, unknown>)[endpoint.body] !== undefined,
  });
}

function pick(): TEndpoint {
  let ticket = Math.random() * total;
  for (const endpoint of config.endpoints) {
    ticket -= endpoint.weight ?? 0;
    if (ticket < 0) return endpoint;
  }
  return config.endpoints[0]!;
}

export const allEndpoints = (): TEndpoint[] => [...config.endpoints, ...config.smokeOnly];
