/* global module */
/**
 * The import graph, checked in `npm run lint`: no cycles, and no import against the layering
 * in docs/architecture.md ("Layers"). A layer may import from the layers below it only.
 */
const LAYERS = [
  ['protocol', '^protocol/'],
  ['support', '^server/support/'],
  ['core', '^server/core/'],
  ['auth', '^server/auth/'],
  ['config', '^server/config/'],
  ['transport', '^server/transport/'],
  ['gateway', '^server/gateway/'],
  ['nodes', '^server/nodes/'],
  ['hub', '^server/hub/'],
  ['store', '^server/store/'],
  ['cluster', '^server/cluster/'],
  ['http', '^server/http/'],
  ['runtime', '^server/runtime/'],
  ['cli', '^server/cli/'],
];

/** Layers that sit side by side: neither may import the other. */
const SIBLINGS = [['auth', 'config', 'transport']];

const pathOf = (name) => LAYERS.find(([n]) => n === name)[1];
const upward = LAYERS.flatMap(([name, path], i) => {
  const forbidden = LAYERS.slice(i + 1).map(([n]) => n);
  if (forbidden.length === 0) return [];
  return [
    {
      name: `${name}-imports-upward`,
      comment: `${name} may import only layers below it (docs/architecture.md, Layers)`,
      severity: 'error',
      from: { path: path },
      to: { path: forbidden.map(pathOf) },
    },
  ];
});
const sideways = SIBLINGS.flatMap((group) =>
  group.map((name) => ({
    name: `${name}-imports-a-sibling`,
    comment: `${name} sits beside ${group.filter((n) => n !== name).join(', ')}: no imports between them`,
    severity: 'error',
    from: { path: pathOf(name) },
    to: { path: group.filter((n) => n !== name).map(pathOf) },
  })),
);

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'an import cycle: modules that cannot be understood (or loaded) one at a time',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'protocol-is-standalone',
      comment: 'protocol/ is shared by server and client: it imports nothing of either',
      severity: 'error',
      from: { path: '^protocol/' },
      to: { path: '^(server|client)/' },
    },
    {
      name: 'client-is-not-the-server',
      comment: 'the SDK and the monitor run apart from the hub: protocol/ is what they share',
      severity: 'error',
      from: { path: '^client/' },
      to: { path: '^server/' },
    },
    {
      name: 'ui-is-not-the-server',
      comment:
        'the dashboard runs in a browser and talks to the hub over HTTP: protocol/ types only',
      severity: 'error',
      from: { path: '^ui/' },
      to: { path: '^(server|client)/' },
    },
    ...upward,
    ...sideways,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules|test|bench)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.js'] },
  },
};
