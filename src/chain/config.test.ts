import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultChains, loadChains } from './config.ts';

const chain = {
  name: 'ethereum',
  chainId: 1,
  rpcUrl: 'https://rpc.example.org/v1',
  token: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
  finalityDepth: 64,
  deployBlock: 21_000_000,
};
const env = (value: unknown) => ({ CLEARPEG_CHAINS: JSON.stringify(value) });

describe('chain configuration', () => {
  it('defaults to two in-process chains', () => {
    assert.deepEqual(loadChains({}), defaultChains);
    assert.equal(new Set(loadChains({}).map((c) => c.chainId)).size, 2);
  });

  it('reads several chains, addresses in lowercase', () => {
    const chains = loadChains(
      env([
        chain,
        { ...chain, name: 'base', chainId: 8453, token: undefined, deployBlock: undefined },
      ]),
    );
    assert.deepEqual(chains, [
      { ...chain, token: chain.token.toLowerCase(), deployBlock: 21_000_000n },
      { ...chain, name: 'base', chainId: 8453, token: undefined, deployBlock: undefined },
    ]);
  });

  it('refuses anything malformed, naming the field and the rule', () => {
    const cases: Array<[unknown, string]> = [
      [[{ ...chain, chainId: 0 }], '0.chainId'],
      [[{ ...chain, chainId: '1' }], '0.chainId'],
      [[{ ...chain, name: 'Ethereum' }], '0.name'],
      [[{ ...chain, rpcUrl: 'ftp://x' }], '0.rpcUrl'],
      [[{ ...chain, token: '0x1234' }], '0.token'],
      [[{ ...chain, finalityDepth: 0 }], '0.finalityDepth'],
      [[{ ...chain, finalityDepth: 1.5 }], '0.finalityDepth'],
      [[{ ...chain, deployBlock: -1 }], '0.deployBlock'],
      [[{ ...chain, deployBlock: '5' }], '0.deployBlock'],
      [[{ ...chain, token: undefined }], '0.deployBlock'],
      [[{ ...chain, color: 'blue' }], '0.color'],
      [[chain, { ...chain, chainId: 2 }], '1.name'],
      [[chain, { ...chain, name: 'other' }], '1.chainId'],
      [[], '(the whole value)'],
      [{ chains: [] }, '(the whole value)'],
    ];
    for (const [value, field] of cases)
      assert.throws(() => loadChains(env(value)), {
        code: 'config-invalid',
        field: `CLEARPEG_CHAINS.${field}`,
      });
    assert.throws(() => loadChains({ CLEARPEG_CHAINS: '[{' }), { code: 'config-invalid' });
  });
});
