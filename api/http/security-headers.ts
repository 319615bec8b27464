import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * Security headers, from helmet. JSON responses get the set OWASP's REST Security Cheat Sheet asks of
 * APIs: a policy that lets nothing render (`default-src 'none'; frame-ancestors 'none'`), framing
 * denied, nosniff, HSTS, CORP, no referrer. Headers that only mean something for HTML documents
 * (COOP, Origin-Agent-Cluster, DNS prefetch, IE's download options, the retired XSS auditor) are not
 * sent with them: five fewer headers on every API response. The interactive docs (an HTML page
 * with scripts) get helmet's full document set, the queue dashboard a policy fitted to its page.
 */
export function securityHeaders(): RequestHandler {
  // TLS ends at the ingress; upgrade-insecure-requests would break /docs when served over plain HTTP locally.
  const forDocuments = helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } });
  const forData = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
    },
    xFrameOptions: { action: 'deny' },
    crossOriginOpenerPolicy: false,
    originAgentCluster: false,
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xXssProtection: false,
  });
  // The queue dashboard is a page of its own scripts and styles (with inline styles) and fonts from
  // Google: allowed, and nothing else; no one may frame it (clickjacking its write buttons).
  const forDashboard = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'", 'https://fonts.googleapis.com'],
        fontSrc: ["'self'", 'https://fonts.gstatic.com', 'data:'],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    xFrameOptions: { action: 'deny' },
  });
  return (req, res, next) =>
    (req.path.startsWith('/docs')
      ? forDocuments
      : req.path.startsWith('/admin/queues')
        ? forDashboard
        : forData)(req, res, next);
}
