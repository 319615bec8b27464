import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { generateOpenApiDocument } from '../api/openapi/document.ts';

type THeader = { schema?: { const?: unknown; enum?: unknown[] } };
type TOperation = {
  responses: Record<
    string,
    { content?: Record<string, { schema: object }>; headers?: Record<string, THeader> }
  >;
};
const document = generateOpenApiDocument('test') as unknown as {
  paths: Record<string, Record<string, TOperation>>;
  components: Record<string, unknown>;
};
const ajv = new Ajv2020({ strict: false, allErrors: true });
(addFormats as unknown as (ajv: Ajv2020) => void)(ajv);

const templates = Object.keys(document.paths)
  .map((template) => ({
    template,
    params: (template.match(/\{/g) ?? []).length,
    regex: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
  }))
  .sort((a, b) => a.params - b.params);

/**
 * Asserts that a real response is documented: its path, method and status are in the OpenAPI
 * document, and its body validates against the schema declared for its content type.
 */
export function assertMatchesOpenApi(
  method: string,
  url: string,
  status: number,
  contentType: string,
  body: unknown,
  headers?: Headers,
): void {
  const path = new URL(url, 'http://x').pathname;
  const match = templates.find((candidate) => candidate.regex.test(path));
  if (!match) throw new Error(`no OpenAPI path matches ${path}`);
  const operation = document.paths[match.template]![method.toLowerCase()];
  if (!operation) throw new Error(`${method} ${match.template} is not documented`);
  const response = operation.responses[String(status)];
  if (!response) throw new Error(`${method} ${match.template} does not document status ${status}`);
  // Headers the document pins to a value (Vary, X-Cache) must carry one of the documented values.
  for (const [name, header] of Object.entries(response.headers ?? {})) {
    const sent = headers?.get(name);
    const allowed = header.schema?.const !== undefined ? [header.schema.const] : header.schema?.enum;
    if (sent !== null && sent !== undefined && allowed && !allowed.includes(sent))
      throw new Error(
        `${method} ${match.template} ${status}: header ${name} "${sent}" is not one of ${JSON.stringify(allowed)}`,
      );
  }
  if (status === 304) return;
  if (!response.content) {
    if (body !== '') throw new Error(`${method} ${match.template} ${status} documents no body but sent one`);
    return;
  }
  const mediaType = contentType.split(';')[0]!.trim();
  const media = response.content?.[mediaType];
  if (!media) throw new Error(`${method} ${match.template} ${status} does not document ${mediaType}`);
  const validate = ajv.compile({ ...media.schema, components: document.components });
  if (!validate(body)) {
    throw new Error(
      `${method} ${path} ${status} body does not match the document: ${ajv.errorsText(validate.errors)}`,
    );
  }
}

export type TJsonResponse<T = any> = { status: number; headers: Headers; body: T };

/** fetch + JSON + OpenAPI conformance check, for every API call a test makes. */
export async function request<T = any>(
  base: string,
  path: string,
  init: RequestInit = {},
): Promise<TJsonResponse<T>> {
  const response = await fetch(`${base}${path}`, init);
  const text = await response.text();
  const contentType = response.headers.get('content-type') ?? '';
  const body = text && contentType.includes('json') ? JSON.parse(text) : text;
  if (!path.startsWith('/docs') && path !== '/metrics') {
    assertMatchesOpenApi(init.method ?? 'GET', path, response.status, contentType, body, response.headers);
  }
  return { status: response.status, headers: response.headers, body };
}
