import { AppError, ErrorCode } from './errors/app-error.ts';

/**
 * A request's time budget: when it ends (epoch ms) and the signal that fires then. Work that can run
 * long (loops over coins, big queries) checks it, so that an answer the caller no longer waits for is
 * not computed to the end.
 */
export type TDeadline = { at: number; budgetMs: number; signal: AbortSignal };

/** The problem a request over its time budget answers (503 with Retry-After). */
export const deadlineExceeded = (budgetMs: number) =>
  new AppError(ErrorCode.DeadlineExceeded, {
    detail: `The request did not finish within its time budget of ${budgetMs} ms and was abandoned; retry later or ask for less.`,
    extensions: { budget_ms: budgetMs },
  });

/** A deadline `budgetMs` from now; `stop()` releases its timer when the work ended first. */
export function startDeadline(budgetMs: number): TDeadline & { stop: () => void } {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(deadlineExceeded(budgetMs)), budgetMs);
  timer.unref();
  return { at: Date.now() + budgetMs, budgetMs, signal: controller.signal, stop: () => clearTimeout(timer) };
}

/** Milliseconds left (at least 1), or undefined without a deadline. */
export const remainingMs = (deadline?: TDeadline): number | undefined =>
  deadline ? Math.max(1, deadline.at - Date.now()) : undefined;

/** Throws the deadline's problem once it has passed. */
export const checkDeadline = (deadline?: TDeadline): void => deadline?.signal.throwIfAborted();
