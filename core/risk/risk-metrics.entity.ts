import { EntitySchema } from 'typeorm';

export type TRiskMetricsRow = {
  cryptocurrency_id: number;
  window_days: number;
  benchmark_symbol: string;
  window_end: string;
  observations: number;
  metrics: Record<string, unknown>;
  risk_score: number;
  risk_level: string;
  data_last_timestamp: Date;
  benchmark_last_timestamp: Date | null;
  computed_at: Date;
};

export const RiskMetricsEntity = new EntitySchema<TRiskMetricsRow>({
  name: 'RiskMetrics',
  tableName: 'risk_metrics',
  columns: {
    cryptocurrency_id: { type: 'integer', primary: true },
    window_days: { type: 'integer' },
    benchmark_symbol: { type: 'varchar', length: 20 },
    window_end: { type: 'date' },
    observations: { type: 'integer' },
    metrics: { type: 'jsonb' },
    risk_score: { type: 'double precision' },
    risk_level: { type: 'text' },
    data_last_timestamp: { type: 'timestamptz' },
    benchmark_last_timestamp: { type: 'timestamptz', nullable: true },
    computed_at: { type: 'timestamptz', createDate: true },
  },
});
