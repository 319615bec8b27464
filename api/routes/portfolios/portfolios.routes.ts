import { defineRoute } from '../define-route.ts';
import {
  ZCsvBody,
  ZImportQuery,
  ZImportResult,
  ZPortfolio,
  ZPortfolioCreate,
  ZPortfolioList,
  ZPortfolioListQuery,
  ZPortfolioParams,
  ZPortfolioPatch,
  ZTransaction,
  ZTransactionCreate,
  ZTransactionList,
  ZTransactionParams,
  ZTransactionPatch,
  ZTransactionQuery,
} from './portfolios.schemas.ts';

import { analyticsRoutes } from './analytics.routes.ts';
import { BASE, ownership, tags } from './portfolio-routes.common.ts';

export const portfolioRoutes = [
  defineRoute({
    method: 'post',
    path: BASE,
    tags,
    summary: 'Create a portfolio',
    request: { body: ZPortfolioCreate },
    permission: 'portfolios:manage',
    idempotent: true,
    response: { status: 201, description: 'The portfolio', schema: ZPortfolio },
    problems: [409, 413, 422],
    handler: ({ input, actor, deps }) => deps.services.portfolios.create(actor, input.body),
  }),
  defineRoute({
    method: 'get',
    path: BASE,
    tags,
    summary: 'The caller’s portfolios',
    request: { query: ZPortfolioListQuery },
    permission: 'portfolios:manage',
    response: { status: 200, description: 'A page of portfolios', schema: ZPortfolioList },
    handler: ({ input, actor, deps }) => deps.services.portfolios.list(actor, input.query),
  }),
  defineRoute({
    method: 'get',
    path: `${BASE}/{id}`,
    tags,
    summary: 'One portfolio',
    description: ownership,
    request: { params: ZPortfolioParams },
    permission: 'portfolios:manage',
    response: { status: 200, description: 'The portfolio', schema: ZPortfolio },
    problems: [404],
    handler: ({ input, actor, deps }) => deps.services.portfolios.get(actor, input.params.id),
  }),
  defineRoute({
    method: 'patch',
    path: `${BASE}/{id}`,
    tags,
    summary: 'Change a portfolio’s name or rules',
    description: `A new cost-basis method, fee or cash rule recomputes every lot; a history the new rules refuse is a 422. ${ownership}`,
    request: { params: ZPortfolioParams, body: ZPortfolioPatch },
    permission: 'portfolios:manage',
    response: { status: 200, description: 'The portfolio', schema: ZPortfolio },
    problems: [404, 413, 422],
    handler: ({ input, actor, deps }) => deps.services.portfolios.update(actor, input.params.id, input.body),
  }),
  defineRoute({
    method: 'delete',
    path: `${BASE}/{id}`,
    tags,
    summary: 'Delete a portfolio and its transactions',
    request: { params: ZPortfolioParams },
    permission: 'portfolios:manage',
    response: { status: 204, description: 'Deleted' },
    problems: [404],
    handler: ({ input, actor, deps }) => deps.services.portfolios.remove(actor, input.params.id),
  }),
  defineRoute({
    method: 'post',
    path: `${BASE}/{id}/transactions`,
    tags,
    summary: 'Record a transaction',
    description:
      'Amounts are decimal strings. A sell or transfer out beyond the holding is a 422 naming the shortfall (unless ' +
      'the portfolio allows negative positions); so is cash below zero while cash is tracked. Income and transfers ' +
      `without a price take that day's close. ${ownership}`,
    request: { params: ZPortfolioParams, body: ZTransactionCreate },
    permission: 'portfolios:manage',
    idempotent: true,
    response: { status: 201, description: 'The transaction', schema: ZTransaction },
    problems: [404, 409, 413, 422],
    handler: ({ input, actor, deps }) =>
      deps.services.portfolios.addTransaction(actor, input.params.id, input.body),
  }),
  defineRoute({
    method: 'get',
    path: `${BASE}/{id}/transactions`,
    tags,
    summary: 'A portfolio’s transactions',
    description: `Oldest first; filter by symbol, type and time; page with \`pagination.next_cursor\`. ${ownership}`,
    request: { params: ZPortfolioParams, query: ZTransactionQuery },
    permission: 'portfolios:manage',
    response: { status: 200, description: 'A page of transactions', schema: ZTransactionList },
    problems: [404],
    handler: ({ input, actor, deps }) =>
      deps.services.portfolios.listTransactions(actor, input.params.id, input.query),
  }),
  defineRoute({
    method: 'patch',
    path: `${BASE}/{id}/transactions/{txId}`,
    tags,
    summary: 'Correct a transaction',
    description:
      'The whole history is recomputed as if entered fresh; a history that no longer holds is a 422.',
    request: { params: ZTransactionParams, body: ZTransactionPatch },
    permission: 'portfolios:manage',
    response: { status: 200, description: 'The transaction', schema: ZTransaction },
    problems: [404, 409, 413, 422],
    handler: ({ input, actor, deps }) =>
      deps.services.portfolios.updateTransaction(actor, input.params.id, input.params.txId, input.body),
  }),
  defineRoute({
    method: 'delete',
    path: `${BASE}/{id}/transactions/{txId}`,
    tags,
    summary: 'Delete a transaction',
    description:
      'Refused (422) when the rest of the history would no longer hold (a sell of what it bought).',
    request: { params: ZTransactionParams },
    permission: 'portfolios:manage',
    response: { status: 204, description: 'Deleted' },
    problems: [404, 422],
    handler: ({ input, actor, deps }) =>
      deps.services.portfolios.deleteTransaction(actor, input.params.id, input.params.txId),
  }),
  defineRoute({
    method: 'post',
    path: `${BASE}/{id}/transactions/import`,
    tags,
    summary: 'Import transactions from CSV',
    description:
      'A dry run previews every row with its errors and whether the history would hold. A real run writes every ' +
      'row or none, and skips rows whose external id the portfolio already has (importing a file twice adds ' +
      'nothing). Formats: docs/portfolio-methodology.md.',
    request: { params: ZPortfolioParams, query: ZImportQuery, body: ZCsvBody },
    bodyType: 'csv',
    permission: 'portfolios:manage',
    // A dry run changes nothing: nothing to replay, and its preview (every row) is not kept.
    idempotent: (input) => !input.query.dry_run,
    cost: { base: 1, perBytes: 256 * 1024 },
    response: { status: 200, description: 'What was (or would be) imported', schema: ZImportResult },
    problems: [404, 409, 413, 422],
    handler: ({ input, actor, deps }) =>
      deps.services.portfolios.importCsv(actor, input.params.id, {
        format: input.query.format,
        csv: input.body,
        dryRun: input.query.dry_run,
      }),
  }),
  defineRoute({
    method: 'get',
    path: `${BASE}/{id}/transactions/export`,
    tags,
    summary: 'Export transactions as CSV',
    description: 'The generic import format, so an export imports back unchanged.',
    request: { params: ZPortfolioParams },
    permission: 'portfolios:manage',
    response: {
      status: 200,
      description: 'CSV (RFC 4180)',
      content: { 'text/csv': { schema: { type: 'string' } } },
    },
    problems: [404],
    handler: async ({ input, actor, deps, res }) => {
      const csv = await deps.services.portfolios.exportCsv(actor, input.params.id);
      res
        .status(200)
        .type('text/csv; charset=utf-8')
        .setHeader('Cache-Control', 'no-store')
        .setHeader('Content-Disposition', `attachment; filename="portfolio-${input.params.id}.csv"`)
        .send(csv);
    },
  }),
  ...analyticsRoutes,
];
