/**
 * Runs an `expect(...)` assertion and, when it fails, puts `context` in front of Jest's message.
 * Jest's `expect` takes no message of its own; assertions inside loops (every workload of a chart,
 * every field of a report) need to say which item failed, and process tests need the child's output.
 */
export function withContext<T>(context: string, assertion: () => T): T {
  const annotate = (error: unknown): never => {
    if (error instanceof Error) error.message = `${context}\n\n${error.message}`;
    throw error;
  };
  try {
    const result = assertion();
    if (result instanceof Promise) return result.catch(annotate) as T;
    return result;
  } catch (error) {
    return annotate(error);
  }
}
