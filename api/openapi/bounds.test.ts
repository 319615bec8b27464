import { expect, test } from '@jest/globals';
import { generateOpenApiDocument } from './document.ts';

type TSchema = Record<string, unknown>;
type TOperation = {
  parameters?: { name: string; in: string; schema: TSchema }[];
  requestBody?: { required?: boolean; content: Record<string, { schema: TSchema }> };
};

const document = generateOpenApiDocument('test') as unknown as {
  paths: Record<string, Record<string, TOperation>>;
  components: { schemas: Record<string, TSchema> };
};

const resolve = (schema: TSchema): TSchema =>
  typeof schema.$ref === 'string'
    ? resolve(document.components.schemas[schema.$ref.replace('#/components/schemas/', '')]!)
    : schema;
const types = (schema: TSchema) => (Array.isArray(schema.type) ? schema.type : [schema.type]) as string[];

/** Every way `schema` lets a client send an unbounded value, each named by its path. */
function unbounded(raw: TSchema, at: string): string[] {
  const schema = resolve(raw);
  const found: string[] = [];
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const)
    for (const [index, part] of ((schema[key] as TSchema[] | undefined) ?? []).entries())
      found.push(...unbounded(part, `${at}.${key}[${index}]`));
  if (schema.enum || 'const' in schema) return found;
  const kinds = types(schema);
  if (kinds.includes('string') && schema.maxLength === undefined && schema.format !== 'uuid')
    found.push(`${at}: a string without maxLength`);
  if (kinds.includes('integer') || kinds.includes('number')) {
    if (schema.maximum === undefined && schema.exclusiveMaximum === undefined)
      found.push(`${at}: no maximum`);
    if (schema.minimum === undefined && schema.exclusiveMinimum === undefined)
      found.push(`${at}: no minimum`);
  }
  if (kinds.includes('array')) {
    if (schema.maxItems === undefined) found.push(`${at}: an array without maxItems`);
    if (schema.items) found.push(...unbounded(schema.items as TSchema, `${at}[]`));
  }
  if (kinds.includes('object')) {
    for (const [name, property] of Object.entries((schema.properties as Record<string, TSchema>) ?? {}))
      found.push(...unbounded(property, `${at}.${name}`));
    const extra = schema.additionalProperties;
    if (extra !== false && extra !== undefined) {
      if (schema.maxProperties === undefined) found.push(`${at}: a map without maxProperties`);
      if (!schema.propertyNames) found.push(`${at}: a map without propertyNames`);
      if (typeof extra === 'object') found.push(...unbounded(extra as TSchema, `${at}{}`));
    }
  }
  return found;
}

test('When the OpenAPI document is read, then every input of every operation states its bound: lengths, ranges, item and key counts', () => {
  const found: string[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      const name = `${method.toUpperCase()} ${path}`;
      for (const parameter of operation.parameters ?? [])
        found.push(...unbounded(parameter.schema, `${name} ${parameter.in} ${parameter.name}`));
      for (const [type, media] of Object.entries(operation.requestBody?.content ?? {}))
        found.push(...unbounded(media.schema, `${name} body (${type})`));
    }
  }
  expect(found).toEqual([]);
});

test('When an operation takes a body, then the document says it is required, and PATCH bodies need at least one field', () => {
  const found: string[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (!operation.requestBody) continue;
      if (operation.requestBody.required !== true) found.push(`${method} ${path}: body not required`);
      const schema = resolve(Object.values(operation.requestBody.content)[0]!.schema);
      if (method === 'patch' && schema.minProperties !== 1) found.push(`${method} ${path}: no minProperties`);
    }
  }
  expect(found).toEqual([]);
});
