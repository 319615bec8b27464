// The shape of scenarios.json, shared by the k6 scripts and the local autocannon runner (type-only).
export type TEndpoint = {
  tag: string;
  method: 'GET' | 'POST';
  path: string;
  /** Needs credentials: the runners send `Authorization: Bearer <API_KEY>` (a key with jobs:trigger). */
  auth?: boolean;
  weight?: number;
  expect: number[];
  body: string | null;
};
export type TStage = { duration: number; target: number };
export type TScenario =
  | { kind: 'iterations'; vus: number; iterations: number }
  | { kind: 'ramping-arrival-rate'; stages: TStage[]; abortOnFail?: boolean };
export type TScenarioConfig = {
  endpoints: TEndpoint[];
  smokeOnly: TEndpoint[];
  scenarios: Record<string, TScenario>;
  thresholds: {
    http_req_failed: number;
    checks: number;
    p95_ms: Record<string, number>;
    p99_ms: Record<string, number>;
  };
};
