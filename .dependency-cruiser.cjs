/**
 * Layer rules, checked in CI (npm run depcheck): imports point one way.
 *
 *   commands/ -> pipeline/ (the engine, behind ports) <- kafka/, cassandra/ (adapters, ports only)
 *   util/ and errors.ts (with errors-text.ts) import nothing of ours.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'an import cycle makes the parts inseparable',
      from: {},
      to: { circular: true },
    },
    {
      name: 'util-is-a-leaf',
      severity: 'error',
      comment: 'util/ helpers import nothing of the project',
      from: { path: '^src/util/' },
      to: { path: '^src/', pathNot: '^src/util/' },
    },
    {
      name: 'errors-is-a-leaf',
      severity: 'error',
      comment:
        'the error classifier (errors.ts, and errors-text.ts its one-line messages) imports nothing of the project but util/',
      from: { path: '^src/errors(-text)?\\.ts$' },
      to: { path: '^src/', pathNot: '^src/(util/|errors(-text)?\\.ts$)' },
    },
    {
      name: 'adapters-see-only-ports',
      severity: 'error',
      comment:
        "kafka/ and cassandra/ implement the pipeline's ports: of the pipeline they import only its ports module",
      from: { path: '^src/(kafka|cassandra)/' },
      to: { path: '^src/pipeline/', pathNot: '^src/pipeline/ports\\.ts$' },
    },
    {
      name: 'pipeline-knows-no-adapter-or-cli',
      severity: 'error',
      comment: 'the engine talks to ports: no client library, adapter, command, terminal or config of the CLI',
      from: { path: '^src/pipeline/' },
      to: {
        path: [
          '^src/(kafka|cassandra|commands|ui|metrics|config|stack|doctor|bench)/',
          '^src/cli\\.ts$',
          'node_modules/(kafkajs|cassandra-driver|commander|chalk|ora|@inquirer)/',
        ],
      },
    },
    {
      name: 'listeners-do-not-reach-into-the-engine',
      severity: 'error',
      comment:
        "the terminal, metrics and progress listen to the run's events; they do not drive the engine or its adapters",
      from: { path: '^src/(ui|metrics)/' },
      to: { path: ['^src/(kafka|cassandra|commands|stack)/', '^src/pipeline/(engine|session|batch|pending)\\.ts$'] },
    },
    {
      name: 'config-does-not-print',
      severity: 'error',
      comment: 'config/ returns its warnings; the commands print them',
      from: { path: '^src/config/' },
      to: { path: '^src/ui/' },
    },
    {
      name: 'only-commands-import-commands',
      severity: 'error',
      from: { pathNot: '^src/(commands/|cli\\.ts$)' },
      to: { path: '^src/commands/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
      extensions: ['.ts', '.js'],
    },
    moduleSystems: ['es6'],
  },
};
