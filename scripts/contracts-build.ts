/**
 * Compiles every `contracts/**\/*.sol` with solc-js (the npm package: nothing is downloaded)
 * through standard JSON, and writes what the rest of Clearpeg reads:
 *
 * - `contracts/artifacts/<Name>.json` for each contract defined under `contracts/`: abi,
 *   bytecode, deployedBytecode, the compiler version and settings, and the SHA-256 of every
 *   source it was compiled from;
 * - `src/chain/artifacts.ts`: the same ABIs `as const` (so viem infers types) and bytecodes.
 *
 *   npm run contracts:build                  compile and write (stale artifacts are removed)
 *   npm run contracts:build -- --check       compile and compare; exit 1 naming each file that differs
 *                                            (exit 2: it cannot compile, e.g. an unaccepted warning)
 *   ... --root <dir>                         work on another checkout (tests use a tampered copy)
 *
 * Deterministic: sources are sorted and named by their path from the root, settings are fixed
 * below, JSON is written with two-space indentation and a final newline, and the TypeScript is
 * formatted by the pinned Biome, so a fresh compile of unchanged sources is byte-identical.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import solc from 'solc';

/** The compiler every artifact must come from: a different solc package fails the build. */
export const solcVersion = '0.8.37';

/** Fixed compiler settings, written into every artifact. */
export const compilerSettings = {
  evmVersion: 'cancun',
  optimizer: { enabled: true, runs: 200 },
  viaIR: false,
  metadata: { bytecodeHash: 'ipfs' },
} as const;

/** Warnings that are understood and accepted; any other warning fails the build. */
const acceptedWarnings: ReadonlyArray<{ file: string; message: string; reason: string }> = [
  {
    file: 'contracts/ClearpegToken.sol',
    message: 'This declaration shadows a builtin symbol.',
    reason:
      '`block(address)` is the blocklist API; the contract never reads block.*, and any use of it there would not compile',
  },
];

export const artifactsDir = 'contracts/artifacts';
export const artifactsModule = 'src/chain/artifacts.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const requireFromRepo = createRequire(join(repoRoot, 'package.json'));

export type Hex = `0x${string}`;

/** One contract as written to `contracts/artifacts/<contractName>.json` (keys in this order). */
export type ContractArtifact = {
  contractName: string;
  sourceName: string;
  compiler: { name: 'solc'; version: string };
  settings: typeof compilerSettings;
  /** Every source the contract was compiled from (its metadata's sources), by path, with its SHA-256. */
  sources: Record<string, { sha256: string }>;
  abi: unknown[];
  bytecode: Hex;
  deployedBytecode: Hex;
};

type SolcOutput = {
  errors?: Array<{
    severity: 'error' | 'warning' | 'info';
    message: string;
    formattedMessage: string;
    sourceLocation?: { file: string };
  }>;
  contracts?: Record<
    string,
    Record<
      string,
      {
        abi: unknown[];
        metadata: string;
        evm: { bytecode: { object: string }; deployedBytecode: { object: string } };
      }
    >
  >;
};

/** The `.sol` files under `<root>/contracts` (artifacts excluded), as sorted `/`-separated paths from the root. */
export function findSources(root: string): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return path === join(root, artifactsDir) ? [] : walk(path);
      return entry.name.endsWith('.sol') ? [relative(root, path).split(sep).join('/')] : [];
    });
  return walk(join(root, 'contracts')).sort();
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Throws on any compiler error, and on any warning that is not accepted above. */
function refuseProblems(output: SolcOutput): void {
  const problems = (output.errors ?? []).filter(
    (e) =>
      e.severity === 'error' ||
      (e.severity === 'warning' &&
        !acceptedWarnings.some(
          (a) => a.file === e.sourceLocation?.file && a.message === e.message,
        )),
  );
  if (problems.length > 0) {
    throw new Error(
      `contracts-build: solc reported:\n${problems.map((e) => e.formattedMessage).join('\n')}`,
    );
  }
}

/**
 * Compiles the sources under `<root>/contracts` and returns one artifact per contract with
 * bytecode that they define (imports such as `@openzeppelin/...` resolve from node_modules).
 * @example compileContracts(root).map((a) => a.contractName) // ['ClearpegToken', 'TransferSpray']
 */
export function compileContracts(root: string): ContractArtifact[] {
  const version: string = solc.version();
  if (!version.startsWith(`${solcVersion}+`)) {
    throw new Error(`contracts-build: solc ${version} is installed, ${solcVersion} is pinned`);
  }
  const contents = new Map<string, string>();
  for (const path of findSources(root)) contents.set(path, readFileSync(join(root, path), 'utf8'));
  const importCallback = (path: string): { contents: string } | { error: string } => {
    try {
      const text = readFileSync(requireFromRepo.resolve(path), 'utf8');
      contents.set(path, text);
      return { contents: text };
    } catch (error) {
      return { error: `cannot resolve ${path}: ${String(error)}` };
    }
  };
  const input = {
    language: 'Solidity',
    sources: Object.fromEntries([...contents].map(([path, content]) => [path, { content }])),
    settings: {
      ...compilerSettings,
      outputSelection: {
        '*': { '*': ['abi', 'metadata', 'evm.bytecode.object', 'evm.deployedBytecode.object'] },
      },
    },
  };
  const output = JSON.parse(
    solc.compile(JSON.stringify(input), { import: importCallback }),
  ) as SolcOutput;
  refuseProblems(output);
  const artifacts: ContractArtifact[] = [];
  for (const sourceName of findSources(root)) {
    for (const [contractName, compiled] of Object.entries(output.contracts?.[sourceName] ?? {})) {
      const bytecode = compiled.evm.bytecode.object;
      if (bytecode === '') continue; // an interface or abstract contract
      if (bytecode.includes('__$')) {
        throw new Error(`contracts-build: ${contractName} needs linked libraries; not supported`);
      }
      const metadata = JSON.parse(compiled.metadata) as { sources: Record<string, unknown> };
      const sources = Object.keys(metadata.sources)
        .sort()
        .map((path) => {
          const text = contents.get(path);
          if (text === undefined) throw new Error(`contracts-build: ${path} was never read`);
          return [path, { sha256: sha256(text) }] as const;
        });
      artifacts.push({
        contractName,
        sourceName,
        compiler: { name: 'solc', version: version.replace(/\.Emscripten\.clang$/, '') },
        settings: compilerSettings,
        sources: Object.fromEntries(sources),
        abi: compiled.abi,
        bytecode: `0x${bytecode}`,
        deployedBytecode: `0x${compiled.evm.deployedBytecode.object}`,
      });
    }
  }
  const names = artifacts.map((a) => a.contractName);
  const repeated = names.filter((name, i) => names.indexOf(name) !== i);
  if (repeated.length > 0) {
    throw new Error(`contracts-build: two contracts share a name: ${repeated.join(', ')}`);
  }
  return artifacts;
}

/** `ClearpegToken` → `clearpegToken`. */
function camel(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

/** The source of `src/chain/artifacts.ts`, formatted by Biome (the pinned one, from node_modules). */
function renderModule(artifacts: ContractArtifact[]): string {
  const first = artifacts[0];
  if (first === undefined) throw new Error('contracts-build: no contracts under contracts/');
  const lines = [
    `// Generated by scripts/contracts-build.ts from contracts/**/*.sol (solc ${first.compiler.version},`,
    `// evmVersion ${compilerSettings.evmVersion}, optimizer ${compilerSettings.optimizer.runs} runs). Do not edit:`,
    '// `npm run contracts:build` rewrites it and `npm run contracts:build -- --check` checks it.',
    '',
  ];
  for (const artifact of artifacts) {
    const name = camel(artifact.contractName);
    lines.push(
      `/** ABI of ${artifact.contractName} (${artifact.sourceName}). */`,
      `export const ${name}Abi = ${JSON.stringify(artifact.abi)} as const;`,
      '',
      `/** Creation bytecode of ${artifact.contractName}: deploy with the constructor arguments appended. */`,
      `export const ${name}Bytecode: \`0x\${string}\` = '${artifact.bytecode}';`,
      '',
    );
  }
  const biome = spawnSync(
    join(repoRoot, 'node_modules', '.bin', 'biome'),
    ['format', `--stdin-file-path=${artifactsModule}`],
    { cwd: repoRoot, input: lines.join('\n'), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  if (biome.status !== 0) throw new Error(`contracts-build: biome format failed: ${biome.stderr}`);
  return biome.stdout;
}

/**
 * Every file the build owns, by path from the root, with the content a fresh compile gives.
 * @example renderOutputs(compileContracts(root)).get('contracts/artifacts/ClearpegToken.json')
 */
export function renderOutputs(artifacts: ContractArtifact[]): Map<string, string> {
  const files = new Map<string, string>();
  for (const artifact of artifacts) {
    files.set(
      `${artifactsDir}/${artifact.contractName}.json`,
      `${JSON.stringify(artifact, null, 2)}\n`,
    );
  }
  files.set(artifactsModule, renderModule(artifacts));
  return files;
}

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The JSON files in `<root>/contracts/artifacts`, by path from the root. */
function existingArtifacts(root: string): string[] {
  let names: string[];
  try {
    names = readdirSync(join(root, artifactsDir));
  } catch {
    return []; // no artifacts yet
  }
  return names.filter((n) => n.endsWith('.json')).map((n) => `${artifactsDir}/${n}`);
}

/** Top-level keys of two JSON texts whose values differ, or a reason the existing one cannot be compared. */
function jsonKeysThatDiffer(existing: string, fresh: string): string {
  let old: Record<string, unknown>;
  try {
    old = JSON.parse(existing) as Record<string, unknown>;
  } catch {
    return 'not valid JSON';
  }
  const now = JSON.parse(fresh) as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(now), ...Object.keys(old)])].filter(
    (k) => JSON.stringify(old[k]) !== JSON.stringify(now[k]),
  );
  return keys.length === 0 ? 'formatting differs' : `${keys.join(', ')} differ`;
}

/**
 * What differs between `<root>` and a fresh compile, one line per file (`path: reason`); empty
 * when everything matches.
 * @example diffOutputs(root, renderOutputs(compileContracts(root))) // []
 */
export function diffOutputs(root: string, files: Map<string, string>): string[] {
  const differences: string[] = [];
  for (const [path, fresh] of files) {
    const existing = readOrUndefined(join(root, path));
    if (existing === undefined) differences.push(`${path}: missing`);
    else if (existing !== fresh) {
      differences.push(
        `${path}: ${path.endsWith('.json') ? jsonKeysThatDiffer(existing, fresh) : 'content differs'}`,
      );
    }
  }
  for (const path of existingArtifacts(root)) {
    if (!files.has(path)) differences.push(`${path}: stale (no such contract under contracts/)`);
  }
  return differences.sort();
}

/** Writes every file of a fresh compile and removes stale artifacts. */
export function writeOutputs(root: string, files: Map<string, string>): void {
  for (const path of existingArtifacts(root)) {
    if (!files.has(path)) rmSync(join(root, path));
  }
  for (const [path, content] of files) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
}

function main(argv: string[]): number {
  const check = argv.includes('--check');
  const rootAt = argv.indexOf('--root');
  const root = rootAt === -1 ? repoRoot : (argv[rootAt + 1] ?? '');
  if (root === '') throw new Error('contracts-build: --root needs a directory');
  const artifacts = compileContracts(root);
  const files = renderOutputs(artifacts);
  const names = artifacts.map((a) => a.contractName).join(', ');
  if (!check) {
    writeOutputs(root, files);
    console.log(`contracts-build: wrote ${files.size} files (${names})`);
    return 0;
  }
  const differences = diffOutputs(root, files);
  if (differences.length === 0) {
    console.log(`contracts-build: ${files.size} files match a fresh compile (${names})`);
    return 0;
  }
  console.error(
    `contracts-build: ${differences.length} file(s) differ from a fresh compile of contracts/:`,
  );
  for (const line of differences) console.error(`  ${line}`);
  console.error('run `npm run contracts:build` and commit the result');
  return 1;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (error) {
    // A build that cannot run (a compiler error, an unaccepted warning) exits 2, apart from 1 (differs).
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 2;
  }
}
