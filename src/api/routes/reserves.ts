/**
 * Reserves: the treasury's operations on what backs the token (../../treasury/book.ts), the
 * daily accrual, the book's value on a day, its judgement by a ruleset, the composition report
 * (JSON, or a printable page) and a bill's price (pure, public).
 *
 * Every operation that changes the book is followed by `judgeReserves` as of today in New York
 * (by the context's clock), so that the mint gate, which sums the reserve accounts judged
 * eligible (`reserve_eligibility`), sees the book as it now is. The workflows check roles
 * themselves (treasurer; admin for custodian keys); the accrual and the judgement, which do
 * not, are checked here and their refusals audited like the workflows'.
 */

import { daysBetween, newYorkDate } from '../../calendar.ts';
import type { ErrorCode } from '../../errors.ts';
import { ClearpegError } from '../../errors.ts';
import { currentPolicy, policyInForce } from '../../issuance/policy.ts';
import { formatAmount, parseAmount } from '../../money/money.ts';
import { type BillPrice, investmentRatePct, pricePer100 } from '../../reserves/bills.ts';
import {
  type EvaluationContext,
  evaluate,
  loadRuleset,
  type Ruleset,
  type ShippedRuleset,
} from '../../reserves/eligibility.ts';
import { loadDtb3 } from '../../reserves/rates.ts';
import { accrue } from '../../treasury/accrual.ts';
import {
  buyBill,
  closeRepo,
  describeBank,
  fundOrder,
  openRepo,
  sellBill,
} from '../../treasury/book.ts';
import { incomeStatement, incomeStatementJson } from '../../treasury/income.ts';
import { distributionsBooked, type ExcessCheck } from '../../treasury/investments.ts';
import {
  getPosition,
  recordStatement,
  type StoredPosition,
  selectPositions,
  setCustodianKey,
} from '../../treasury/positions.ts';
import { compositionReport, reportHtml } from '../../treasury/report.ts';
import {
  asOfSource,
  type Basis,
  type BookReader,
  bookBalances,
  bookValueOf,
  judgeReserves,
  owedToCustomers,
  readBook,
} from '../../treasury/valuation.ts';
import { type Actor, requireRole } from '../../workflow/actors.ts';
import { audited, recordRefusal } from '../../workflow/context.ts';
import { ApiError } from '../problem.ts';
import { pageBody, type Route, type RouteResult, route } from '../route.ts';
import {
  accrualRun,
  accrueBody,
  billPrice,
  buyBillBody,
  closeRepoBody,
  compositionReport as compositionReportSchema,
  custodianKey,
  describeBankBody,
  eligibilityQuery,
  eligibilityReport,
  fundOrderBody,
  incomeQuery,
  incomeStatement as incomeStatementSchema,
  judgeBody,
  openRepoBody,
  pageLimit,
  positionPage,
  positionParam,
  positionsQuery,
  priceQuery,
  recordStatementBody,
  reportQuery,
  reservePosition,
  reserveValue,
  sellBillBody,
  setCustodianKeyBody,
  statementRecorded,
  valueQuery,
} from '../schemas.ts';
import {
  accrualView,
  bookValueView,
  eligibilityView,
  evidenceView,
  positionView,
} from '../views.ts';
import type { RouteDeps } from './deps.ts';
import { investmentRoutes } from './investments.ts';

/** The ruleset the book is judged by, the rate curve of market values, the ruleset's context. */
export type ReserveDeps = NonNullable<RouteDeps['reserves']>;

let shipped: ReserveDeps | undefined;
const shippedRulesets = new Map<ShippedRuleset, Ruleset>();

/**
 * The default reserve deps: the shipped GENIUS ruleset and the DTB3 history, loaded once per
 * process (a broken file fails the server's start, not a request).
 * @example createApp({ ...deps, reserves: shippedReserveDeps() })
 */
export function shippedReserveDeps(): ReserveDeps {
  shipped ??= { ruleset: shippedRuleset('genius'), curve: loadDtb3() };
  return shipped;
}

function shippedRuleset(name: ShippedRuleset): Ruleset {
  let ruleset = shippedRulesets.get(name);
  if (ruleset === undefined) {
    ruleset = loadRuleset(name);
    shippedRulesets.set(name, ruleset);
  }
  return ruleset;
}

const operationProblems: readonly ErrorCode[] = [
  'forbidden',
  'reserves-invalid',
  'reserves-refused',
  'amount-invalid',
  'date-invalid',
  'statement-invalid',
  'statement-unknown',
  'ledger-busy',
];

/** The problems of a read on a day: the day's own, and the valuation's. */
const readProblems: readonly ErrorCode[] = [
  'as-of-before-issuer',
  'date-invalid',
  'date-out-of-range',
  'bill-invalid',
  'rate-unavailable',
  'rate-term-invalid',
];

/** What the ledger carries for each position while it is open; null once closed. */
async function bookValues(
  reader: BookReader,
  positions: readonly StoredPosition[],
): Promise<(bigint | null)[]> {
  const { assets } = await bookBalances(reader);
  return positions.map((stored) => (stored.status === 'open' ? bookValueOf(stored, assets) : null));
}

/** The reserve routes. */
export function reserveRoutes(deps: RouteDeps): Route[] {
  const { ctx } = deps;
  const reserves = deps.reserves ?? shippedReserveDeps();
  /** Today in New York, by the context's clock. */
  const today = () => newYorkDate(Number(ctx.clockUs() / 1000n));

  const viewOf = async (stored: StoredPosition) =>
    positionView(stored, (await bookValues(ctx, [stored]))[0]!);

  /**
   * Judges the book after `what` changed it, so that the mint gate sees it. The change is
   * done by then: a book that cannot be judged is a bug (a 5xx, logged), never the request's
   * fault; the same reference again repeats nothing and judges again.
   */
  const rejudge = async (what: string): Promise<void> => {
    try {
      await judgeReserves(ctx, reserves.ruleset, today());
    } catch (error) {
      throw new Error(
        `assertion failed: the book can be judged after ${what} (it stands): ${(error as Error).message}`,
        { cause: error },
      );
    }
  };

  /** The answer to an operation on `stored`, once the book is judged again. */
  const operated = async (
    stored: StoredPosition,
    status: RouteResult['status'],
  ): Promise<RouteResult> => {
    await rejudge(`${stored.position.id} changed`);
    return { status, body: await viewOf(stored) };
  };

  /** A treasurer's step the workflows do not check themselves; a refusal is audited. */
  const requireTreasurer = (actor: Actor, action: string, subject: string, what: string) =>
    refuseUnless(actor, action, subject, () => requireRole(actor, ['treasurer'], { action: what }));

  /** Runs `check`; a refusal is audited as the workflow's own would be. */
  const refuseUnless = async (
    actor: Actor,
    action: string,
    subject: string,
    check: () => void,
  ): Promise<void> => {
    try {
      check();
    } catch (error) {
      if (error instanceof ClearpegError) await recordRefusal(ctx, actor, action, subject, error);
      throw error;
    }
  };

  /**
   * The context a ruleset is evaluated in: the configured one, `significant` as asked (default
   * false), and the redemption fee schedule of the policy in force where a rule needs it.
   */
  const contextFor = async (
    ruleset: Ruleset,
    significant?: 'true' | 'false',
  ): Promise<EvaluationContext> => {
    const configured = reserves.context ?? {};
    const needsFee = ruleset.rules.some((rule) => rule.type === 'no-fee-redemption');
    const fee = needsFee ? (await currentPolicy(ctx.db)).policy.redemption : undefined;
    return {
      ...configured,
      significant:
        significant === undefined ? (configured.significant ?? false) : significant === 'true',
      ...(fee === undefined
        ? {}
        : { redemptionFee: { feeBps: fee.feeBps, feeMin: fee.feeMin, feeMax: fee.feeMax } }),
    };
  };

  /**
   * Eligible reserves, as `judgeReserves` computes them (read without writing them: a refused
   * investment must change nothing), and everything owed to customers: tokens, and the
   * dollars deposited and not yet minted, which the reserves hold too; read through the
   * investment's atomic step (`reader`), the ruleset's context read before it.
   */
  const excessBy =
    (context: EvaluationContext): ExcessCheck =>
    async (reader) => {
      const { portfolio } = await readBook(reader, today(), 'book');
      const liabilities = await owedToCustomers(reader);
      const { totals } = evaluate(reserves.ruleset, portfolio, context);
      return { eligible: totals.eligibleReserves, liabilities };
    };

  const report = async (query: { month?: string; asOf?: string; basis?: Basis }) => {
    if (query.month !== undefined && query.asOf !== undefined)
      throw new ApiError('request-invalid', 'month and asOf: give one, not both', {
        field: 'month',
        rule: 'month or asOf, not both',
        errors: [{ field: 'month', rule: 'month or asOf, not both' }],
      });
    return compositionReport(ctx, reserves.ruleset, {
      ...(query.month === undefined ? { asOf: query.asOf ?? today() } : { month: query.month }),
      basis: query.basis ?? 'amortized',
      curve: reserves.curve,
      context: await contextFor(reserves.ruleset),
    });
  };

  return [
    ...investmentRoutes({
      ctx,
      excess: async () => excessBy(await contextFor(reserves.ruleset)),
      rejudge,
    }),
    route({
      method: 'post',
      path: '/v1/reserves/banks',
      operationId: 'describeBank',
      summary:
        "Describes a bank's cash: custodian, jurisdiction, central-bank balance or an insured bank",
      tag: 'reserves',
      auth: 'key',
      body: describeBankBody,
      responses: { 200: reservePosition },
      problems: operationProblems,
      handle: async ({ actor, body }) => operated(await describeBank(ctx, actor, body), 200),
    }),
    route({
      method: 'post',
      path: '/v1/reserves/statements',
      operationId: 'recordStatement',
      summary:
        "Records a custodian statement by its SHA-256 (or its bytes, base64); a configured custodian's must be signed",
      tag: 'reserves',
      auth: 'key',
      body: recordStatementBody,
      responses: { 201: statementRecorded },
      problems: [
        'forbidden',
        'statement-invalid',
        'statement-unsigned',
        'statement-signature-invalid',
      ],
      handle: async ({ actor, body }) => {
        if (body.sha256 === undefined && body.bytes === undefined)
          throw new ClearpegError(
            'statement-invalid',
            'sha256: give the SHA-256 of the statement, or its bytes (base64)',
            { field: 'sha256', rule: 'sha256 or bytes' },
          );
        const evidence = await recordStatement(ctx, actor, {
          custodian: body.custodian,
          ...(body.sha256 === undefined ? {} : { sha256: body.sha256 }),
          ...(body.bytes === undefined ? {} : { bytes: Buffer.from(body.bytes, 'base64') }),
          ...(body.signature === undefined ? {} : { signature: body.signature }),
        });
        return { status: 201, body: { custodian: body.custodian, ...evidenceView(evidence)! } };
      },
    }),
    route({
      method: 'post',
      path: '/v1/reserves/custodian-keys',
      operationId: 'setCustodianKey',
      summary:
        "Configures a custodian's Ed25519 public key: its statements must then be signed (admin)",
      tag: 'reserves',
      auth: 'key',
      body: setCustodianKeyBody,
      responses: { 200: custodianKey },
      problems: ['forbidden', 'statement-invalid'],
      handle: async ({ actor, body }) => {
        await setCustodianKey(ctx, actor, body.custodian, body.publicKey);
        return { status: 200, body: { custodian: body.custodian, publicKey: body.publicKey } };
      },
    }),
    route({
      method: 'post',
      path: '/v1/reserves/bills',
      operationId: 'buyBill',
      summary:
        "Buys a bill lot: its cost (from the discount rate, or given) from the bank's cash, at settlement",
      tag: 'reserves',
      auth: 'key',
      body: buyBillBody,
      responses: { 201: reservePosition },
      problems: [...operationProblems, 'cusip-invalid', 'bill-invalid', 'reserves-cash-short'],
      handle: async ({ actor, body }) => {
        const { face, cost, discountRatePct, ...rest } = body;
        const lot = await buyBill(ctx, actor, {
          ...rest,
          face: parseAmount(face, 'face'),
          ...(cost === undefined ? {} : { cost: parseAmount(cost, 'cost') }),
          ...(discountRatePct === undefined ? {} : { discountRatePct }),
        });
        return operated(lot, 201);
      },
    }),
    route({
      method: 'post',
      path: '/v1/reserves/bills/:id/sell',
      operationId: 'sellBill',
      summary:
        'Sells a bill lot at a market discount rate: accrues it to settlement, books the gain or loss in income:trading',
      tag: 'reserves',
      auth: 'key',
      params: positionParam,
      body: sellBillBody,
      responses: { 200: reservePosition },
      problems: [
        ...operationProblems,
        'position-not-found',
        'position-not-bill',
        'position-not-open',
        'bill-invalid',
        'accrual-refused',
      ],
      handle: async ({ actor, params, body }) => {
        const sold = await sellBill(
          ctx,
          actor,
          { positionId: params.id, ...body },
          async (positionId, through) => {
            await accrue(ctx, through, { positionId, actor });
          },
        );
        return operated(sold, 200);
      },
    }),
    route({
      method: 'post',
      path: '/v1/reserves/repos',
      operationId: 'openRepo',
      summary: "Lends cash overnight against bills: the principal from the bank's cash",
      tag: 'reserves',
      auth: 'key',
      body: openRepoBody,
      responses: { 201: reservePosition },
      problems: [...operationProblems, 'decimal-invalid', 'reserves-cash-short'],
      handle: async ({ actor, body }) => {
        const repo = await openRepo(ctx, actor, {
          ...body,
          principal: parseAmount(body.principal, 'principal'),
          collateral: body.collateral.map((c, i) => ({
            ...c,
            face: parseAmount(c.face, `collateral.${i}.face`),
          })),
        });
        return operated(repo, 201);
      },
    }),
    route({
      method: 'post',
      path: '/v1/reserves/repos/:id/close',
      operationId: 'closeRepo',
      summary: 'Closes a repo at maturity: the principal back to the bank, the interest earned',
      tag: 'reserves',
      auth: 'key',
      params: positionParam,
      body: closeRepoBody,
      responses: { 200: reservePosition },
      problems: [...operationProblems, 'position-not-found', 'position-not-repo'],
      handle: async ({ actor, params }) => operated(await closeRepo(ctx, actor, params.id), 200),
    }),
    route({
      method: 'post',
      path: '/v1/reserves/funds/orders',
      operationId: 'fundOrder',
      summary: 'Subscribes to, redeems from, or books a reinvested dividend of a money-market fund',
      tag: 'reserves',
      auth: 'key',
      body: fundOrderBody,
      responses: { 200: reservePosition },
      problems: [...operationProblems, 'reserves-cash-short'],
      handle: async ({ actor, body }) =>
        operated(
          await fundOrder(ctx, actor, { ...body, amount: parseAmount(body.amount, 'amount') }),
          200,
        ),
    }),
    route({
      method: 'post',
      path: '/v1/reserves/accrue',
      operationId: 'accrueReserves',
      summary:
        'The daily job: posts every open bill lot’s accretion through a day, then matures the lots due (treasurer)',
      tag: 'reserves',
      auth: 'key',
      body: accrueBody,
      responses: { 200: accrualRun },
      problems: ['forbidden', 'date-invalid', 'accrual-refused', 'reserves-refused', 'ledger-busy'],
      handle: async ({ actor, body }) => {
        await requireTreasurer(actor, 'reserves.accrue', body.through, 'accrue reserves');
        const run = await accrue(ctx, body.through, { actor });
        await rejudge(`the accrual through ${run.through}`);
        return { status: 200, body: accrualView(run) };
      },
    }),
    route({
      method: 'post',
      path: '/v1/reserves/judge',
      operationId: 'judgeReserves',
      summary:
        'Judges the book by the ruleset as of a day and records what counts, which the mint gate sums (treasurer)',
      tag: 'reserves',
      auth: 'key',
      body: judgeBody,
      responses: { 200: eligibilityReport },
      problems: ['forbidden', ...readProblems],
      handle: async ({ actor, body }) => {
        const asOf = body.asOf ?? today();
        const judged = await audited(ctx, actor, 'reserves.judge', asOf, async (commit) => {
          requireRole(actor, ['treasurer'], { action: 'judge the reserves' });
          const context = await contextFor(reserves.ruleset);
          const { report } = await judgeReserves(ctx, reserves.ruleset, asOf, context);
          return commit(async () => ({
            result: report,
            detail: {
              ruleset: report.ruleset,
              asOf,
              passed: report.passed,
              eligibleReserves: formatAmount(report.totals.eligibleReserves),
              liabilities: formatAmount(report.totals.liabilities),
            },
          }));
        });
        // The mint gate's figures: the book as it is now, whatever the day.
        return { status: 200, body: eligibilityView(judged, 'ledger') };
      },
    }),
    route({
      method: 'get',
      path: '/v1/reserves/positions',
      operationId: 'listPositions',
      summary: 'Reserve positions by id, open ones (or all), optionally of one kind',
      tag: 'reserves',
      auth: 'operator',
      query: positionsQuery,
      responses: { 200: positionPage },
      problems: [],
      handle: async ({ query }) => {
        const limit = pageLimit(query.limit);
        const filters: string[] = [];
        const params: (string | number)[] = [];
        if ((query.status ?? 'open') === 'open') filters.push(`q.status = 'open'`);
        if (query.kind !== undefined) filters.push(`q.kind = $${params.push(query.kind)}`);
        if (query.after !== undefined) filters.push(`q.id > $${params.push(query.after)}`);
        const page = await selectPositions(
          ctx.db,
          `p.id IN (SELECT q.id FROM reserve_positions q WHERE ${filters.join(' AND ') || 'true'}
             ORDER BY q.id LIMIT $${params.push(limit)})`,
          params,
        );
        const values = await bookValues(ctx, page);
        const views = page.map((stored, i) => positionView(stored, values[i]!));
        return pageBody(
          'positions',
          views,
          limit,
          (view) => view,
          (view) => view.id,
        );
      },
    }),
    route({
      method: 'get',
      path: '/v1/reserves/positions/:id',
      operationId: 'getPosition',
      summary: 'A reserve position: its terms, custody, evidence, and what the ledger carries',
      tag: 'reserves',
      auth: 'operator',
      params: positionParam,
      responses: { 200: reservePosition },
      problems: ['position-not-found'],
      handle: async ({ params }) => {
        return { status: 200, body: await viewOf(await getPosition(ctx.db, params.id, 'id')) };
      },
    }),
    route({
      method: 'get',
      path: '/v1/reserves/value',
      operationId: 'valueReserves',
      summary:
        'The book on a day: every holding valued (bills at book, amortized or market value), totals',
      tag: 'reserves',
      auth: 'operator',
      query: valueQuery,
      responses: { 200: reserveValue },
      problems: readProblems,
      handle: async ({ query }) => {
        const basis = query.basis ?? 'book';
        const asOf = query.asOf ?? today();
        const book = await readBook(ctx, asOf, basis, reserves.curve, {
          source: asOfSource(asOf, today()),
        });
        return { status: 200, body: bookValueView(book, basis) };
      },
    }),
    route({
      method: 'get',
      path: '/v1/reserves/eligibility',
      operationId: 'reserveEligibility',
      summary:
        'The book judged by a ruleset (GENIUS, MiCA): what counts, every rule with its figures (writes nothing)',
      tag: 'reserves',
      auth: 'operator',
      query: eligibilityQuery,
      responses: { 200: eligibilityReport },
      problems: [...readProblems, 'evaluation-context-missing'],
      handle: async ({ query }) => {
        const ruleset =
          query.ruleset === undefined ? reserves.ruleset : shippedRuleset(query.ruleset);
        const asOf = query.asOf ?? today();
        const book = await readBook(ctx, asOf, query.basis ?? 'book', reserves.curve, {
          source: asOfSource(asOf, today()),
        });
        const judged = evaluate(
          ruleset,
          book.portfolio,
          await contextFor(ruleset, query.significant),
        );
        return { status: 200, body: eligibilityView(judged, book.computedFrom) };
      },
    }),
    route({
      method: 'get',
      path: '/v1/reserves/report',
      operationId: 'reserveReport',
      summary:
        "The reserve composition report of a month (as of its last day) or a day, judged by the server's ruleset",
      tag: 'reserves',
      auth: 'operator',
      query: reportQuery,
      responses: { 200: compositionReportSchema },
      problems: [...readProblems, 'report-invalid'],
      handle: async ({ query }) => ({ status: 200, body: await report(query) }),
    }),
    route({
      method: 'get',
      path: '/v1/reserves/report.html',
      operationId: 'reserveReportHtml',
      summary: 'The same report as a self-contained printable HTML page',
      tag: 'reserves',
      auth: 'operator',
      query: reportQuery,
      responses: {},
      text: {
        mediaType: 'text/html',
        description: 'the report as a printable page (no scripts, no outside resources)',
      },
      problems: [...readProblems, 'report-invalid'],
      handle: async ({ query }) => ({ status: 200, body: reportHtml(await report(query)) }),
    }),
    route({
      method: 'get',
      path: '/v1/income',
      operationId: 'incomeStatement',
      summary:
        "The issuer's income statement of a period from the ledger: income, distribution and operating costs, net income, equity and the excess at each day, week or month, reconciled to the ledger",
      tag: 'reserves',
      auth: 'operator',
      query: incomeQuery,
      responses: { 200: incomeStatementSchema },
      problems: ['income-invalid', 'date-invalid', 'as-of-before-issuer', 'bill-invalid'],
      handle: async ({ query }) => {
        const policy = await policyInForce(ctx.db);
        const statement = await incomeStatement(ctx, query, {
          today: today(),
          ruleset: reserves.ruleset,
          context: await contextFor(reserves.ruleset),
          ...(policy.revenueShare === undefined ? {} : { revenueShare: policy.revenueShare }),
          booked: await distributionsBooked(ctx.db, query.from, query.to),
        });
        return { status: 200, body: incomeStatementJson(statement) };
      },
    }),
    route({
      method: 'get',
      path: '/v1/reserves/price',
      operationId: 'billPrice',
      summary:
        "A bill's price per 100 and investment rate from its discount rate and dates (31 CFR 356 App. B)",
      tag: 'reserves',
      auth: 'public',
      query: priceQuery,
      responses: { 200: billPrice },
      problems: ['bill-invalid'],
      handle: async ({ query }) => {
        const days = daysBetween(query.issueDate, query.maturityDate);
        if (days < 1 || days > 366)
          throw new ClearpegError(
            'bill-invalid',
            `maturityDate must be 1 to 366 days after issueDate (got ${days})`,
            { field: 'maturityDate', rule: '1 to 366 days after issueDate' },
          );
        let price: BillPrice;
        try {
          price = pricePer100(query.discountRate, days);
        } catch (error) {
          if (!(error instanceof ClearpegError)) throw error;
          // The only refusal left: a rate so high for the term that the price is not positive.
          throw new ClearpegError('bill-invalid', `discountRate: ${error.message}`, {
            field: 'discountRate',
            rule: error.rule ?? 'a rate that gives a positive price',
          });
        }
        return {
          status: 200,
          body: {
            days,
            pricePer100: price.text,
            investmentRatePct: investmentRatePct(price, days, query.issueDate),
          },
        };
      },
    }),
  ];
}
