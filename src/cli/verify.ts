/**
 * `clearpeg verify URL`: the holder's verifier (docs/verify.md). Reads the log the issuer
 * publishes at `URL/log/`, checks it against a pinned log key and witness policy and against
 * the last checkpoint this verifier saw, and checks what the latest attestation states. Exit 0
 * when every check that ran passed, 1 when one failed, 2 on a wrong command line.
 */
import { readFile } from 'node:fs/promises';
import { toJson } from '../json.ts';
import { formatReport } from '../verifier/checks.ts';
import { defaultStateDir, runVerify } from '../verifier/node.ts';
import { serverUrl } from './client.ts';
import {
  type Command,
  type CommandContext,
  commandOptions,
  exitCode,
  readOptions,
  strings,
  UsageError,
} from './io.ts';

/** The command line's trust options, checked. */
export function trustOptions(values: {
  key?: string;
  witness?: string[];
  quorum?: string;
  'trust-on-first-use'?: boolean;
}) {
  const witnesses = values.witness ?? [];
  const tofu = values['trust-on-first-use'] === true;
  let quorum: number | undefined;
  if (values.quorum !== undefined) {
    if (!/^[0-9]{1,3}$/.test(values.quorum) || Number(values.quorum) > witnesses.length)
      throw new UsageError(
        `--quorum: must be a whole number from 0 to the ${witnesses.length} --witness keys given (got ${values.quorum})`,
      );
    quorum = Number(values.quorum);
  }
  if (values.key === undefined && !tofu)
    throw new UsageError("give the log's verifier key with --key VKEY, or --trust-on-first-use");
  if (witnesses.length === 0 && quorum === undefined && !tofu)
    throw new UsageError(
      'give the witness policy with --witness VKEY (repeatable) and --quorum K, or --trust-on-first-use (or --quorum 0 to require none)',
    );
  return {
    ...(values.key === undefined ? {} : { key: values.key }),
    witnesses,
    ...(quorum === undefined ? {} : { quorum }),
    trustOnFirstUse: tofu,
  };
}

/**
 * The URL, checked: http(s), no query or fragment; without one, the server the other commands
 * talk to (`CLEARPEG_URL`, else 127.0.0.1 on `CLEARPEG_PORT` or 7373).
 */
export function baseUrl(positionals: readonly string[], config: CommandContext['config']): string {
  if (positionals.length === 0) return serverUrl(config, process.env);
  if (positionals.length > 1)
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[1])}`);
  const url = positionals[0]!;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`URL: ${JSON.stringify(url)} is not a URL`);
  }
  if (!/^https?:$/.test(parsed.protocol) || parsed.search !== '' || parsed.hash !== '')
    throw new UsageError(`URL: must be http(s) without a query or fragment (got ${url})`);
  return url;
}

/**
 * `clearpeg verify URL (--key VKEY | --trust-on-first-use) [--witness VKEY … --quorum K]
 * [--state DIR] [--rpc URL] [--leaf FILE] [--json]`.
 * @example await verifyCommand.run(['http://127.0.0.1:8080', '--trust-on-first-use'], context)
 */
export const verifyCommand: Command = {
  name: 'verify',
  usage:
    'clearpeg verify [URL] (--key VKEY | --trust-on-first-use) [--witness VKEY ... --quorum K] [--state DIR] [--rpc URL] [--leaf FILE] [--json]',
  async run(args, context) {
    const { values, positionals } = commandOptions(args, {
      ...readOptions,
      ...strings('key', 'quorum', 'state', 'rpc', 'leaf'),
      witness: { type: 'string', multiple: true },
      'trust-on-first-use': { type: 'boolean' },
    });
    const url = baseUrl(positionals, context.config);
    const trust = trustOptions(values);
    let leaf: string | undefined;
    if (values.leaf !== undefined) {
      try {
        leaf = await readFile(values.leaf, 'utf8');
      } catch (error) {
        throw new UsageError(`--leaf: ${(error as Error).message}`);
      }
    }
    let run: Awaited<ReturnType<typeof runVerify>>;
    try {
      run = await runVerify({
        url,
        trust,
        stateDir: values.state ?? defaultStateDir(),
        ...(values.rpc === undefined ? {} : { rpc: values.rpc }),
        ...(leaf === undefined ? {} : { leaf }),
      });
    } catch (error) {
      // The state directory could not be read or written: nothing was verified or stored.
      context.err(`clearpeg verify: ${(error as Error).message}`);
      return exitCode.failed;
    }
    const { report, notes, stored } = run;
    // The attestation is what the checks read, not a finding: `clearpeg simulate` uses it.
    const { attestation: _attestation, ...findings } = report;
    if (values.json) context.out(toJson({ url, ...findings, stored, notes }));
    else {
      context.out(`clearpeg verify ${url}`);
      for (const line of formatReport(report)) context.out(line);
      for (const note of notes) context.out(`note: ${note}`);
    }
    return report.ok ? exitCode.ok : exitCode.failed;
  },
};
