/**
 * `clearpeg witness keygen|serve`: run a C2SP tlog-witness (docs/witness.md), on any machine,
 * with no database: a key file and a state directory.
 *
 * - `witness keygen NAME --out FILE` writes a new cosignature/v1 signer key
 *   (`PRIVATE+KEY+NAME+…`, mode 0600, never over an existing file) and prints its verifier
 *   key, which logs and clients pin.
 * - `witness serve --key FILE --log VKEY [--log VKEY …]` serves `POST /add-checkpoint` on
 *   127.0.0.1 (`--host`, `--port`; default port 7380) with its state in `--state DIR`
 *   (default `$CLEARPEG_DATA_DIR/witness`), prints its verifier key and URL, and stops on
 *   SIGINT or SIGTERM.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cosignerVerifierKey } from '../proofs/cosignature.ts';
import { algorithmCosignatureV1, generateSignerKey, parseSignerKey } from '../proofs/note.ts';
import { startWitnessServer } from '../witness/server.ts';
import { DirectoryStateStore } from '../witness/state.ts';
import { Witness } from '../witness/witness.ts';
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

/** The port `witness serve` listens on when not told. */
export const witnessPortDefault = 7380;

/**
 * `clearpeg witness keygen NAME --out FILE [--json]`.
 * @example await witnessKeygen.run(['witness.example.com/w1', '--out', 'w1.key'], context)
 */
export const witnessKeygen: Command = {
  name: 'witness keygen',
  usage: 'clearpeg witness keygen NAME --out FILE [--json]   (NAME: e.g. witness.example.com/w1)',
  async run(args, context) {
    const { values, positionals } = commandOptions(args, { ...readOptions, ...strings('out') });
    if (positionals.length === 0)
      throw new UsageError("give the witness's NAME, e.g. witness.example.com/w1");
    if (positionals.length > 1)
      throw new UsageError(`unexpected argument ${JSON.stringify(positionals[1])}`);
    const name = positionals[0]!;
    const file = requiredOption(
      values.out,
      '--out',
      'the file to write the key to (it must not exist)',
    );
    let skey: string;
    try {
      skey = generateSignerKey(name, algorithmCosignatureV1);
    } catch (error) {
      throw new UsageError(`NAME: ${(error as Error).message}`);
    }
    try {
      writeFileSync(file, `${skey}\n`, { mode: 0o600, flag: 'wx' });
    } catch (error) {
      context.err(
        `clearpeg witness keygen: ${file}: ${(error as Error).message} (an existing key file is never overwritten)`,
      );
      return exitCode.failed;
    }
    const vkey = cosignerVerifierKey(skey);
    return printView(context, values.json, { name, verifierKey: vkey, file }, [
      `witness key ${name} written to ${file} (mode 0600; keep it on this machine)`,
      `verifier key to pin: ${vkey}`,
    ]);
  },
};

/** The signer key in `file`: one line, readable by its owner only. */
function readKeyFile(file: string): string {
  if (process.platform !== 'win32' && (statSync(file).mode & 0o077) !== 0)
    throw new Error('others can read it: chmod 600 it');
  const key = readFileSync(file, 'utf8').trim();
  parseSignerKey(key);
  return key;
}

/** `--port N`: 0 to 65535. */
function portOption(value: string | undefined): number {
  if (value === undefined) return witnessPortDefault;
  if (!/^(0|[1-9][0-9]{0,4})$/.test(value) || Number(value) > 65535)
    throw new UsageError('--port: give a port number from 0 to 65535 (0: any free port)');
  return Number(value);
}

/**
 * `clearpeg witness serve --key FILE --log VKEY [--log VKEY …] [--state DIR] [--port N] [--host H]`.
 * @example await witnessServe.run(['--key', 'w1.key', '--log', logVkey, '--port', '0'], context)
 */
export const witnessServe: Command = {
  name: 'witness serve',
  usage:
    'clearpeg witness serve --key FILE --log VKEY [--log VKEY …] [--state DIR] [--port N] [--host 127.0.0.1]\n' +
    '  --key    the witness key file (clearpeg witness keygen)\n' +
    "  --log    a log's verifier key (Ed25519); its name is the log's origin; repeat for more logs\n" +
    '  --state  the directory of the last checkpoint cosigned per log (default $CLEARPEG_DATA_DIR/witness);\n' +
    '           never delete it: a witness that forgets would cosign a fork\n' +
    `  --port   default ${witnessPortDefault}; 0 for any free port`,
  async run(args, { config, out, err }) {
    const { values, positionals } = commandOptions(args, {
      ...readOptions,
      ...strings('key', 'state', 'port', 'host'),
      log: { type: 'string', multiple: true },
    });
    if (positionals.length > 0)
      throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    const keyFile = requiredOption(values.key, '--key', 'the witness key file');
    const logs = values.log ?? [];
    if (logs.length === 0) throw new UsageError("--log: give a log's verifier key (at least one)");
    const port = portOption(values.port);
    const host = values.host ?? '127.0.0.1';
    const stateDir = values.state ?? join(config.dataDir, 'witness');
    let key: string;
    try {
      key = readKeyFile(keyFile);
    } catch (error) {
      err(`clearpeg witness serve: --key ${keyFile}: ${(error as Error).message}`);
      return exitCode.failed;
    }
    let witness: Witness;
    try {
      witness = new Witness({ key, logs, store: new DirectoryStateStore(stateDir) });
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    const server = await startWitnessServer(witness, { host, port });
    printView(
      { out },
      values.json,
      {
        verifierKey: witness.verifierKey,
        url: server.url,
        logs: witness.origins,
        state: stateDir,
      },
      [
        `witness ${witness.verifierKey}`,
        `serving on ${server.url}/ (POST ${server.url}/add-checkpoint)`,
        ...witness.origins.map((origin) => `  log: ${origin}`),
        `  state: ${stateDir}`,
      ],
    );
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    await server.close();
    out('stopped');
    return exitCode.ok;
  },
};
