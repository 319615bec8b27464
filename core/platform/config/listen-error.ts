/**
 * A configured port that cannot be bound stops the process with one line naming the variable and the
 * cause, and exit code 78 (EX_CONFIG, as for any other bad configuration) instead of a stack trace.
 */
export function exitOnListenError(
  error: NodeJS.ErrnoException,
  variable: 'PORT' | 'WORKER_PORT' | 'OPERATOR_PORT',
  host: string,
  port: number,
): never {
  const cause =
    error.code === 'EADDRINUSE'
      ? 'is already in use by another process'
      : error.code === 'EACCES'
        ? 'needs privileges this process does not have'
        : `cannot be opened (${error.code ?? error.message})`;
  process.stderr.write(`${variable}=${port}: ${host}:${port} ${cause}; set ${variable} to a free port.\n`);
  process.exit(78);
}
