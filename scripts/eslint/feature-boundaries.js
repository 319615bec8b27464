// ESLint rule: a feature under core/<feature>/ is used from outside only through its public module
// core/<feature>/index.ts, and core/platform/ (infrastructure) depends on no feature. Files inside a
// feature import each other freely.
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const OWNER = /^core\/([^/]+)\//;

/** @type {import('eslint').Rule.RuleModule} */
export const featureBoundaries = {
  meta: {
    type: 'problem',
    docs: { description: 'Features are used through their public module; platform code uses no feature.' },
    messages: {
      deep: 'Import the {{feature}} feature through core/{{feature}}/index.ts, not {{specifier}}.',
      platform: 'core/platform must not depend on a feature (core/{{feature}}).',
    },
    schema: [],
  },
  create(context) {
    const file = path.relative(ROOT, context.filename);
    const own = OWNER.exec(file)?.[1];
    function check(source) {
      const specifier = source?.value;
      if (typeof specifier !== 'string' || !specifier.startsWith('.')) return;
      const target = path.relative(ROOT, path.resolve(path.dirname(context.filename), specifier));
      const match = /^core\/([^/]+)\/(.+)$/.exec(target);
      if (!match) return;
      const [, feature, rest] = match;
      if (feature === 'platform' || feature === own) return;
      if (own === 'platform') {
        context.report({ node: source, messageId: 'platform', data: { feature } });
      } else if (rest !== 'index.ts') {
        context.report({ node: source, messageId: 'deep', data: { feature, specifier } });
      }
    }
    return {
      ImportDeclaration: (node) => check(node.source),
      ExportNamedDeclaration: (node) => check(node.source),
      ExportAllDeclaration: (node) => check(node.source),
      ImportExpression: (node) => check(node.source),
    };
  },
};
