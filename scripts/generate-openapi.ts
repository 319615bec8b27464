// Writes the OpenAPI 3.1 document generated from the route schemas to docs/openapi.json.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generateOpenApiDocument } from '../api/openapi/document.ts';
import { APP_VERSION } from '../core/platform/version.ts';

const target = path.resolve(import.meta.dirname, '..', 'docs', 'openapi.json');
await writeFile(target, `${JSON.stringify(generateOpenApiDocument(APP_VERSION), null, 2)}\n`);
process.stdout.write(`wrote ${path.relative(process.cwd(), target)}\n`);
