/**
 * What the commands that talk to a running server share: the command shape (options parsed,
 * then a client from the environment, a problem printed as `error <type>: …` with its exit
 * code), their output (`--json` prints the server's JSON as received), `status` and `list`
 * commands made from a path, and paging.
 */
import { assert } from '../errors.ts';
import { formatAmount, parseAmount } from '../money/money.ts';
import {
  type ApiAnswer,
  type ApiClient,
  ApiProblemError,
  apiClient,
  formatProblem,
  type PostOptions,
  problemExitCode,
} from './client.ts';
import {
  type Command,
  type CommandContext,
  commandOptions,
  exitCode,
  type Options,
  readOptions,
  requiredOption,
  strings,
  UsageError,
} from './io.ts';

type Parsed<O extends Options> = ReturnType<typeof commandOptions<O>>;

/** Lines a person reads, made of an answer's body. */
export type Human<T> = (body: T) => readonly string[];

/** What a remote command's body gets: its parsed options, a client, and where to write. */
export interface RemoteCall<O extends Options> {
  readonly values: Parsed<O>['values'];
  readonly client: ApiClient;
  readonly context: CommandContext;
  /** The one argument (an id, a file), or a `UsageError` saying `usage`. */
  arg(usage: string): string;
  /** The value of the string option `--<name>`, or a `UsageError` asking for `what`. */
  option(name: string, what: string): string;
  /** The string option `--<name>`, one of `allowed`, or a `UsageError` listing them. */
  choice<V extends string>(name: string, allowed: readonly V[]): V;
  /** The amount option `--<name>`, checked here and sent as a six-decimal string, never a number. */
  amount(name: string): string;
  /** The chain id option `--<name>`: a positive whole number. */
  chainId(name: string): number;
  /** GETs `path` and prints the answer (`--json`: as received). */
  show<T>(path: string, human: Human<T>, query?: PostOptions['query']): Promise<number>;
  /** POSTs `body` under `--idempotency-key` (else a fresh one) and prints the answer. */
  send<T>(
    path: string,
    body: unknown,
    human: Human<T>,
    options?: Omit<PostOptions, 'idempotencyKey'>,
  ): Promise<number>;
}

/**
 * The options of a write: `--json`, `--idempotency-key` to retry one on purpose, and the
 * string options `names`.
 * @example options: writeOptions('customer', 'amount')
 */
export function writeOptions<const N extends readonly string[]>(...names: N) {
  return { ...readOptions, 'idempotency-key': { type: 'string' }, ...strings(...names) } as const;
}

/**
 * A command that acts through the server's API: the command line is checked before anything
 * is sent; a problem answer is printed (`error <type>: …`) and becomes the exit code.
 * @example remoteCommand({ name: 'mint status', usage: '…', options: readOptions, run: async ({ client }) => … })
 */
export function remoteCommand<const O extends Options>(spec: {
  readonly name: string;
  readonly usage: string;
  readonly options: O;
  run(call: RemoteCall<O>): Promise<number>;
}): Command {
  return {
    name: spec.name,
    usage: spec.usage,
    async run(args, context) {
      const { values, positionals } = commandOptions(args, spec.options);
      const { json, 'idempotency-key': idempotencyKey } = values as {
        json?: boolean;
        'idempotency-key'?: string;
      };
      const option = (name: string, what: string) => {
        assert(
          spec.options[name]?.type === 'string',
          `--${name} is a string option of ${spec.name}`,
        );
        return requiredOption(
          (values as Record<string, string | undefined>)[name],
          `--${name}`,
          what,
        );
      };
      const choice = <V extends string>(name: string, allowed: readonly V[]): V => {
        const value = option(name, allowed.join(', '));
        if (!(allowed as readonly string[]).includes(value))
          throw new UsageError(`--${name}: give ${allowed.join(', ')}`);
        return value as V;
      };
      // The client (and its API key) is made at the first request: a wrong command line is
      // reported as such, key or no key.
      let made: ApiClient | undefined;
      const connect = () => {
        made ??= apiClient(context.config);
        return made;
      };
      try {
        return await spec.run({
          values,
          get client() {
            return connect();
          },
          context,
          arg: (usage) => onlyArgument(positionals, usage),
          option,
          choice,
          amount: (name) =>
            formatAmount(parseAmount(option(name, 'an amount such as 1000.50'), `--${name}`)),
          chainId: (name) => chainIdOf(option(name, 'the chain id, e.g. 31337'), `--${name}`),
          show: async <T>(path: string, human: Human<T>, query?: PostOptions['query']) =>
            print(context, json, await connect().get<T>(path, query), human),
          send: async <T>(
            path: string,
            body: unknown,
            human: Human<T>,
            options: Omit<PostOptions, 'idempotencyKey'> = {},
          ) =>
            print(
              context,
              json,
              await connect().post<T>(path, body, { ...options, idempotencyKey }),
              human,
            ),
        });
      } catch (error) {
        if (!(error instanceof ApiProblemError)) throw error;
        for (const line of formatProblem(error.problem)) context.err(line);
        return problemExitCode(error.status);
      }
    },
  };
}

/** The one positional argument, or a `UsageError` saying `usage`. */
function onlyArgument(positionals: readonly string[], usage: string): string {
  const [value, extra] = positionals;
  if (value === undefined || value === '') throw new UsageError(usage);
  if (extra !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(extra)}`);
  return value;
}

/** A chain id: a positive decimal integer, or a `UsageError` naming `option`. */
function chainIdOf(text: string, option: string): number {
  const chainId = Number(text);
  if (!/^[1-9][0-9]{0,15}$/.test(text) || !Number.isSafeInteger(chainId))
    throw new UsageError(`${option}: give the chain id as a whole number, e.g. 31337`);
  return chainId;
}

/** Prints an answer: its JSON as received with `--json`, else the lines `human` makes of it. */
function print<T>(
  context: CommandContext,
  json: boolean | undefined,
  answer: ApiAnswer<T>,
  human: Human<T>,
): number {
  if (json) context.out(answer.text);
  else for (const line of human(answer.body)) context.out(line);
  return exitCode.ok;
}

/**
 * The lines of a page of a listing: a line per item (or `no <items>`), then how to get the
 * next page when there is one.
 */
function pageLines<K extends string, T>(
  key: K,
  line: (item: T) => string,
): Human<Record<K, readonly T[]> & { next?: string | null }> {
  return (page) => [
    ...(page[key].length === 0 ? [`no ${key}`] : page[key].map(line)),
    ...(page.next === undefined || page.next === null ? [] : [`more: --after ${page.next}`]),
  ];
}

/**
 * The path of one item of a collection: `<path>/<id>`, the id escaped.
 * @example itemPath('/v1/customers', 'CUST 1') === '/v1/customers/CUST%201'
 */
export function itemPath(path: string, id: string): string {
  return `${path}/${encodeURIComponent(id)}`;
}

/**
 * `<noun> status ID` (or `show ID`): GETs `<path>/<id>` and prints it.
 * @example export const payoutsStatus = showCommand({ name: 'payouts status', path: '/v1/payouts', what: 'payout id (a UUID)', lines: payoutLines })
 */
export function showCommand<T>(spec: {
  readonly name: string;
  readonly path: string;
  /** What ID is, for the usage error: `payout id (a UUID)`. */
  readonly what: string;
  readonly lines: Human<T>;
}): Command {
  return remoteCommand({
    name: spec.name,
    usage: `clearpeg ${spec.name} ID [--json]`,
    options: readOptions,
    run: ({ arg, show }) => show(itemPath(spec.path, arg(`ID: give the ${spec.what}`)), spec.lines),
  });
}

/** A filter of a listing: the query parameter an option sets, and its values for the usage. */
export interface ListFilter {
  readonly query: string;
  readonly usage: string;
}

/**
 * `<noun> list`: GETs one page of `path` and prints a line per item, filtered by the options
 * of `filters`; `--limit` and `--after` as far as the route pages (`paging`).
 * @example export const payoutsList = listCommand({ name: 'payouts list', path: '/v1/payouts', key: 'payouts', line: payoutLine, filters: { status: { query: 'status', usage: 'sent|…' } } })
 */
export function listCommand<K extends string, T>(spec: {
  readonly name: string;
  readonly path: string;
  /** The page's member that holds the items (`payouts`). */
  readonly key: K;
  readonly line: (item: T) => string;
  readonly filters?: Readonly<Record<string, ListFilter>>;
  /** Query parameters the command always sends (`expenses list`: `kind=expense`). */
  readonly fixed?: Readonly<Record<string, string>>;
  /** How the route pages: by `?limit` and a cursor (default), or not at all. */
  readonly paging?: 'cursor' | 'none';
}): Command {
  const filters = Object.entries(spec.filters ?? {});
  const pageNames = { cursor: ['limit', 'after'], none: [] }[spec.paging ?? 'cursor'];
  const pageUsage = { limit: '[--limit N]', after: '[--after CURSOR]' } as Record<string, string>;
  return remoteCommand({
    name: spec.name,
    usage: [
      `clearpeg ${spec.name}`,
      ...filters.map(([option, filter]) => `[--${option} ${filter.usage}]`),
      ...pageNames.map((name) => pageUsage[name]),
      '[--json]',
    ].join(' '),
    options: { ...readOptions, ...strings(...filters.map(([option]) => option), ...pageNames) },
    run: ({ values, show }) => {
      const given = values as Record<string, string | undefined>;
      const query = Object.fromEntries([
        ...Object.entries(spec.fixed ?? {}),
        ...filters.map(([option, filter]) => [filter.query, given[option]]),
        ...pageNames.map((name) => [name, given[name]]),
      ]);
      return show(spec.path, pageLines(spec.key, spec.line), query);
    },
  });
}
