// ESLint rule: a feature under core/<feature>/ is used from outside only through its public module
// core/<feature>/index.ts (and the feature list, core/features.ts, through its entry
// core/<feature>/<feature>.feature.ts), and core/platform/ (infrastructure) depends on no feature. Files inside a
// feature import each other freely. The runtime and the edge (worker/, api/http/) use no feature at all:
// they get the composed services (core/services.ts) and the lists (core/features.ts, core/workflows.ts,
// core/schedules.ts); a type from a feature's public module is allowed there (it couples nothing at run time).
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const OWNER = /^core\/([^/]+)\//;
const EDGE = /^(?:worker|api\/http)\/(?!.*\.test\.ts$)/;

/** @type {import('eslint').Rule.RuleModule} */
export const featureBoundaries = {
  meta: {
    type: 'problem',
    docs: {
      description:
        'Features are used through their public module; platform code, the worker and the HTTP edge use no feature.',
    },
    messages: {
      deep: 'Import the {{feature}} feature through core/{{feature}}/index.ts, not {{specifier}}.',
      platform: 'core/platform must not depend on a feature (core/{{feature}}).',
      edge: '{{root}} is the runtime, not a feature: take the {{feature}} feature through the composed services (core/services.ts, core/features.ts), not {{specifier}}.',
    },
    schema: [],
  },
  create(context) {
    const file = path.relative(ROOT, context.filename).split(path.sep).join('/');
    const own = OWNER.exec(file)?.[1];
    const edge = EDGE.test(file);
    function check(source, typeOnly) {
      const specifier = source?.value;
      if (typeof specifier !== 'string' || !specifier.startsWith('.')) return;
      const target = path
        .relative(ROOT, path.resolve(path.dirname(context.filename), specifier))
        .split(path.sep)
        .join('/');
      const match = /^core\/([^/]+)\/(.+)$/.exec(target);
      if (!match) return;
      const [, feature, rest] = match;
      if (feature === 'platform' || feature === own) return;
      if (own === 'platform') {
        context.report({ node: source, messageId: 'platform', data: { feature } });
      } else if (edge && !(typeOnly && rest === 'index.ts')) {
        context.report({
          node: source,
          messageId: 'edge',
          data: { feature, specifier, root: file.startsWith('worker/') ? 'worker/' : 'api/http/' },
        });
      } else if (rest !== 'index.ts' && !(file === 'core/features.ts' && rest === `${feature}.feature.ts`)) {
        context.report({ node: source, messageId: 'deep', data: { feature, specifier } });
      }
    }
    return {
      ImportDeclaration: (node) => check(node.source, node.importKind === 'type'),
      ExportNamedDeclaration: (node) => check(node.source, node.exportKind === 'type'),
      ExportAllDeclaration: (node) => check(node.source, node.exportKind === 'type'),
      ImportExpression: (node) => check(node.source, false),
    };
  },
};
