/**
 * Architecture rules (STYLE.md §1.2), checked by `npm run depcheck` and test/unit/architecture.test.ts.
 *
 * One-way layers, lowest first: a module may import only from its own layer or a lower one.
 * The layers named by the current plan are abi/base -> tree -> mm -> proc -> kernel ->
 * index.ts/internal.ts -> scenario -> cli; the folders STYLE.md plans for later (mem, scsi,
 * memmap, fs, devices, adapters, inspector) already have their place so they are checked from
 * their first file.
 */

/** [name, path regex], lowest layer first. */
const LAYERS = [
  ['abi-base', '^src/(abi|base)/'],
  ['tree', '^src/(tree|mem|scsi)/'],
  ['memmap', '^src/memmap/'],
  ['mm', '^src/mm/'],
  ['fs', '^src/fs/'],
  ['devices', '^src/devices/'],
  ['proc', '^src/proc/'],
  ['kernel', '^src/kernel/'],
  ['api', '^src/(index|internal)\\.ts$'],
  ['scenario', '^(scenario|adapters)/'],
  ['cli', '^(cli|inspector)/'],
];

const layerRules = LAYERS.slice(0, -1).map(([name, path], i) => ({
  name: `layer-${name}`,
  comment: `${name} (${path}) may import only its own layer or lower ones`,
  severity: 'error',
  from: { path },
  to: { path: LAYERS.slice(i + 1).map(([, p]) => p) },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'src-unlayered',
      comment: 'every module under src/ belongs to a layer (add new folders to LAYERS)',
      severity: 'error',
      from: { path: '^src/', pathNot: LAYERS.slice(0, 9).map(([, p]) => p) },
      to: {},
    },
    {
      name: 'no-node-in-core',
      comment: 'src/ and scenario/ stay free of Node built-ins (only scenario/*-node.ts may use them)',
      severity: 'error',
      from: { path: '^(src|scenario)/', pathNot: '^scenario/[^/]+-node\\.ts$' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'scsi-only-abi-base',
      comment: 'the simulated SCSI target (src/scsi) depends on nothing but src/abi and src/base (STYLE.md §1.1)',
      severity: 'error',
      from: { path: '^src/scsi/' },
      to: { pathNot: '^src/(abi|base|scsi)/' },
    },
    {
      name: 'no-internal-in-src',
      comment: 'src/internal.ts is for tests and the inspector; no src/ module imports it',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^src/internal\\.ts$' },
    },
    {
      name: 'no-circular',
      comment: 'no import cycles (type-only imports excepted)',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    moduleSystems: ['es6', 'cjs'],
  },
};
