/**
 * Holdings and portfolios the reserve tests build: one builder per kind of position, each
 * valued on `asOf` (Tuesday 31 December 2024) with the figures a test passes and plain
 * defaults for the rest.
 */
import { addDays, daysBetween, nextBusinessDay } from '../calendar.ts';
import { type Micro, parseAmount } from '../money/money.ts';
import type { Holding, InvestmentAsset, IsoDate, Portfolio, Position } from './instruments.ts';

/** The day every builder values its holding on. */
export const asOf: IsoDate = '2024-12-31';

/**
 * Dollars written as a decimal string, in micro-dollars.
 * @example usd('1.5') === 1_500_000n
 */
export const usd = (text: string): Micro => parseAmount(text);

/** FDIC insurance: $250,000 per depositor per bank. */
const fdicMax = usd('250000');

/** A holding of `position` worth `value`, maturing on `maturityDate` when it has one. */
function held(position: Position, value: Micro, maturityDate?: IsoDate): Holding {
  if (maturityDate === undefined) return { position, value };
  return { position, value, daysToMaturity: daysBetween(asOf, maturityDate) };
}

/**
 * A deposit at bank `id` (the bank's custodian of itself), in the US unless `jurisdiction`
 * says otherwise. A commercial bank is insured unless `insuredInstitution: false`, covering up
 * to $250,000; a central-bank balance (`centralBank: true`) is not insured.
 * @example cash('fed', usd('50'), { centralBank: true })
 */
export function cash(
  id: string,
  amount: Micro,
  options: { centralBank?: boolean; insuredInstitution?: boolean; jurisdiction?: string } = {},
): Holding {
  const centralBank = options.centralBank ?? false;
  const insuredInstitution = options.insuredInstitution ?? !centralBank;
  const insured = (insuredInstitution ? (amount < fdicMax ? amount : fdicMax) : 0n) as Micro;
  const jurisdiction = options.jurisdiction ?? 'US';
  return held(
    {
      id,
      kind: 'cash',
      bank: id,
      custodian: id,
      jurisdiction,
      amount,
      centralBank,
      insuredInstitution,
      insured,
    },
    amount,
  );
}

/**
 * A 26-week Treasury bill (CUSIP `id`) worth `value`, bought and settled on `asOf`, maturing
 * on `maturityDate`; its face is its value unless given.
 * @example bill('912797AA1', usd('999'), '2025-01-06', usd('1000'))
 */
export function bill(
  id: string,
  value: Micro,
  maturityDate: IsoDate,
  face: Micro = value,
): Holding {
  return held(
    {
      id,
      kind: 'tbill',
      cusip: id,
      face,
      cost: value,
      issueDate: addDays(maturityDate, -182),
      maturityDate,
      tradeDate: asOf,
      settlementDate: asOf,
      custodian: 'custodian-bank',
      jurisdiction: 'US',
    },
    value,
    maturityDate,
  );
}

/**
 * A reverse repo with counterparty `id`, lending `principal` from `asOf` to `maturityDate`
 * (default: overnight, the next business day) against a bill of the same face maturing on
 * `collateralMaturity` (default: 912797MS3's 2025-03-27).
 * @example repo('dealer', usd('1000'), { collateralMaturity: addDays(asOf, 120) })
 */
export function repo(
  id: string,
  principal: Micro,
  options: { maturityDate?: IsoDate; collateralMaturity?: IsoDate } = {},
): Holding {
  const { maturityDate = nextBusinessDay(asOf), collateralMaturity = '2025-03-27' } = options;
  return held(
    {
      id,
      kind: 'repo',
      counterparty: id,
      principal,
      startDate: asOf,
      maturityDate,
      ratePct: '4.40',
      collateral: [{ cusip: '912797MS3', face: principal, maturityDate: collateralMaturity }],
      custodian: 'tri-party-agent',
      jurisdiction: 'US',
    },
    principal,
    maturityDate,
  );
}

/**
 * Shares of money-market fund `id` worth `amount`; a government fund unless `government` is
 * false.
 * @example mmf('prime-fund', usd('70'), false)
 */
export function mmf(id: string, amount: Micro, government = true): Holding {
  const custodian = 'transfer-agent';
  return held(
    { id, kind: 'mmf', fund: id, government, amount, custodian, jurisdiction: 'US' },
    amount,
  );
}

/**
 * A non-reserve investment `id` of this asset class, marked at `amount`.
 * @example investment('gold-bars', 'gold', usd('500'))
 */
export function investment(id: string, asset: InvestmentAsset, amount: Micro): Holding {
  const custodian = 'custodian';
  return held(
    { id, kind: 'investment', asset, name: id, amount, custodian, jurisdiction: 'SV' },
    amount,
  );
}

/**
 * The book on `asOf`: these holdings against `liabilities` of tokens outstanding.
 * @example portfolio(usd('100'), [cash('bank-a', usd('40')), mmf('gov-fund', usd('60'))])
 */
export function portfolio(liabilities: Micro, holdings: Holding[]): Portfolio {
  return { asOf, liabilities, holdings };
}
