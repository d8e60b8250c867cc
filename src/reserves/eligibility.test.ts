import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { addDays } from '../calendar.ts';
import { ClearpegError } from '../errors.ts';
import type { Micro } from '../money/money.ts';
import { throwsCode } from '../testing.ts';
import {
  type EligibilityReport,
  evaluate,
  formatSharePct,
  loadRuleset,
  parsePercent,
  parseRuleset,
  type RedemptionFeeSchedule,
  type RuleResult,
  RulesetError,
} from './eligibility.ts';
import type { Holding, Portfolio } from './instruments.ts';
import { asOf, bill, cash, investment, mmf, portfolio, repo, usd } from './testing.ts';

// ---------------------------------------------------------------- helpers

function rule(report: EligibilityReport, id: string): RuleResult {
  const found = report.rules.find((r) => r.id === id);
  assert.ok(found, `rule ${id} is in the report`);
  return found;
}

/** Asserts the outcome of rule `id`, and its reason and figures where given, exactly. */
function assertRule(
  report: EligibilityReport,
  id: string,
  expected: Partial<Pick<RuleResult, 'reason' | 'figures'>> & Pick<RuleResult, 'outcome'>,
): void {
  const found = rule(report, id);
  assert.equal(found.outcome, expected.outcome);
  if (expected.reason !== undefined) assert.equal(found.reason, expected.reason);
  if (expected.figures !== undefined) assert.deepEqual(found.figures, expected.figures);
}

/** Percent with two decimals, rounded down, computed here without the module's helpers. */
function pctDown(part: bigint, whole: bigint): string {
  const hundredths = (part * 10_000n) / whole;
  return `${hundredths / 100n}.${String(hundredths % 100n).padStart(2, '0')}`;
}

const noFee: RedemptionFeeSchedule = { feeBps: 0, feeMin: 0n as Micro, feeMax: 0n as Micro };

// ---------------------------------------------------------------- the largest issuer

// Tether's published reserve report for 31 December 2024 (figures rounded to what it printed):
// T-bills held directly $94.5B, overnight repo and MMF about $18.5B (split here $12.0B repo
// backed by bills of ≤ 93 days, $6.5B government MMF), bitcoin $7.86B, gold $5.32B, secured
// loans $8.1B, other investments $3.9B, cash and bank deposits $0.108B; tokens issued $136.6B.
const tether = {
  bills: usd('94500000000'),
  repo: usd('12000000000'),
  mmf: usd('6500000000'),
  bitcoin: usd('7860000000'),
  gold: usd('5320000000'),
  securedLoans: usd('8100000000'),
  otherInvestments: usd('3900000000'),
  cash: usd('108000000'),
  liabilities: usd('136600000000'),
};
const tetherBillCount = 10n;
const tetherBills = Array.from({ length: Number(tetherBillCount) }, (_, k) =>
  bill(`9127970${k}0`, (tether.bills / tetherBillCount) as Micro, addDays(asOf, 9 * (k + 1))),
);

function tetherPortfolio(): Portfolio {
  return portfolio(tether.liabilities, [
    ...tetherBills,
    repo('repo-dealer', tether.repo, { collateralMaturity: '2025-03-27' }),
    mmf('gov-fund', tether.mmf),
    investment('btc', 'bitcoin', tether.bitcoin),
    investment('gold-bars', 'gold', tether.gold),
    investment('loans', 'secured-loan', tether.securedLoans),
    investment('ventures', 'other', tether.otherInvestments),
    cash('bank-a', tether.cash),
  ]);
}

describe('genius: the largest issuer at 31 Dec 2024', () => {
  const report = evaluate(loadRuleset('genius'), tetherPortfolio());
  const eligible = tether.bills + tether.repo + tether.mmf + tether.cash;
  const total =
    eligible + tether.bitcoin + tether.gold + tether.securedLoans + tether.otherInvestments;

  it('names every ineligible category with its amount', () => {
    assert.deepEqual(
      report.ineligible.map(({ assetClass, amount, holdings }) => ({
        assetClass,
        amount,
        holdings,
      })),
      [
        { assetClass: 'bitcoin', amount: tether.bitcoin, holdings: ['btc'] },
        { assetClass: 'gold', amount: tether.gold, holdings: ['gold-bars'] },
        { assetClass: 'secured-loan', amount: tether.securedLoans, holdings: ['loans'] },
        { assetClass: 'other', amount: tether.otherInvestments, holdings: ['ventures'] },
      ],
    );
    assert.equal(
      report.ineligible[0]!.reason,
      'genius admits no bitcoin as a reserve asset (GENIUS Act §4(a)(1)(A), 12 U.S.C. 5903(a)(1)(A) lists those that count)',
    );
  });

  it('reports eligible reserves, the coverage ratio and the shortfall', () => {
    assert.equal(eligible, usd('113108000000'));
    assert.deepEqual(report.totals, {
      totalReserves: total,
      eligibleReserves: eligible,
      liabilities: tether.liabilities,
      coverageRatioPct: pctDown(eligible, tether.liabilities),
      excess: 0n,
      shortfall: tether.liabilities - eligible,
    });
    assert.equal(report.totals.coverageRatioPct, '82.80');
    assert.equal(report.totals.shortfall, usd('23492000000'));
    assert.equal(report.passed, false);
  });

  it('fails 1:1 backing with the numbers', () => {
    assertRule(report, 'one-to-one-backing', {
      outcome: 'fail',
      reason:
        'Eligible reserves of 113108000000.000000 cover 82.80 % of liabilities of 136600000000.000000; at least 136600000000.000000 (liabilities of 136600000000.000000 plus a 0 % buffer) is required: a shortfall of 23492000000.000000.',
      figures: {
        eligibleReserves: '113108000000.000000',
        liabilities: '136600000000.000000',
        bufferPct: '0',
        requiredReserves: '136600000000.000000',
        coverageRatioPct: '82.80',
        excess: '0.000000',
        shortfall: '23492000000.000000',
      },
    });
  });

  it('counts bills, repo, the government fund and the insured deposit, not the rest', () => {
    assertRule(report, 'reserve-assets', {
      outcome: 'pass',
      figures: {
        eligibleReserves: '113108000000.000000',
        totalReserves: '138288000000.000000',
        ineligibleReserves: '25180000000.000000',
        holdingsEligible: '13',
        holdingsIneligible: '4',
      },
    });
    assert.deepEqual(
      report.holdings.filter((h) => h.eligible).map((h) => h.category),
      [
        ...Array(10).fill('treasury-bills'),
        'overnight-reverse-repo',
        'government-money-market-funds',
        'insured-deposits',
      ],
    );
  });

  it('produces the monthly composition: amount, average tenor and custody per category', () => {
    // Ten equal bills maturing in 9, 18, …, 90 days: the value-weighted tenor is 49.5 days.
    const billDays = tetherBills.reduce((sum, b) => sum + BigInt(b.daysToMaturity!), 0n);
    assert.equal(billDays * 10n, 4950n);
    assertRule(report, 'monthly-composition', {
      outcome: 'pass',
      figures: {
        totalOutstanding: '136600000000.000000',
        eligibleReserves: '113108000000.000000',
        'reserves.treasury-bills.amount': '94500000000.000000',
        'reserves.treasury-bills.averageTenorDays': '49.50',
        'reserves.treasury-bills.custody.US': '94500000000.000000',
        'reserves.overnight-reverse-repo.amount': '12000000000.000000',
        'reserves.overnight-reverse-repo.averageTenorDays': '2.00',
        'reserves.overnight-reverse-repo.custody.US': '12000000000.000000',
        'reserves.government-money-market-funds.amount': '6500000000.000000',
        'reserves.government-money-market-funds.averageTenorDays': '0.00',
        'reserves.government-money-market-funds.custody.US': '6500000000.000000',
        'reserves.insured-deposits.amount': '108000000.000000',
        'reserves.insured-deposits.averageTenorDays': '0.00',
        'reserves.insured-deposits.custody.US': '108000000.000000',
      },
    });
  });
});

// ---------------------------------------------------------------- 85 % MMF, 15 % deposits

describe('85 % government MMF and 15 % bank deposits', () => {
  const liabilities = usd('1000000000');
  const fund = usd('850000000');
  const deposits = usd('150000000');
  const oneBank = portfolio(liabilities, [mmf('gov-fund', fund), cash('bank-a', deposits)]);
  const twoBanks = portfolio(liabilities, [
    mmf('gov-fund', fund),
    cash('bank-a', (deposits / 2n) as Micro),
    cash('bank-b', (deposits / 2n) as Micro),
  ]);
  /** The report under MiCA, with no redemption fee, for a token that is or is not significant. */
  const underMica = (book: Portfolio, significant: boolean) =>
    evaluate(loadRuleset('mica'), book, { significant, redemptionFee: noFee });

  it('passes genius', () => {
    const report = evaluate(loadRuleset('genius'), oneBank);
    assert.equal(report.passed, true);
    assert.deepEqual(
      report.rules.map((r) => [r.id, r.outcome]),
      [
        ['reserve-assets', 'pass'],
        ['one-to-one-backing', 'pass'],
        ['monthly-composition', 'pass'],
      ],
    );
    assert.equal(report.totals.coverageRatioPct, '100.00');
    assert.equal(report.totals.shortfall, 0n);
    assert.equal(report.totals.excess, 0n);
  });

  it('fails the MiCA 30 % deposit minimum, with the numbers', () => {
    const report = underMica(oneBank, false);
    assertRule(report, 'deposits-at-least-30-pct', {
      outcome: 'fail',
      reason:
        'credit-institution-deposits is 150000000.000000, 15.00 % of liabilities of 1000000000.000000; the minimum is 30 % (300000000.000000): short by 150000000.000000.',
      figures: {
        amount: '150000000.000000',
        base: '1000000000.000000',
        sharePct: pctDown(deposits, liabilities),
        minPct: '30',
        requiredAmount: '300000000.000000',
        shortfall: '150000000.000000',
      },
    });
    assert.deepEqual(
      report.rules.map((r) => [r.id, r.outcome]),
      [
        ['reserve-assets', 'pass'],
        ['deposits-at-least-30-pct', 'fail'],
        ['deposits-at-least-60-pct-significant', 'not-applicable'],
        ['deposits-per-credit-institution', 'not-applicable'],
        ['full-backing', 'pass'],
        ['redemption-without-fee', 'pass'],
      ],
    );
    assert.equal(report.passed, false);
  });

  it('fails the per-bank concentration limit with all deposits at one bank', () => {
    const report = underMica(oneBank, true);
    assert.equal(rule(report, 'deposits-at-least-60-pct-significant').outcome, 'fail');
    assert.equal(rule(report, 'deposits-at-least-30-pct').outcome, 'not-applicable');
    assertRule(report, 'deposits-per-credit-institution', {
      outcome: 'fail',
      reason:
        'bank-a holds 150000000.000000 (15.00 %); the limit is 10 % of eligible reserves of 1000000000.000000 (100000000.000000) per counterparty.',
      figures: {
        base: '1000000000.000000',
        maxPct: '10',
        limitAmount: '100000000.000000',
        counterparties: '1',
        'counterparty.bank-a.amount': '150000000.000000',
        'counterparty.bank-a.sharePct': '15.00',
        largestSharePct: '15.00',
      },
    });
  });

  it('passes the per-bank concentration limit with deposits spread over two banks', () => {
    assertRule(underMica(twoBanks, true), 'deposits-per-credit-institution', {
      outcome: 'pass',
      reason:
        'credit-institution-deposits is spread over 2 counterparties, the largest (bank-a) holding 75000000.000000 (7.50 %); the limit is 10 % of eligible reserves of 1000000000.000000 (100000000.000000) per counterparty.',
    });
  });

  it('needs to know whether the token is significant', () => {
    throwsCode(
      () => evaluate(loadRuleset('mica'), oneBank, { redemptionFee: noFee }),
      'evaluation-context-missing',
      'context.significant',
    );
  });
});

// ---------------------------------------------------------------- single holdings

describe('eligibility of single holdings under genius', () => {
  const genius = loadRuleset('genius');
  const judge = (holding: Holding) =>
    evaluate(genius, portfolio(holding.value, [holding])).holdings[0]!;

  it('admits a bill with 93 days to maturity and refuses one with 94', () => {
    const at93 = judge(bill('912797AA1', usd('1000'), addDays(asOf, 93)));
    assert.equal(at93.eligible, true);
    assert.equal(at93.category, 'treasury-bills');
    const at94 = judge(bill('912797AA2', usd('1000'), addDays(asOf, 94)));
    assert.equal(at94.eligible, false);
    assert.equal(
      at94.reason,
      'not eligible: treasury-bills (12 U.S.C. 5903(a)(1)(A)(iii)): matures in 94 days, more than 93',
    );
  });

  it('admits an overnight reverse repo whatever its Treasury collateral (clause (v))', () => {
    const verdict = judge(repo('dealer', usd('1000'), { collateralMaturity: addDays(asOf, 120) }));
    assert.equal(verdict.eligible, true);
    assert.equal(verdict.category, 'overnight-reverse-repo');
  });

  it('refuses a repo backed by a 120-day bill where the ruleset caps collateral at 93 days', () => {
    const raw = JSON.parse(
      readFileSync(new URL('../../data/rulesets/genius.json', import.meta.url), 'utf8'),
    );
    raw.rules[0].categories[3].collateralMaxDaysToMaturity = 93;
    const strict = parseRuleset(raw, 'genius-strict');
    const judgeStrict = (holding: Holding) =>
      evaluate(strict, portfolio(holding.value, [holding])).holdings[0]!;
    const at120 = judgeStrict(
      repo('dealer', usd('1000'), { collateralMaturity: addDays(asOf, 120) }),
    );
    assert.equal(at120.eligible, false);
    assert.equal(
      at120.reason,
      'not eligible: overnight-reverse-repo (12 U.S.C. 5903(a)(1)(A)(v)): collateral 912797MS3 matures in 120 days, more than 93',
    );
    assert.equal(
      judgeStrict(repo('dealer', usd('1000'), { collateralMaturity: addDays(asOf, 93) })).eligible,
      true,
    );
  });

  it('refuses a term repo', () => {
    const verdict = judge(
      repo('dealer', usd('1000'), {
        collateralMaturity: addDays(asOf, 30),
        maturityDate: addDays(asOf, 7),
      }),
    );
    assert.equal(verdict.eligible, false);
    assert.equal(
      verdict.reason,
      'not eligible: overnight-reverse-repo (12 U.S.C. 5903(a)(1)(A)(v)): runs from 2024-12-31 to 2025-01-07, not overnight (which would end 2025-01-02)',
    );
  });

  it('refuses a money-market fund that is not a government fund', () => {
    const verdict = judge(mmf('prime-fund', usd('1000'), false));
    assert.equal(verdict.eligible, false);
    assert.equal(verdict.assetClass, 'mmf');
    assert.equal(
      verdict.reason,
      'not eligible: government-money-market-funds (12 U.S.C. 5903(a)(1)(A)(vi)): prime-fund is not a government money-market fund',
    );
  });

  it('admits a Federal Reserve balance and refuses a deposit at an uninsured bank', () => {
    const fed = judge(cash('fed', usd('1000'), { centralBank: true }));
    assert.equal(fed.category, 'federal-reserve-balances');
    const uninsured = judge(cash('offshore-bank', usd('1000'), { insuredInstitution: false }));
    assert.equal(uninsured.eligible, false);
    assert.equal(
      uninsured.reason,
      'not eligible: federal-reserve-balances (12 U.S.C. 5903(a)(1)(A)(i)): a deposit at offshore-bank, not a central-bank balance; insured-deposits (12 U.S.C. 5903(a)(1)(A)(ii)): offshore-bank is not an insured depository institution',
    );
  });

  it('does not count a bill past maturity that is still open', () => {
    const verdict = judge(bill('912797AA3', usd('1000'), addDays(asOf, -1)));
    assert.equal(verdict.eligible, false);
    assert.equal(
      verdict.reason,
      'matured on 2024-12-30 and is still open on 2024-12-31: it counts again once the cash arrives',
    );
  });
});

describe('MiCA redemption fees', () => {
  const mica = loadRuleset('mica');
  const book = portfolio(usd('100'), [cash('bank-a', usd('40')), mmf('gov-fund', usd('60'))]);

  it('fails an e-money token that charges a redemption fee', () => {
    const fee: RedemptionFeeSchedule = { feeBps: 10, feeMin: 0n as Micro, feeMax: usd('1000') };
    const report = evaluate(mica, book, { significant: false, redemptionFee: fee });
    assertRule(report, 'redemption-without-fee', {
      outcome: 'fail',
      reason:
        'Redemption must not be subject to a fee, but the fee schedule charges 10 bp, at least 0.000000, at most 1000.000000.',
      figures: { feeBps: '10', feeMin: '0.000000', feeMax: '1000.000000' },
    });
    assert.equal(report.passed, false);
  });

  it('fails a flat minimum fee too, and passes a zero schedule', () => {
    const flat = { feeBps: 0, feeMin: usd('1'), feeMax: usd('1') };
    const judged = (fee: RedemptionFeeSchedule) =>
      rule(
        evaluate(mica, book, { significant: false, redemptionFee: fee }),
        'redemption-without-fee',
      );
    assert.equal(judged(flat).outcome, 'fail');
    assert.equal(judged(noFee).outcome, 'pass');
    assert.equal(evaluate(mica, book, { significant: false, redemptionFee: noFee }).passed, true);
  });

  it('needs the fee schedule', () => {
    throwsCode(
      () => evaluate(mica, book, { significant: false }),
      'evaluation-context-missing',
      'context.redemptionFee',
    );
  });
});

// ---------------------------------------------------------------- percentages

describe('percentages', () => {
  it('parses decimal strings exactly and refuses anything else', () => {
    assert.deepEqual(parsePercent('30'), { units: 30n, scale: 1n, text: '30' });
    assert.deepEqual(parsePercent('2.5'), { units: 25n, scale: 10n, text: '2.5' });
    assert.deepEqual(parsePercent('100.000000'), {
      units: 100_000_000n,
      scale: 1_000_000n,
      text: '100.000000',
    });
    for (const bad of [30, '100.01', '-1', '1e1', '030', '.5', '5.', '', '1.0000001'])
      throwsCode(() => parsePercent(bad, 'minPct'), 'percent-invalid', 'minPct');
  });

  it('formats shares with two decimals in the named direction', () => {
    assert.equal(formatSharePct(1n, 3n, 'down'), '33.33');
    assert.equal(formatSharePct(1n, 3n, 'up'), '33.34');
    assert.equal(formatSharePct(2n, 2n, 'up'), '100.00');
    assert.equal(formatSharePct(0n, 7n, 'up'), '0.00');
    assert.equal(formatSharePct(5n, 0n, 'down'), undefined);
  });

  it('decides at the boundary exactly: 29.999999 % fails 30 %, 30 % passes', () => {
    const mica = loadRuleset('mica');
    const judged = (deposit: Micro) =>
      rule(
        evaluate(
          mica,
          portfolio(usd('100'), [cash('bank-a', deposit), mmf('gov-fund', usd('100'))]),
          { significant: false, redemptionFee: noFee },
        ),
        'deposits-at-least-30-pct',
      );
    const below = judged(usd('29.999999'));
    assert.equal(below.outcome, 'fail');
    assert.equal(below.figures.sharePct, '29.99');
    assert.equal(below.figures.shortfall, '0.000001');
    assert.equal(judged(usd('30')).outcome, 'pass');
  });
});

// ---------------------------------------------------------------- loading and validation

describe('ruleset files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'clearpeg-rulesets-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const shipped = JSON.parse(
    readFileSync(new URL('../../data/rulesets/mica.json', import.meta.url), 'utf8'),
  );
  const write = (name: string, value: unknown): string => {
    const path = join(dir, name);
    writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
    return path;
  };
  const refused = (path: string): RulesetError => {
    try {
      loadRuleset(path);
    } catch (error) {
      assert.ok(error instanceof RulesetError, `a RulesetError, got ${String(error)}`);
      return error;
    }
    assert.fail('the ruleset was accepted');
  };
  /** The refusal of the shipped MiCA ruleset with `value` at `field` (dotted), written to `name`. */
  const refusedWith = (name: string, field: string, value: unknown): RulesetError => {
    const raw = structuredClone(shipped);
    const keys = field.split('.');
    const last = keys.pop()!;
    keys.reduce((node, key) => node[key], raw)[last] = value;
    return refused(write(name, raw));
  };

  it('loads both shipped rulesets, every rule with an https source', () => {
    for (const name of ['genius', 'mica'] as const) {
      const ruleset = loadRuleset(name);
      assert.equal(ruleset.name, name);
      for (const r of ruleset.rules) assert.match(r.source.url, /^https:\/\//);
    }
    assert.deepEqual(
      loadRuleset('mica').rules.map((r) => r.type),
      [
        'eligible-assets',
        'min-share',
        'min-share',
        'max-share-per-counterparty',
        'coverage',
        'no-fee-redemption',
      ],
    );
  });

  it('refuses a share written as a JSON number, naming the file, path and rule', () => {
    const error = refusedWith('number.json', 'rules.1.minPct', 30);
    const path = join(dir, 'number.json');
    assert.equal(error.code, 'ruleset-invalid');
    assert.equal(error.file, path);
    assert.equal(error.field, 'rules.1.minPct');
    assert.equal(error.ruleId, 'deposits-at-least-30-pct');
    assert.equal(
      error.message,
      `${path}: rules.1.minPct (rule "deposits-at-least-30-pct"): Invalid input: expected string, received number`,
    );
  });

  it('refuses a share above 100 %', () => {
    const error = refusedWith('over.json', 'rules.3.maxPct', '100.5');
    assert.equal(error.field, 'rules.3.maxPct');
    assert.equal(error.rule, 'must be at most 100');
  });

  it('refuses an unknown field, naming it', () => {
    const error = refusedWith('typo.json', 'rules.0.categories.1.maxDaysToMaturty', 93);
    assert.equal(error.field, 'rules.0.categories.1.maxDaysToMaturty');
    assert.equal(error.ruleId, 'reserve-assets');
  });

  it('refuses a condition that does not belong to the kind', () => {
    const error = refusedWith('kind.json', 'rules.0.categories.0.maxDaysToMaturity', 93);
    assert.equal(error.field, 'rules.0.categories.0.maxDaysToMaturity');
  });

  it('refuses an unknown rule type', () => {
    const error = refusedWith('type.json', 'rules.4.type', 'solvency');
    assert.equal(error.field, 'rules.4.type');
    assert.equal(error.ruleId, 'full-backing');
  });

  it('refuses a share of a category the eligible-assets rule does not define', () => {
    const error = refusedWith('category.json', 'rules.1.categories', ['bank-deposits']);
    assert.equal(
      error.message,
      `${join(dir, 'category.json')}: rules.1.categories.0 (rule "deposits-at-least-30-pct"): no category "bank-deposits" in the eligible-assets rule (has credit-institution-deposits, government-bills, government-money-market-funds)`,
    );
  });

  it('refuses duplicate rule ids and a missing eligible-assets rule', () => {
    const twice = refusedWith('twice.json', 'rules.2.id', shipped.rules[1].id);
    assert.equal(twice.field, 'rules.2.id');
    const none = refusedWith(
      'none.json',
      'rules',
      shipped.rules.filter((r: { type: string }) => r.type === 'coverage'),
    );
    assert.equal(none.rule, 'a ruleset has exactly one eligible-assets rule');
  });

  it('refuses a file that is not JSON, and one that does not exist', () => {
    const path = write('broken.json', '{ "format": ');
    const error = refused(path);
    assert.equal(error.code, 'ruleset-invalid');
    assert.ok(error.message.startsWith(`${path}: not JSON (`));
    const missing = refused(join(dir, 'absent.json'));
    assert.equal(missing.code, 'ruleset-unreadable');
    assert.equal(missing.message, `${join(dir, 'absent.json')}: cannot read the ruleset (ENOENT)`);
  });
});

describe('portfolio input', () => {
  const genius = loadRuleset('genius');

  it('refuses a negative value, naming the holding', () => {
    const holding = { ...cash('bank-a', usd('10')), value: -1n as Micro };
    throwsCode(
      () => evaluate(genius, portfolio(usd('10'), [holding])),
      'portfolio-invalid',
      'holdings.0.value',
    );
  });

  it('refuses a number where an amount belongs', () => {
    const bad = { asOf, liabilities: 10 as unknown as Micro, holdings: [] };
    throwsCode(() => evaluate(genius, bad), 'portfolio-invalid', 'liabilities');
  });

  it('refuses days to maturity that do not match the dates', () => {
    const holding = { ...bill('912797AA4', usd('10'), addDays(asOf, 30)), daysToMaturity: 29 };
    assert.throws(
      () => evaluate(genius, portfolio(usd('10'), [holding])),
      (error: unknown) =>
        error instanceof ClearpegError &&
        error.field === 'holdings.0.daysToMaturity' &&
        error.message ===
          'holdings.0.daysToMaturity: 912797AA4: 29 days does not match 2024-12-31 to 2025-01-30 (30 days)',
    );
  });

  it('judges an empty book with no liabilities: nothing to cover', () => {
    const report = evaluate(genius, portfolio(0n as Micro, []));
    assert.equal(report.totals.coverageRatioPct, null);
    assert.equal(report.passed, true);
    assert.equal(
      rule(report, 'one-to-one-backing').reason,
      'Eligible reserves are 0.000000 and there are no liabilities; at least 0.000000 (liabilities of 0.000000 plus a 0 % buffer) is required.',
    );
  });
});
