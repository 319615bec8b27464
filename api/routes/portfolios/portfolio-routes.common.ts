export const tags = ['Portfolios'];
export const BASE = '/api/v1/portfolios';
export const ownership =
  'Only the owner (and holders of `portfolios:admin`) see a portfolio; to anyone else it does not exist (404).';
/** Cached answers about one portfolio are retired by its writes and by new market data. */
export const portfolioResource = (input: { params: { id: string } }) => `portfolio:${input.params.id}`;
