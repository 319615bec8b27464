// k6 run load-tests/k6/smoke.ts -e BASE_URL=https://api.example.com
// One virtual user calls every public endpoint once and checks status and body shape.
import { allEndpoints, optionsFor, request } from './config.ts';

export const options = optionsFor('smoke');

export default function (): void {
  for (const endpoint of allEndpoints()) request(endpoint);
}
