/**
 * `clearpeg liabilities prove|verify`: the proof of liabilities as a standalone tool for any
 * custodian (ARCHITECTURE §6, docs/liabilities.md), on this machine, no server or database.
 *
 * `prove balances.csv --out DIR` reads a CSV of `account,balance` (a dollar amount with up to six
 * decimals), derives each account's salt from a secret, builds the Merkle sum tree
 * (`buildLiabilitiesTree`, the tree of `src/proofs/sumtree.ts`) and writes into DIR:
 *
 * - `root.json`: the root hash, the total, the number of accounts (publish it, sign it);
 * - `tile/…`: the tree as sum tiles (`sumTilesFor`; publish them);
 * - `leaves/<index>.json`: each account's proof, in the `clearpeg-sum-proof/1` format
 *   (`encodeSumProof`), to give to that account's holder alone;
 * - `secret`: the secret the salts come from, when `--secret-file` was not given (keep it).
 *
 * Everything is written into a temporary directory beside DIR, renamed to DIR at the end: a bad
 * line anywhere leaves nothing behind. `verify LEAF.json --root HEX [--total AMOUNT]` checks
 * one leaf file against the root the custodian published.
 *
 * Exit codes: 0 done or valid; 1 the input is refused (a bad CSV line, naming it) or the proof
 * does not verify; 2 the command line is wrong or a file cannot be read.
 */
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import {
  accountsMax,
  buildLiabilitiesTree,
  deriveSalts,
  type PackedAccounts,
  PackedAccountsWriter,
} from '../liabilities/build.ts';
import { AmountError, formatAmount, parseAmount } from '../money/money.ts';
import { sumTilesFor } from '../proofs/sumtiles.ts';
import {
  decodeSumProof,
  encodeSumProof,
  type SumTree,
  SumTreeError,
  sumProof,
  verifySumProof,
} from '../proofs/sumtree.ts';
import {
  type Command,
  commandOptions,
  exitCode,
  printView,
  readOptions,
  requiredOption,
  strings,
  UsageError,
} from './io.ts';
import { Progress } from './progress.ts';

/** The `format` of root.json. */
export const liabilitiesRootFormat = 'clearpeg-liabilities-root/1';

/**
 * The largest balances file: it is read whole as one string, and V8's longest string is about
 * 2^29 characters (512 MiB); ten million accounts take about 300 MB.
 */
export const balancesFileBytesMax = 512 * 2 ** 20;

/** A leaf file is a proof of at most 64 steps of about 130 bytes: far below this. */
const leafFileBytesMax = 1 << 20;

/** The first line of a balances file, exactly. */
const csvHeader = 'account,balance';

/** A refused input: the message names the file, line and field (exit 1). */
class InputError extends Error {
  override name = 'InputError';
}

/** A file that cannot be read (exit 2). */
class UnreadableError extends Error {
  override name = 'UnreadableError';
}

function readBounded(path: string, max: number): Buffer {
  try {
    const size = statSync(path).size;
    if (size > max) throw new UnreadableError(`${path}: ${size} bytes, over the limit of ${max}`);
    return readFileSync(path);
  } catch (error) {
    if (error instanceof UnreadableError) throw error;
    throw new UnreadableError(`${path}: cannot read it: ${(error as Error).message}`);
  }
}

/**
 * Reads a balances CSV into packed accounts (salts not yet derived): a header `account,balance`,
 * then one `account,balance` a line (`\n` or `\r\n`), the balance a dollar amount with up to six
 * decimals and no sign. Refuses a malformed, negative or duplicate line, naming its number.
 * @example
 * const packed = parseBalances(Buffer.from('account,balance\nalice,12.50\n'), 'b.csv'); // 1 account
 */
export function parseBalances(bytes: Uint8Array, name: string): PackedAccounts {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new InputError(`${name}: is not UTF-8`);
  }
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const header = (lines[0] ?? '').replace(/\r$/, '');
  if (header !== csvHeader) {
    throw new InputError(
      `${name}:1: the header must be "${csvHeader}", got ${JSON.stringify(header.slice(0, 60))}`,
    );
  }
  if (lines.length < 2) throw new InputError(`${name}: no accounts after the header`);
  if (lines.length - 1 > accountsMax) {
    throw new InputError(`${name}: ${lines.length - 1} accounts, over the limit of ${accountsMax}`);
  }
  const writer = new PackedAccountsWriter(lines.length - 1);
  const seen = new Map<string, number>();
  for (let i = 1; i < lines.length; i++) {
    const at = `${name}:${i + 1}`;
    const line = lines[i]!.endsWith('\r') ? lines[i]!.slice(0, -1) : lines[i]!;
    const fields = line.split(',');
    if (fields.length !== 2) {
      throw new InputError(
        `${at}: must be two fields, account,balance (got ${fields.length}; ids may not hold a comma)`,
      );
    }
    const [account, balance] = fields as [string, string];
    if (account.includes('"'))
      throw new InputError(`${at}: account: must not hold a quote (no CSV quoting here)`);
    const first = seen.get(account);
    if (first !== undefined)
      throw new InputError(
        `${at}: account: ${JSON.stringify(account)} is a duplicate of line ${first}`,
      );
    seen.set(account, i + 1);
    let value: bigint;
    try {
      value = parseAmount(balance, 'balance');
    } catch (error) {
      if (error instanceof AmountError) throw new InputError(`${at}: ${error.message}`);
      throw error;
    }
    try {
      writer.add(account, undefined, value);
    } catch (error) {
      if (!(error instanceof SumTreeError)) throw error;
      throw new InputError(
        `${at}: account: ${error.message.replace(/^leaves\[\d+\]\.customerId: /, '')}`,
      );
    }
  }
  return writer.finish();
}

/** The 32-byte secret in a file of 64 hex digits (and an optional newline). */
function readSecret(path: string): Uint8Array {
  const text = readBounded(path, 1024).toString('utf8').trim();
  if (!/^[0-9a-fA-F]{64}$/.test(text)) {
    throw new InputError(`${path}: the secret must be 64 hex digits (32 bytes)`);
  }
  return hexToBytes(text.toLowerCase());
}

/** What `prove` made. */
interface ProveView {
  readonly out: string;
  readonly root: string;
  readonly total: string;
  readonly size: string;
  readonly round: string;
  readonly secretWritten: boolean;
}

/** Writes the tree's files into `dir` (a fresh directory). */
function writeProofFiles(
  dir: string,
  tree: SumTree,
  accounts: { readonly ids: readonly string[]; readonly packed: PackedAccounts },
  round: string,
  progress: Progress,
): void {
  const root = {
    format: liabilitiesRootFormat,
    round,
    root: bytesToHex(tree.root.hash),
    total: formatAmount(tree.root.value),
    size: tree.size.toString(),
  };
  writeFileSync(join(dir, 'root.json'), `${JSON.stringify(root, null, 2)}\n`);
  for (const tile of sumTilesFor(tree)) {
    mkdirSync(dirname(join(dir, tile.path)), { recursive: true });
    writeFileSync(join(dir, tile.path), tile.bytes);
  }
  mkdirSync(join(dir, 'leaves'));
  const { packed, ids } = accounts;
  const values = new DataView(
    packed.values.buffer,
    packed.values.byteOffset,
    packed.values.byteLength,
  );
  for (let i = 0; i < packed.count; i++) {
    const value = (values.getBigUint64(16 * i) << 64n) | values.getBigUint64(16 * i + 8);
    const index = BigInt(i);
    const leaf = encodeSumProof({
      customerId: ids[i]!,
      salt: packed.salts.slice(32 * i, 32 * i + 32),
      value,
      index,
      size: tree.size,
      proof: sumProof(tree, index),
      root: tree.root,
    });
    writeFileSync(join(dir, 'leaves', `${i}.json`), `${leaf}\n`);
    progress.update('leaf files', i + 1, packed.count);
  }
}

/** The ids of `packed`, as strings, in order. */
function idsOf(packed: PackedAccounts): string[] {
  const decoder = new TextDecoder();
  const ids: string[] = [];
  for (let i = 0; i < packed.count; i++) {
    ids.push(decoder.decode(packed.ids.slice(packed.idOffsets[i]!, packed.idOffsets[i + 1]!)));
  }
  return ids;
}

/** `out` must not exist, or be an empty directory (rename replaces it). */
function checkOut(out: string): void {
  if (!existsSync(out)) return;
  if (!statSync(out).isDirectory() || readdirSync(out).length > 0) {
    throw new UsageError(`--out: ${out} exists and is not an empty directory; give a new one`);
  }
}

async function prove(values: Record<string, unknown>, csv: string): Promise<ProveView> {
  const out = resolve(
    requiredOption(values.out as string | undefined, '--out', 'the directory to write'),
  );
  const round = (values.round as string | undefined) ?? '1';
  checkOut(out);
  const secretFile = values['secret-file'] as string | undefined;
  const secret =
    secretFile === undefined ? new Uint8Array(randomBytes(32)) : readSecret(secretFile);
  const progress = new Progress(process.stderr.isTTY === true);
  progress.phase('reading the balances');
  const packed = parseBalances(readBounded(csv, balancesFileBytesMax), csv);
  progress.phase(`deriving ${packed.count} salts`);
  try {
    await deriveSalts(packed, secret, round);
  } catch (error) {
    if (error instanceof SumTreeError)
      throw new UsageError(`--round: ${error.message.replace(/^roundId: /, '')}`);
    throw error;
  }
  let tree: SumTree;
  progress.phase(`building the tree of ${packed.count} accounts`);
  try {
    tree = await buildLiabilitiesTree(packed);
  } catch (error) {
    if (error instanceof SumTreeError)
      throw new InputError(`${csv}: the balances do not fit: ${error.message}`);
    throw error;
  }
  const temporary = join(dirname(out), `.${basename(out)}.${randomBytes(6).toString('hex')}.tmp`);
  mkdirSync(temporary, { recursive: true });
  try {
    writeProofFiles(temporary, tree, { ids: idsOf(packed), packed }, round, progress);
    if (secretFile === undefined)
      writeFileSync(join(temporary, 'secret'), `${bytesToHex(secret)}\n`, { mode: 0o600 });
    renameSync(temporary, out);
  } catch (error) {
    rmSync(temporary, { recursive: true, force: true });
    throw error;
  } finally {
    progress.end();
  }
  return {
    out,
    root: bytesToHex(tree.root.hash),
    total: formatAmount(tree.root.value),
    size: tree.size.toString(),
    round,
    secretWritten: secretFile === undefined,
  };
}

/**
 * `clearpeg liabilities prove balances.csv --out DIR [--secret-file F] [--round ID] [--json]`.
 * @example await liabilitiesProve.run(['balances.csv', '--out', 'proofs'], context)
 */
export const liabilitiesProve: Command = {
  name: 'liabilities prove',
  usage:
    'clearpeg liabilities prove BALANCES.csv --out DIR [--secret-file FILE] [--round ID] [--json]   (CSV header account,balance; DIR gets root.json, tile/, leaves/<n>.json and, without --secret-file, secret)',
  async run(args, context) {
    const { values, positionals } = commandOptions(args, {
      ...readOptions,
      ...strings('out', 'secret-file', 'round'),
    });
    if (positionals.length === 0) throw new UsageError('give the balances file, BALANCES.csv');
    if (positionals.length > 1)
      throw new UsageError(`unexpected argument ${JSON.stringify(positionals[1])}`);
    let view: ProveView;
    try {
      view = await prove(values, positionals[0]!);
    } catch (error) {
      if (error instanceof InputError) {
        context.err(`clearpeg liabilities prove: ${error.message}`);
        return exitCode.failed;
      }
      if (error instanceof UnreadableError) {
        context.err(`clearpeg liabilities prove: ${error.message}`);
        return exitCode.usage;
      }
      throw error;
    }
    return printView(context, values.json, view, [
      `root ${view.root}`,
      `total ${view.total} over ${view.size} accounts (round ${view.round})`,
      `wrote ${view.out}: publish root.json and tile/; give leaves/<n>.json to account n's holder alone${view.secretWritten ? '; keep secret private' : ''}`,
    ]);
  },
};

/** The root a verifier was told: 64 hex digits. */
function rootOption(value: string | undefined): Uint8Array {
  const text = requiredOption(value, '--root', 'the published root, 64 hex digits');
  if (!/^[0-9a-fA-F]{64}$/.test(text))
    throw new UsageError('--root: give 64 hex digits (the root in root.json)');
  return hexToBytes(text.toLowerCase());
}

/** The verdict on one leaf file. */
function verdict(
  text: string,
  root: Uint8Array,
  total: bigint | undefined,
): { ok: boolean; reason: string | null; valid: string } {
  let input: ReturnType<typeof decodeSumProof>;
  try {
    input = decodeSumProof(text);
  } catch (error) {
    if (error instanceof SumTreeError)
      return { ok: false, reason: `leaf file: ${error.message}`, valid: '' };
    throw error;
  }
  if (total !== undefined && input.root.value !== total) {
    return {
      ok: false,
      reason: `total: the leaf file's root carries ${formatAmount(input.root.value)}, the published total is ${formatAmount(total)}`,
      valid: '',
    };
  }
  const result = verifySumProof({ ...input, root: { hash: root, value: input.root.value } });
  if (!result.ok) return { ok: false, reason: result.reason, valid: '' };
  return {
    ok: true,
    reason: null,
    valid: `account ${JSON.stringify(input.customerId)} with ${formatAmount(input.value)} is counted in the total ${formatAmount(input.root.value)} of root ${bytesToHex(root)} (leaf ${input.index} of ${input.size})`,
  };
}

/**
 * `clearpeg liabilities verify LEAF.json --root HEX [--total AMOUNT] [--json]`: exit 0 when the
 * leaf's proof leads to that root (and total), 1 when not.
 * @example await liabilitiesVerify.run(['leaves/7.json', '--root', rootHex], context) // prints 'valid: …'
 */
export const liabilitiesVerify: Command = {
  name: 'liabilities verify',
  usage:
    'clearpeg liabilities verify LEAF.json --root HEX [--total AMOUNT] [--json]   (the root and total the custodian published)',
  async run(args, context) {
    const { values, positionals } = commandOptions(args, {
      ...readOptions,
      ...strings('root', 'total'),
    });
    if (positionals.length === 0) throw new UsageError('give the leaf file, LEAF.json');
    if (positionals.length > 1)
      throw new UsageError(`unexpected argument ${JSON.stringify(positionals[1])}`);
    const root = rootOption(values.root);
    let total: bigint | undefined;
    if (values.total !== undefined) {
      try {
        total = parseAmount(values.total, '--total');
      } catch (error) {
        if (error instanceof AmountError) throw new UsageError(error.message);
        throw error;
      }
    }
    let text: string;
    try {
      text = readBounded(positionals[0]!, leafFileBytesMax).toString('utf8');
    } catch (error) {
      if (!(error instanceof UnreadableError)) throw error;
      context.err(`clearpeg liabilities verify: ${error.message}`);
      return exitCode.usage;
    }
    const { ok, reason, valid } = verdict(text, root, total);
    if (values.json) context.out(JSON.stringify({ valid: ok, reason }));
    else context.out(ok ? `valid: ${valid}` : `invalid: ${reason}`);
    return ok ? exitCode.ok : exitCode.failed;
  },
};
