// k6 run load-tests/k6/soak.ts -e BASE_URL=https://api.example.com
import { optionsFor, request } from './config.ts';

export const options = optionsFor('soak');

export default function (): void {
  request();
}
