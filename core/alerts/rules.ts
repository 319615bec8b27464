/**
 * When an alert fires: a small state machine per alert. An armed alert whose condition holds fires
 * and becomes triggered; it fires again only after the condition has stopped holding (it re-arms) and
 * holds anew, so a price that stays above its threshold over many syncs fires once per crossing. A
 * cooldown keeps an armed alert from firing again within `cooldown_seconds` of its last firing (it
 * stays armed, and fires once the cooldown is over if the condition still holds).
 */
export const ALERT_KINDS = [
  'price_above',
  'price_below',
  'pct_change',
  'risk_metric',
  'limit_breach',
] as const;
export type TAlertKind = (typeof ALERT_KINDS)[number];
export type TAlertState = 'armed' | 'triggered';

/** The coin and portfolio risk metrics an alert may watch (docs/risk-methodology.md). */
export const ALERT_METRICS = [
  'volatility_daily',
  'volatility_annualized',
  'return_total',
  'return_annualized',
  'max_drawdown',
  'var_95',
  'var_99',
  'cvar_95',
  'cvar_99',
  'parametric_var_95',
  'parametric_var_99',
  'sharpe_ratio',
  'sortino_ratio',
  'calmar_ratio',
  'beta',
  'alpha_annualized',
  'correlation_to_benchmark',
  'risk_score',
] as const;
export type TAlertMetric = (typeof ALERT_METRICS)[number];

export type TRule = {
  kind: TAlertKind;
  direction: 'above' | 'below';
  threshold: number | null;
};

/** Whether the watched value meets the alert's condition (limit_breach: any limit in warning or breached). */
export function conditionHolds(rule: TRule, value: number | string): boolean {
  if (rule.kind === 'limit_breach') return value === 'warning' || value === 'breached';
  const number = Number(value);
  const threshold = rule.threshold!;
  switch (rule.kind) {
    case 'price_above':
      return number >= threshold;
    case 'price_below':
      return number <= threshold;
    case 'pct_change':
      // A positive threshold watches rises, a negative one falls.
      return threshold >= 0 ? number >= threshold : number <= threshold;
    case 'risk_metric':
      return rule.direction === 'above' ? number >= threshold : number <= threshold;
  }
}

export function step(input: {
  rule: TRule;
  state: TAlertState;
  value: number | string | null;
  lastFiredAt: Date | null;
  cooldownSeconds: number;
  now: Date;
}): { state: TAlertState; fire: boolean } {
  if (input.value === null) return { state: input.state, fire: false };
  const holds = conditionHolds(input.rule, input.value);
  if (!holds) return { state: 'armed', fire: false };
  if (input.state === 'triggered') return { state: 'triggered', fire: false };
  const cooling =
    input.lastFiredAt !== null &&
    input.now.getTime() - input.lastFiredAt.getTime() < input.cooldownSeconds * 1000;
  return cooling ? { state: 'armed', fire: false } : { state: 'triggered', fire: true };
}
