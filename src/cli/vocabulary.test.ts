/** The API commands' copies of the server's vocabulary are the server's. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonBodyBytesMax } from '../api/request.ts';
import { statementBytesMax } from '../api/routes/deposits.ts';
import {
  changeStatus,
  expenseBody,
  investmentStatus,
  mintStatus,
  payoutStatus,
  redemptionStatus,
} from '../api/schemas.ts';
import { kycStates } from '../issuance/customers.ts';
import { changeActions } from '../issuance/governance.ts';
import * as copies from './vocabulary.ts';

describe("the CLI's copy of the server's vocabulary", () => {
  it('lists the same values, in the same order, and the same sizes', () => {
    assert.deepEqual(copies.kycStates, kycStates);
    assert.deepEqual(copies.mintStatuses, mintStatus.options);
    assert.deepEqual(copies.redemptionStatuses, redemptionStatus.options);
    assert.deepEqual(copies.payoutStatuses, payoutStatus.options);
    assert.deepEqual(copies.investmentStatuses, investmentStatus.options);
    assert.deepEqual(copies.expensePurposes, expenseBody.shape.purpose.options);
    assert.deepEqual(copies.changeStatuses, changeStatus.options);
    assert.deepEqual(copies.changeActions, changeActions);
    assert.equal(copies.statementBytesMax, statementBytesMax);
    assert.equal(copies.jsonBodyBytesMax, jsonBodyBytesMax);
  });
});
