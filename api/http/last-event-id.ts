import type { Request } from 'express';
import { AppError, ErrorCode } from '../../core/platform/errors/app-error.ts';

/**
 * The `Last-Event-ID` header a reconnecting EventSource sends, checked: an event id is digits (at most
 * `maxDigits`), anything else a 400 naming the header. Undefined when the client sent none.
 */
export function lastEventIdHeader(req: Request, maxDigits: number): string | undefined {
  const header = req.get('last-event-id');
  if (header !== undefined && !new RegExp(`^\\d{1,${maxDigits}}$`).test(header)) {
    throw new AppError(ErrorCode.ValidationFailed, {
      detail: 'Last-Event-ID: must be an event id',
      errors: [{ name: 'Last-Event-ID', in: 'header', detail: 'must be an event id' }],
    });
  }
  return header;
}
