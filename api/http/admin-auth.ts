import { timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';

const equal = (a: string, b: string) => {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
};

/** The token a request presents: Bearer, X-Admin-Token, or the password of HTTP Basic (for browsers). */
function presentedToken(authorization: string | undefined, header: string | undefined): string | undefined {
  if (header) return header;
  if (!authorization) return undefined;
  const [scheme, value = ''] = authorization.split(' ', 2);
  if (scheme?.toLowerCase() === 'bearer') return value;
  if (scheme?.toLowerCase() === 'basic')
    return Buffer.from(value, 'base64').toString('utf8').split(':').slice(1).join(':');
  return undefined;
}

/**
 * Operator-only routes (the queue dashboard). Closed (404) unless ADMIN_TOKEN is configured. This is
 * the seam where role-based auth will plug in: it will replace the token check with a role check.
 */
export function requireAdmin(adminToken: string | undefined): RequestHandler {
  return (req, res, next) => {
    if (!adminToken) {
      res
        .status(404)
        .type('application/problem+json')
        .json({ type: 'about:blank', title: 'Not Found', status: 404 });
      return;
    }
    const token = presentedToken(req.get('authorization'), req.get('x-admin-token'));
    if (token && equal(token, adminToken)) {
      next();
      return;
    }
    res.setHeader('WWW-Authenticate', 'Basic realm="trading-backend admin", charset="UTF-8"');
    res.status(401).type('application/problem+json').json({
      type: 'urn:trading-backend:problem:unauthorized',
      title: 'Unauthorized',
      status: 401,
      detail: 'An admin token is required (Authorization: Bearer <token>, X-Admin-Token, or Basic auth).',
    });
  };
}
