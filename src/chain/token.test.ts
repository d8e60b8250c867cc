/**
 * ClearpegToken through viem, on both local chains (the in-process EDR and `hardhat node` over
 * HTTP): one chain per backend, the token deployed once, an EVM snapshot reverted after every
 * test. Every refusal is asserted by its decoded custom error name and arguments; the last test
 * of each backend checks that every ABI function was called and every reachable error was seen.
 * Then the chains' own behaviour, and the artifacts build in check mode.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  type Address,
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createTestClient,
  createWalletClient,
  custom,
  decodeErrorResult,
  defineChain,
  encodeAbiParameters,
  encodeErrorResult,
  encodeFunctionData,
  getAddress,
  getContract,
  type Hash,
  type Hex,
  http,
  keccak256,
  maxUint256,
  parseAbiParameters,
  parseEventLogs,
  parseSignature,
  RpcRequestError,
  recoverTypedDataAddress,
  type TransactionReceipt,
  type Transport,
  toFunctionSelector,
  toHex,
  zeroAddress,
} from 'viem';
import { mnemonicToAccount, type PrivateKeyAccount, privateKeyToAccount } from 'viem/accounts';
import {
  clearpegTokenAbi,
  clearpegTokenBytecode,
  transferSprayAbi,
  transferSprayBytecode,
} from './artifacts.ts';
import {
  blockGasLimit,
  createInProcessChain,
  executionRevertedCode,
  type HardhatNode,
  type InProcessChain,
  startHardhatNode,
  type TestAccount,
  testAccountBalanceWei,
  testAccounts,
  testMnemonic,
} from './evm.ts';

/** Not Hardhat's default (31337): the HTTP node shows that it took the chain id it was given. */
const chainId = 4242;
const chain = defineChain({
  id: chainId,
  name: 'Clearpeg test chain',
  nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
  rpcUrls: { default: { http: [] } },
});

/** Whole tokens to micro-units (6 decimals). */
const tokens = (whole: bigint): bigint => whole * 1_000_000n;
const adminDelaySeconds = 3 * 24 * 3600;
const allowanceInitial = tokens(1_000_000n);
const aliceInitial = tokens(1_000n);
const bobInitial = tokens(500n);
const roles = {
  DEFAULT_ADMIN_ROLE: toHex(0, { size: 32 }),
  MINTER_ROLE: keccak256(toHex('MINTER_ROLE')),
  PAUSER_ROLE: keccak256(toHex('PAUSER_ROLE')),
  BLOCKLISTER_ROLE: keccak256(toHex('BLOCKLISTER_ROLE')),
  REDEEMER_ROLE: keccak256(toHex('REDEEMER_ROLE')),
  RESCUER_ROLE: keccak256(toHex('RESCUER_ROLE')),
} as const;
/** An issuer redemption address: it never signs, so it needs no funded key. */
const redemption = mnemonicToAccount(testMnemonic, { addressIndex: 100 }).address;
/** Errors in the ABI that no call can produce, each with the reason. */
const unreachableErrors: Record<string, string> = {
  ECDSAInvalidSignatureLength: 'permit takes v, r, s, never a signature of another length',
  ERC20InvalidApprover: 'an owner is msg.sender or a recovered signer, never address 0',
  ERC20InvalidSender:
    'balances leave msg.sender, an owner with an allowance or a redemption address',
  InvalidAccountNonce: 'permit uses the unchecked nonce',
  InvalidShortString: 'raised only when reading back a short string, which is well-formed here',
  StringTooLong: 'a long name falls back to storage instead',
  SafeCastOverflowedUintDowncast: 'block timestamps fit in uint48',
};

// ---------------------------------------------------------------- backends and fixture

type Connection = { transport: Transport; accounts: readonly TestAccount[] };

/** Records each property name read from `target` (the functions called on a viem contract). */
function recorded<T extends object>(target: T, names: Set<string>): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      if (typeof property === 'string') names.add(property);
      return Reflect.get(object, property, receiver);
    },
  });
}

/** Deploys the token, grants every role to its own account, funds alice and bob. */
async function setUp(connection: Connection) {
  const { transport } = connection;
  const publicClient = createPublicClient({ chain, transport });
  const testClient = createTestClient({ chain, transport, mode: 'hardhat' });
  const keys = connection.accounts.map((a) => privateKeyToAccount(a.privateKey));
  const [admin, minter, pauser, blocklister, redeemer, rescuer, alice, bob, carol, heir] = keys;
  assert.ok(heir !== undefined && admin && minter && pauser && blocklister && redeemer);
  assert.ok(rescuer && alice && bob && carol);
  const seen = { functions: new Set<string>(), errors: new Set<string>() };
  const wallet = (account: PrivateKeyAccount) => createWalletClient({ chain, transport, account });

  /** The receipt of a mined transaction, asserting it succeeded. */
  const mined = async (hash: Promise<Hash> | Hash): Promise<TransactionReceipt> => {
    const receipt = await publicClient.getTransactionReceipt({ hash: await hash });
    assert.equal(receipt.status, 'success');
    return receipt;
  };
  const deployed = async (hash: Promise<Hash>): Promise<Address> => {
    const address = (await mined(hash)).contractAddress;
    assert.ok(address);
    return getAddress(address);
  };
  const deployToken = (name: string, symbol: string) =>
    deployed(
      wallet(admin).deployContract({
        abi: clearpegTokenAbi,
        bytecode: clearpegTokenBytecode,
        args: [name, symbol, adminDelaySeconds, admin.address],
      }),
    );
  const address = await deployToken('Clearpeg USD', 'cUSD');
  /** The token as `account` sees it: read, write (send) and simulate (call). */
  const as = (account: PrivateKeyAccount, at: Address = address) => {
    const contract = getContract({
      address: at,
      abi: clearpegTokenAbi,
      client: { public: publicClient, wallet: wallet(account) },
    });
    return {
      read: recorded(contract.read, seen.functions),
      write: recorded(contract.write, seen.functions),
      simulate: recorded(contract.simulate, seen.functions),
    };
  };
  const grants = [
    [roles.MINTER_ROLE, minter],
    [roles.PAUSER_ROLE, pauser],
    [roles.BLOCKLISTER_ROLE, blocklister],
    [roles.REDEEMER_ROLE, redeemer],
    [roles.RESCUER_ROLE, rescuer],
  ] as const;
  for (const [granted, account] of grants) {
    await mined(as(admin).write.grantRole([granted, account.address]));
  }
  await mined(as(admin).write.setMinterAllowance([minter.address, allowanceInitial]));
  await mined(as(minter).write.mint([alice.address, aliceInitial]));
  await mined(as(minter).write.mint([bob.address, bobInitial]));
  await mined(as(admin).write.setRedemptionAddress([redemption, true]));

  /** The token's events in `receipt`, decoded, in order. */
  const events = (receipt: TransactionReceipt, at: Address = address) =>
    parseEventLogs({
      abi: clearpegTokenAbi,
      logs: receipt.logs.filter((log) => log.address === at.toLowerCase()),
    }).map(
      ({ eventName, args }) =>
        ({ eventName, args: args ?? {} }) as { eventName: string; args: object },
    );

  /** Asserts `promise` is refused with the custom error `name(...args)`, decoded by viem. */
  const refused = async (
    promise: Promise<unknown>,
    name: string,
    args: readonly unknown[] = [],
  ) => {
    await assert.rejects(promise, (error: unknown) => {
      assert.ok(error instanceof BaseError, `not a viem error: ${String(error)}`);
      const revert = error.walk((e) => e instanceof ContractFunctionRevertedError);
      assert.ok(revert instanceof ContractFunctionRevertedError, error.shortMessage);
      assert.equal(revert.data?.errorName, name);
      assert.deepEqual(revert.data?.args ?? [], args);
      seen.errors.add(name);
      return true;
    });
  };

  const latestTimestamp = async () => (await publicClient.getBlock()).timestamp;

  /** An EIP-2612 permit signed by `owner` for the token's EIP-712 domain, as read from the chain. */
  const signPermit = async (
    owner: PrivateKeyAccount,
    message: { spender: Address; value: bigint; nonce: bigint; deadline: bigint },
    signer: PrivateKeyAccount = owner,
  ) => {
    const [, name, version, domainChainId, verifyingContract] = await as(owner).read.eip712Domain();
    const typed = {
      domain: { name, version, chainId: domainChainId, verifyingContract },
      types: {
        Permit: [
          { name: 'owner', type: 'address' },
          { name: 'spender', type: 'address' },
          { name: 'value', type: 'uint256' },
          { name: 'nonce', type: 'uint256' },
          { name: 'deadline', type: 'uint256' },
        ],
      },
      primaryType: 'Permit',
      message: { owner: owner.address, ...message },
    } as const;
    const signature = await signer.signTypedData(typed);
    const { r, s, v } = parseSignature(signature);
    assert.ok(v !== undefined);
    return { typed, signature, r, s, v: Number(v) };
  };

  return {
    ...{
      publicClient,
      testClient,
      wallet,
      address,
      as,
      mined,
      deployed,
      deployToken,
      events,
      refused,
    },
    ...{ latestTimestamp, signPermit, seen },
    ...{ admin, minter, pauser, blocklister, redeemer, rescuer, alice, bob, carol, heir },
  };
}

type Fixture = Awaited<ReturnType<typeof setUp>>;

// ---------------------------------------------------------------- the token suite

/** Reverts the chain to a snapshot after every test of the enclosing describe. */
function snapshotEachTest(fixture: () => Fixture): void {
  let snapshot: Hex;
  beforeEach(async () => {
    snapshot = await fixture().testClient.snapshot();
  });
  afterEach(async () => {
    await fixture().testClient.revert({ id: snapshot });
  });
}

/** Every test of the token, on the fixture's chain; registered inside a backend's describe. */
function tokenSuite(fixture: () => Fixture): void {
  let f: Fixture;
  before(() => {
    f = fixture();
  });

  it('mines a reverting transaction with status reverted, as a production node does', async () => {
    // With the gas given, nothing is estimated first: the node itself meets the revert.
    const hash = await f.wallet(f.alice).sendTransaction({
      to: f.address,
      data: encodeFunctionData({ abi: clearpegTokenAbi, functionName: 'pause' }),
      gas: 100_000n,
    });
    assert.equal((await f.publicClient.getTransactionReceipt({ hash })).status, 'reverted');
  });

  describe('ERC-20', () => {
    it('has its metadata, 6 decimals and the minted supply', async () => {
      const t = f.as(f.alice).read;
      assert.equal(await t.name(), 'Clearpeg USD');
      assert.equal(await t.symbol(), 'cUSD');
      assert.equal(await t.decimals(), 6);
      assert.equal(await t.totalSupply(), aliceInitial + bobInitial);
      assert.equal(await t.balanceOf([f.alice.address]), aliceInitial);
      assert.equal(await t.balanceOf([f.bob.address]), bobInitial);
    });

    it('transfer returns true, moves the amount and emits Transfer', async () => {
      const t = f.as(f.alice);
      const { result } = await t.simulate.transfer([f.bob.address, 7n], { account: f.alice });
      assert.equal(result, true);
      const receipt = await f.mined(t.write.transfer([f.bob.address, 7n]));
      assert.deepEqual(f.events(receipt), [
        { eventName: 'Transfer', args: { from: f.alice.address, to: f.bob.address, value: 7n } },
      ]);
      assert.equal(await t.read.balanceOf([f.alice.address]), aliceInitial - 7n);
      assert.equal(await t.read.balanceOf([f.bob.address]), bobInitial + 7n);
    });

    it('approve and transferFrom return true, spend the allowance and emit their events', async () => {
      const owner = f.as(f.alice);
      const spender = f.as(f.carol);
      const approved = await owner.simulate.approve([f.carol.address, 10n], { account: f.alice });
      assert.equal(approved.result, true);
      const receipt = await f.mined(owner.write.approve([f.carol.address, 10n]));
      assert.deepEqual(f.events(receipt), [
        {
          eventName: 'Approval',
          args: { owner: f.alice.address, spender: f.carol.address, value: 10n },
        },
      ]);
      const args = [f.alice.address, f.bob.address, 4n] as const;
      assert.equal((await spender.simulate.transferFrom(args, { account: f.carol })).result, true);
      const moved = await f.mined(spender.write.transferFrom(args));
      assert.deepEqual(f.events(moved), [
        { eventName: 'Transfer', args: { from: f.alice.address, to: f.bob.address, value: 4n } },
      ]);
      assert.equal(await owner.read.allowance([f.alice.address, f.carol.address]), 6n);
    });

    it('changes a non-zero allowance to another without going through zero', async () => {
      const owner = f.as(f.alice);
      await f.mined(owner.write.approve([f.carol.address, 10n]));
      await f.mined(owner.write.approve([f.carol.address, 25n]));
      assert.equal(await owner.read.allowance([f.alice.address, f.carol.address]), 25n);
    });

    it('refuses more than the balance, more than the allowance, address 0 as receiver or spender', async () => {
      const owner = f.as(f.alice);
      await f.refused(
        owner.write.transfer([f.bob.address, aliceInitial + 1n]),
        'ERC20InsufficientBalance',
        [f.alice.address, aliceInitial, aliceInitial + 1n],
      );
      await f.refused(owner.write.transfer([zeroAddress, 1n]), 'ERC20InvalidReceiver', [
        zeroAddress,
      ]);
      await f.refused(owner.write.approve([zeroAddress, 1n]), 'ERC20InvalidSpender', [zeroAddress]);
      await f.mined(owner.write.approve([f.carol.address, 3n]));
      await f.refused(
        f.as(f.carol).write.transferFrom([f.alice.address, f.bob.address, 4n]),
        'ERC20InsufficientAllowance',
        [f.carol.address, 3n, 4n],
      );
    });
  });

  describe('roles', () => {
    it('has the roles keccak256(name), each administered by the default admin', async () => {
      const t = f.as(f.alice).read;
      assert.equal(await t.DEFAULT_ADMIN_ROLE(), roles.DEFAULT_ADMIN_ROLE);
      assert.equal(await t.MINTER_ROLE(), roles.MINTER_ROLE);
      assert.equal(await t.PAUSER_ROLE(), roles.PAUSER_ROLE);
      assert.equal(await t.BLOCKLISTER_ROLE(), roles.BLOCKLISTER_ROLE);
      assert.equal(await t.REDEEMER_ROLE(), roles.REDEEMER_ROLE);
      assert.equal(await t.RESCUER_ROLE(), roles.RESCUER_ROLE);
      for (const id of Object.values(roles)) {
        assert.equal(await t.getRoleAdmin([id]), roles.DEFAULT_ADMIN_ROLE);
      }
      assert.equal(await t.hasRole([roles.MINTER_ROLE, f.minter.address]), true);
      assert.equal(await t.hasRole([roles.MINTER_ROLE, f.alice.address]), false);
      assert.equal(await t.hasRole([roles.DEFAULT_ADMIN_ROLE, f.admin.address]), true);
    });

    it('lets only the admin grant and revoke, with events', async () => {
      const granted = await f.mined(
        f.as(f.admin).write.grantRole([roles.PAUSER_ROLE, f.carol.address]),
      );
      assert.deepEqual(f.events(granted), [
        {
          eventName: 'RoleGranted',
          args: { role: roles.PAUSER_ROLE, account: f.carol.address, sender: f.admin.address },
        },
      ]);
      const revoked = await f.mined(
        f.as(f.admin).write.revokeRole([roles.PAUSER_ROLE, f.carol.address]),
      );
      assert.deepEqual(f.events(revoked), [
        {
          eventName: 'RoleRevoked',
          args: { role: roles.PAUSER_ROLE, account: f.carol.address, sender: f.admin.address },
        },
      ]);
      for (const call of [
        () => f.as(f.pauser).write.grantRole([roles.PAUSER_ROLE, f.carol.address]),
        () => f.as(f.pauser).write.revokeRole([roles.MINTER_ROLE, f.minter.address]),
      ]) {
        await f.refused(call(), 'AccessControlUnauthorizedAccount', [
          f.pauser.address,
          roles.DEFAULT_ADMIN_ROLE,
        ]);
      }
    });

    it('refuses granting the default admin role directly and renouncing for someone else', async () => {
      await f.refused(
        f.as(f.admin).write.grantRole([roles.DEFAULT_ADMIN_ROLE, f.heir.address]),
        'AccessControlEnforcedDefaultAdminRules',
      );
      await f.refused(
        f.as(f.alice).write.renounceRole([roles.MINTER_ROLE, f.minter.address]),
        'AccessControlBadConfirmation',
      );
    });

    it('refuses every role-gated function to an account without the role', async () => {
      const a = f.alice.address;
      const t = f.as(f.alice).write;
      const gated: Array<[() => Promise<Hash>, Hex]> = [
        [() => t.mint([a, 1n]), roles.MINTER_ROLE],
        [() => t.burn([redemption, 1n]), roles.REDEEMER_ROLE],
        [() => t.pause(), roles.PAUSER_ROLE],
        [() => t.unpause(), roles.PAUSER_ROLE],
        [() => t.block([f.bob.address]), roles.BLOCKLISTER_ROLE],
        [() => t.unblock([f.bob.address]), roles.BLOCKLISTER_ROLE],
        [() => t.rescueERC20([f.address, a, 1n]), roles.RESCUER_ROLE],
        [() => t.setMinterAllowance([a, 1n]), roles.DEFAULT_ADMIN_ROLE],
        [() => t.setRedemptionAddress([a, true]), roles.DEFAULT_ADMIN_ROLE],
        [() => t.beginDefaultAdminTransfer([a]), roles.DEFAULT_ADMIN_ROLE],
        [() => t.cancelDefaultAdminTransfer(), roles.DEFAULT_ADMIN_ROLE],
        [() => t.changeDefaultAdminDelay([1]), roles.DEFAULT_ADMIN_ROLE],
        [() => t.rollbackDefaultAdminDelay(), roles.DEFAULT_ADMIN_ROLE],
      ];
      for (const [call, needed] of gated) {
        await f.refused(call(), 'AccessControlUnauthorizedAccount', [a, needed]);
      }
    });

    it('supports ERC-165 for IERC165, IAccessControl and IAccessControlDefaultAdminRules only', async () => {
      const interfaceId = (signatures: string[]) =>
        toHex(
          signatures.reduce(
            (id, s) => id ^ Number.parseInt(toFunctionSelector(s).slice(2), 16),
            0,
          ) >>> 0,
          { size: 4 },
        );
      const defaultAdminRules = interfaceId([
        'defaultAdmin()',
        'pendingDefaultAdmin()',
        'defaultAdminDelay()',
        'pendingDefaultAdminDelay()',
        'beginDefaultAdminTransfer(address)',
        'cancelDefaultAdminTransfer()',
        'acceptDefaultAdminTransfer()',
        'changeDefaultAdminDelay(uint48)',
        'rollbackDefaultAdminDelay()',
        'defaultAdminDelayIncreaseWait()',
      ]);
      const t = f.as(f.alice).read;
      for (const id of ['0x01ffc9a7', '0x7965db0b', defaultAdminRules] as const) {
        assert.equal(await t.supportsInterface([id]), true, id);
      }
      assert.equal(await t.supportsInterface(['0x36372b07']), false); // IERC20: not declared
      assert.equal(await t.supportsInterface(['0xffffffff']), false);
    });
  });

  describe('minting and the minter allowance', () => {
    it('mints within the allowance, decrementing it, with Transfer and Minted', async () => {
      const before = await f.as(f.admin).read.minterAllowance([f.minter.address]);
      assert.equal(before, allowanceInitial - aliceInitial - bobInitial);
      const receipt = await f.mined(f.as(f.minter).write.mint([f.carol.address, 400n]));
      assert.deepEqual(f.events(receipt), [
        { eventName: 'Transfer', args: { from: zeroAddress, to: f.carol.address, value: 400n } },
        {
          eventName: 'Minted',
          args: { minter: f.minter.address, to: f.carol.address, amount: 400n },
        },
      ]);
      assert.equal(await f.as(f.admin).read.minterAllowance([f.minter.address]), before - 400n);
      assert.equal(await f.as(f.admin).read.totalSupply(), aliceInitial + bobInitial + 400n);
    });

    it('mints exactly the allowance left, then refuses one unit more', async () => {
      await f.mined(f.as(f.admin).write.setMinterAllowance([f.minter.address, 600n]));
      await f.mined(f.as(f.minter).write.mint([f.carol.address, 600n]));
      assert.equal(await f.as(f.admin).read.minterAllowance([f.minter.address]), 0n);
      await f.refused(
        f.as(f.minter).write.mint([f.carol.address, 1n]),
        'ClearpegMinterAllowanceExceeded',
        [f.minter.address, 0n, 1n],
      );
    });

    it('refuses a mint beyond the allowance and leaves the allowance unchanged', async () => {
      await f.mined(f.as(f.admin).write.setMinterAllowance([f.minter.address, 600n]));
      await f.refused(
        f.as(f.minter).write.mint([f.carol.address, 601n]),
        'ClearpegMinterAllowanceExceeded',
        [f.minter.address, 600n, 601n],
      );
      assert.equal(await f.as(f.admin).read.minterAllowance([f.minter.address]), 600n);
    });

    it('lets only the admin set or raise an allowance, with MinterAllowanceSet', async () => {
      const previous = await f.as(f.admin).read.minterAllowance([f.minter.address]);
      const receipt = await f.mined(
        f.as(f.admin).write.setMinterAllowance([f.minter.address, previous + 5n]),
      );
      assert.deepEqual(f.events(receipt), [
        {
          eventName: 'MinterAllowanceSet',
          args: { minter: f.minter.address, previous, amount: previous + 5n },
        },
      ]);
      await f.refused(
        f.as(f.minter).write.setMinterAllowance([f.minter.address, maxUint256]),
        'AccessControlUnauthorizedAccount',
        [f.minter.address, roles.DEFAULT_ADMIN_ROLE],
      );
      await f.refused(
        f.as(f.admin).write.setMinterAllowance([zeroAddress, 1n]),
        'ClearpegZeroAddress',
      );
    });

    it('keeps allowances per minter', async () => {
      await f.mined(f.as(f.admin).write.grantRole([roles.MINTER_ROLE, f.carol.address]));
      await f.mined(f.as(f.admin).write.setMinterAllowance([f.carol.address, 50n]));
      await f.mined(f.as(f.carol).write.mint([f.bob.address, 20n]));
      assert.equal(await f.as(f.admin).read.minterAllowance([f.carol.address]), 30n);
      assert.equal(
        await f.as(f.admin).read.minterAllowance([f.minter.address]),
        allowanceInitial - aliceInitial - bobInitial,
      );
    });

    it('an allowance without the role mints nothing', async () => {
      await f.mined(f.as(f.admin).write.setMinterAllowance([f.carol.address, 50n]));
      await f.refused(
        f.as(f.carol).write.mint([f.carol.address, 1n]),
        'AccessControlUnauthorizedAccount',
        [f.carol.address, roles.MINTER_ROLE],
      );
    });

    it('a revoked or renounced minter keeps no allowance', async () => {
      const left = await f.as(f.admin).read.minterAllowance([f.minter.address]);
      const revoked = await f.mined(
        f.as(f.admin).write.revokeRole([roles.MINTER_ROLE, f.minter.address]),
      );
      assert.deepEqual(f.events(revoked), [
        {
          eventName: 'RoleRevoked',
          args: { role: roles.MINTER_ROLE, account: f.minter.address, sender: f.admin.address },
        },
        {
          eventName: 'MinterAllowanceSet',
          args: { minter: f.minter.address, previous: left, amount: 0n },
        },
      ]);
      await f.mined(f.as(f.admin).write.grantRole([roles.MINTER_ROLE, f.minter.address]));
      assert.equal(await f.as(f.admin).read.minterAllowance([f.minter.address]), 0n);
      await f.mined(f.as(f.admin).write.setMinterAllowance([f.minter.address, 9n]));
      const renounced = await f.mined(
        f.as(f.minter).write.renounceRole([roles.MINTER_ROLE, f.minter.address]),
      );
      assert.equal(f.events(renounced)[1]?.eventName, 'MinterAllowanceSet');
      assert.equal(await f.as(f.admin).read.minterAllowance([f.minter.address]), 0n);
    });

    it('refuses a mint to address 0', async () => {
      await f.refused(f.as(f.minter).write.mint([zeroAddress, 1n]), 'ERC20InvalidReceiver', [
        zeroAddress,
      ]);
    });
  });

  describe('burning from redemption addresses', () => {
    it('burns from a redemption address, with Transfer and Burned', async () => {
      await f.mined(f.as(f.alice).write.transfer([redemption, 300n]));
      const receipt = await f.mined(f.as(f.redeemer).write.burn([redemption, 120n]));
      assert.deepEqual(f.events(receipt), [
        { eventName: 'Transfer', args: { from: redemption, to: zeroAddress, value: 120n } },
        {
          eventName: 'Burned',
          args: { redeemer: f.redeemer.address, from: redemption, amount: 120n },
        },
      ]);
      assert.equal(await f.as(f.admin).read.balanceOf([redemption]), 180n);
      assert.equal(await f.as(f.admin).read.totalSupply(), aliceInitial + bobInitial - 120n);
    });

    it('refuses to burn from any other address, or more than it holds', async () => {
      await f.refused(
        f.as(f.redeemer).write.burn([f.alice.address, 1n]),
        'ClearpegNotRedemptionAddress',
        [f.alice.address],
      );
      await f.mined(f.as(f.alice).write.transfer([redemption, 5n]));
      await f.refused(f.as(f.redeemer).write.burn([redemption, 6n]), 'ERC20InsufficientBalance', [
        redemption,
        5n,
        6n,
      ]);
    });

    it('lets only the admin mark and unmark redemption addresses, with RedemptionAddressSet', async () => {
      assert.equal(await f.as(f.admin).read.isRedemptionAddress([redemption]), true);
      const receipt = await f.mined(f.as(f.admin).write.setRedemptionAddress([redemption, false]));
      assert.deepEqual(f.events(receipt), [
        { eventName: 'RedemptionAddressSet', args: { account: redemption, isRedemption: false } },
      ]);
      assert.equal(await f.as(f.admin).read.isRedemptionAddress([redemption]), false);
      await f.mined(f.as(f.alice).write.transfer([redemption, 5n]));
      await f.refused(
        f.as(f.redeemer).write.burn([redemption, 5n]),
        'ClearpegNotRedemptionAddress',
        [redemption],
      );
      await f.refused(
        f.as(f.admin).write.setRedemptionAddress([zeroAddress, true]),
        'ClearpegZeroAddress',
      );
    });
  });

  describe('blocklist', () => {
    const blockAccount = async (account: Address) => {
      const receipt = await f.mined(f.as(f.blocklister).write.block([account]));
      assert.deepEqual(f.events(receipt), [{ eventName: 'Blocked', args: { account } }]);
    };

    it('blocks and unblocks with events; unblocking restores transfers', async () => {
      await blockAccount(f.alice.address);
      assert.equal(await f.as(f.admin).read.isBlocked([f.alice.address]), true);
      await f.refused(f.as(f.alice).write.transfer([f.bob.address, 1n]), 'ClearpegBlocked', [
        f.alice.address,
      ]);
      const receipt = await f.mined(f.as(f.blocklister).write.unblock([f.alice.address]));
      assert.deepEqual(f.events(receipt), [
        { eventName: 'Unblocked', args: { account: f.alice.address } },
      ]);
      assert.equal(await f.as(f.admin).read.isBlocked([f.alice.address]), false);
      await f.mined(f.as(f.alice).write.transfer([f.bob.address, 1n]));
    });

    it('a blocked address cannot receive, and cannot be minted to', async () => {
      await blockAccount(f.bob.address);
      await f.refused(f.as(f.alice).write.transfer([f.bob.address, 1n]), 'ClearpegBlocked', [
        f.bob.address,
      ]);
      await f.refused(f.as(f.minter).write.mint([f.bob.address, 1n]), 'ClearpegBlocked', [
        f.bob.address,
      ]);
    });

    it('a blocked owner cannot approve; nobody can approve a blocked spender', async () => {
      await blockAccount(f.alice.address);
      await f.refused(f.as(f.alice).write.approve([f.carol.address, 1n]), 'ClearpegBlocked', [
        f.alice.address,
      ]);
      await f.refused(f.as(f.bob).write.approve([f.alice.address, 1n]), 'ClearpegBlocked', [
        f.alice.address,
      ]);
    });

    it('transferFrom is refused for a blocked spender, owner or recipient', async () => {
      await f.mined(f.as(f.alice).write.approve([f.carol.address, maxUint256]));
      await f.mined(f.as(f.bob).write.approve([f.carol.address, 100n]));
      const spend = (from: Address, to: Address) =>
        f.as(f.carol).write.transferFrom([from, to, 1n]);
      await blockAccount(f.carol.address);
      await f.refused(spend(f.alice.address, f.bob.address), 'ClearpegBlocked', [f.carol.address]);
      await f.mined(f.as(f.blocklister).write.unblock([f.carol.address]));
      await blockAccount(f.alice.address);
      await f.refused(spend(f.alice.address, f.bob.address), 'ClearpegBlocked', [f.alice.address]);
      await f.refused(spend(f.bob.address, f.alice.address), 'ClearpegBlocked', [f.alice.address]);
      await f.mined(spend(f.bob.address, f.carol.address));
    });

    it('a blocked redemption address cannot be burned from', async () => {
      await f.mined(f.as(f.alice).write.transfer([redemption, 5n]));
      await blockAccount(redemption);
      await f.refused(f.as(f.redeemer).write.burn([redemption, 5n]), 'ClearpegBlocked', [
        redemption,
      ]);
    });

    it('refuses to block address 0 (it would stop every mint and burn)', async () => {
      await f.refused(f.as(f.blocklister).write.block([zeroAddress]), 'ClearpegZeroAddress');
    });
  });

  describe('pause', () => {
    const paused = async () => {
      const receipt = await f.mined(f.as(f.pauser).write.pause());
      assert.deepEqual(f.events(receipt), [
        { eventName: 'Paused', args: { account: f.pauser.address } },
      ]);
      assert.equal(await f.as(f.admin).read.paused(), true);
    };

    it('stops transfer, transferFrom, mint, burn and the rescue of this token', async () => {
      await f.mined(f.as(f.alice).write.approve([f.carol.address, 10n]));
      await f.mined(f.as(f.alice).write.transfer([redemption, 10n]));
      await f.mined(f.as(f.alice).write.transfer([f.address, 10n]));
      const allowance = await f.as(f.admin).read.minterAllowance([f.minter.address]);
      await paused();
      const stopped = [
        () => f.as(f.alice).write.transfer([f.bob.address, 1n]),
        () => f.as(f.carol).write.transferFrom([f.alice.address, f.bob.address, 1n]),
        () => f.as(f.minter).write.mint([f.bob.address, 1n]),
        () => f.as(f.redeemer).write.burn([redemption, 1n]),
        () => f.as(f.rescuer).write.rescueERC20([f.address, f.bob.address, 1n]),
      ];
      for (const call of stopped) await f.refused(call(), 'EnforcedPause');
      assert.equal(await f.as(f.admin).read.minterAllowance([f.minter.address]), allowance);
    });

    it('does not stop approvals, the blocklist, roles, allowances or redemption addresses', async () => {
      await paused();
      await f.mined(f.as(f.alice).write.approve([f.carol.address, 10n]));
      await f.mined(f.as(f.blocklister).write.block([f.bob.address]));
      await f.mined(f.as(f.blocklister).write.unblock([f.bob.address]));
      await f.mined(f.as(f.admin).write.grantRole([roles.MINTER_ROLE, f.carol.address]));
      await f.mined(f.as(f.admin).write.revokeRole([roles.MINTER_ROLE, f.carol.address]));
      await f.mined(f.as(f.admin).write.setMinterAllowance([f.minter.address, 1n]));
      await f.mined(f.as(f.admin).write.setRedemptionAddress([f.bob.address, true]));
      assert.equal(await f.as(f.admin).read.allowance([f.alice.address, f.carol.address]), 10n);
    });

    it('unpauses with Unpaused; pausing twice or unpausing twice is refused', async () => {
      await paused();
      await f.refused(f.as(f.pauser).write.pause(), 'EnforcedPause');
      const receipt = await f.mined(f.as(f.pauser).write.unpause());
      assert.deepEqual(f.events(receipt), [
        { eventName: 'Unpaused', args: { account: f.pauser.address } },
      ]);
      assert.equal(await f.as(f.admin).read.paused(), false);
      await f.refused(f.as(f.pauser).write.unpause(), 'ExpectedPause');
      await f.mined(f.as(f.alice).write.transfer([f.bob.address, 1n]));
    });
  });

  describe('permit (ERC-2612)', () => {
    const permitOf = async (deadlineOffset: bigint, value = 77n) => {
      const deadline = (await f.latestTimestamp()) + deadlineOffset;
      const nonce = await f.as(f.alice).read.nonces([f.alice.address]);
      return f.signPermit(f.alice, { spender: f.carol.address, value, nonce, deadline });
    };
    const submit = (p: Awaited<ReturnType<typeof permitOf>>, by = f.bob) => {
      const m = p.typed.message;
      return f.as(by).write.permit([m.owner, m.spender, m.value, m.deadline, p.v, p.r, p.s]);
    };

    it('has the EIP-712 domain of the deployed token', async () => {
      const t = f.as(f.alice).read;
      const [fields, name, version, domainChainId, verifyingContract, salt, extensions] =
        await t.eip712Domain();
      assert.deepEqual(
        { fields, name, version, domainChainId, verifyingContract, salt, extensions },
        {
          fields: '0x0f',
          name: 'Clearpeg USD',
          version: '1',
          domainChainId: BigInt(chainId),
          verifyingContract: f.address,
          salt: toHex(0, { size: 32 }),
          extensions: [],
        },
      );
      // EIP-712 §hashStruct of the domain, written out: keccak256(typeHash ‖ fields).
      const typeHash = keccak256(
        toHex('EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)'),
      );
      const separator = keccak256(
        encodeAbiParameters(parseAbiParameters('bytes32, bytes32, bytes32, uint256, address'), [
          typeHash,
          keccak256(toHex(name)),
          keccak256(toHex(version)),
          BigInt(chainId),
          verifyingContract,
        ]),
      );
      assert.equal(await t.DOMAIN_SEPARATOR(), separator);
    });

    it('accepts a permit signed by the owner, from anyone, and spends its nonce', async () => {
      const permit = await permitOf(3600n);
      const receipt = await f.mined(submit(permit));
      assert.deepEqual(f.events(receipt), [
        {
          eventName: 'Approval',
          args: { owner: f.alice.address, spender: f.carol.address, value: 77n },
        },
      ]);
      assert.equal(await f.as(f.alice).read.allowance([f.alice.address, f.carol.address]), 77n);
      assert.equal(await f.as(f.alice).read.nonces([f.alice.address]), 1n);
      await f.mined(f.as(f.carol).write.transferFrom([f.alice.address, f.carol.address, 77n]));
    });

    it('refuses a replayed permit', async () => {
      const permit = await permitOf(3600n);
      await f.mined(submit(permit));
      const recovered = await recoverTypedDataAddress({
        ...permit.typed,
        message: { ...permit.typed.message, nonce: permit.typed.message.nonce + 1n },
        signature: permit.signature,
      });
      await f.refused(submit(permit), 'ERC2612InvalidSigner', [recovered, f.alice.address]);
    });

    it('refuses an expired permit', async () => {
      const permit = await permitOf(-1n);
      await f.refused(submit(permit), 'ERC2612ExpiredSignature', [permit.typed.message.deadline]);
    });

    it('refuses a permit signed by someone else, or malformed', async () => {
      const deadline = (await f.latestTimestamp()) + 3600n;
      const message = { spender: f.carol.address, value: 1n, nonce: 0n, deadline };
      const forged = await f.signPermit(f.alice, message, f.bob);
      await f.refused(submit(forged), 'ERC2612InvalidSigner', [f.bob.address, f.alice.address]);
      const m = forged.typed.message;
      const args = [m.owner, m.spender, m.value, m.deadline] as const;
      await f.refused(
        f.as(f.bob).write.permit([...args, 27, toHex(0, { size: 32 }), toHex(0, { size: 32 })]),
        'ECDSAInvalidSignature',
      );
      const highS = toHex(maxUint256, { size: 32 });
      await f.refused(
        f.as(f.bob).write.permit([...args, 27, forged.r, highS]),
        'ECDSAInvalidSignatureS',
        [highS],
      );
    });

    it('works while paused, but not for a blocked owner', async () => {
      await f.mined(f.as(f.pauser).write.pause());
      await f.mined(submit(await permitOf(3600n)));
      assert.equal(await f.as(f.alice).read.allowance([f.alice.address, f.carol.address]), 77n);
      await f.mined(f.as(f.blocklister).write.block([f.alice.address]));
      await f.refused(submit(await permitOf(3600n, 5n)), 'ClearpegBlocked', [f.alice.address]);
    });
  });

  describe('default admin transfer with a delay', () => {
    it('refuses address 0 as the first admin at deployment', async () => {
      const deploying = f.wallet(f.admin).deployContract({
        abi: clearpegTokenAbi,
        bytecode: clearpegTokenBytecode,
        args: ['T', 'T', adminDelaySeconds, zeroAddress],
      });
      // viem decodes function reverts only: read the constructor's revert data from the RPC error.
      await assert.rejects(deploying, (error: unknown) => {
        assert.ok(error instanceof BaseError);
        const rpc = error.walk((e) => e instanceof RpcRequestError);
        assert.ok(rpc instanceof RpcRequestError, error.shortMessage);
        const data = (
          typeof rpc.data === 'string' ? rpc.data : (rpc.data as { data: Hex }).data
        ) as Hex;
        const decoded = decodeErrorResult({ abi: clearpegTokenAbi, data });
        assert.equal(decoded.errorName, 'AccessControlInvalidDefaultAdmin');
        assert.deepEqual(decoded.args, [zeroAddress]);
        return true;
      });
    });

    it('starts with the deployer as admin and owner, the constructor delay, and nothing pending', async () => {
      const t = f.as(f.alice).read;
      assert.equal(await t.defaultAdmin(), f.admin.address);
      assert.equal(await t.owner(), f.admin.address);
      assert.equal(await t.defaultAdminDelay(), adminDelaySeconds);
      assert.equal(await t.defaultAdminDelayIncreaseWait(), 5 * 24 * 3600);
      assert.deepEqual(await t.pendingDefaultAdmin(), [zeroAddress, 0]);
      assert.deepEqual(await t.pendingDefaultAdminDelay(), [0, 0]);
    });

    it('refuses acceptance before the delay, by anyone else, and accepts after it', async () => {
      const begun = await f.mined(f.as(f.admin).write.beginDefaultAdminTransfer([f.heir.address]));
      const block = await f.publicClient.getBlock({ blockNumber: begun.blockNumber });
      const schedule = Number(block.timestamp) + adminDelaySeconds;
      assert.deepEqual(f.events(begun), [
        {
          eventName: 'DefaultAdminTransferScheduled',
          args: { newAdmin: f.heir.address, acceptSchedule: schedule },
        },
      ]);
      assert.deepEqual(await f.as(f.alice).read.pendingDefaultAdmin(), [f.heir.address, schedule]);
      await f.refused(
        f.as(f.heir).write.acceptDefaultAdminTransfer(),
        'AccessControlEnforcedDefaultAdminDelay',
        [schedule],
      );
      await f.refused(
        f.as(f.alice).write.acceptDefaultAdminTransfer(),
        'AccessControlInvalidDefaultAdmin',
        [f.alice.address],
      );
      await f.testClient.increaseTime({ seconds: adminDelaySeconds });
      await f.testClient.mine({ blocks: 1 });
      const accepted = await f.mined(f.as(f.heir).write.acceptDefaultAdminTransfer());
      assert.deepEqual(
        f.events(accepted).map((e) => e.eventName),
        ['RoleRevoked', 'RoleGranted'],
      );
      assert.equal(await f.as(f.alice).read.defaultAdmin(), f.heir.address);
      assert.equal(
        await f.as(f.alice).read.hasRole([roles.DEFAULT_ADMIN_ROLE, f.admin.address]),
        false,
      );
      await f.refused(
        f.as(f.admin).write.setMinterAllowance([f.minter.address, 1n]),
        'AccessControlUnauthorizedAccount',
        [f.admin.address, roles.DEFAULT_ADMIN_ROLE],
      );
      await f.mined(f.as(f.heir).write.setMinterAllowance([f.minter.address, 1n]));
    });

    it('cancels a pending transfer with DefaultAdminTransferCanceled', async () => {
      await f.mined(f.as(f.admin).write.beginDefaultAdminTransfer([f.heir.address]));
      const receipt = await f.mined(f.as(f.admin).write.cancelDefaultAdminTransfer());
      assert.deepEqual(f.events(receipt), [
        { eventName: 'DefaultAdminTransferCanceled', args: {} },
      ]);
      assert.deepEqual(await f.as(f.alice).read.pendingDefaultAdmin(), [zeroAddress, 0]);
    });

    it('schedules and rolls back a delay change, with events', async () => {
      const receipt = await f.mined(f.as(f.admin).write.changeDefaultAdminDelay([3600]));
      const [event] = f.events(receipt);
      assert.equal(event?.eventName, 'DefaultAdminDelayChangeScheduled');
      const [newDelay, effectSchedule] = await f.as(f.alice).read.pendingDefaultAdminDelay();
      assert.equal(newDelay, 3600);
      assert.deepEqual(event?.args, { newDelay: 3600, effectSchedule });
      const rolledBack = await f.mined(f.as(f.admin).write.rollbackDefaultAdminDelay());
      assert.deepEqual(f.events(rolledBack), [
        { eventName: 'DefaultAdminDelayChangeCanceled', args: {} },
      ]);
      assert.deepEqual(await f.as(f.alice).read.pendingDefaultAdminDelay(), [0, 0]);
    });

    it('refuses renouncing the admin role without a scheduled transfer to address 0', async () => {
      await f.refused(
        f.as(f.admin).write.renounceRole([roles.DEFAULT_ADMIN_ROLE, f.admin.address]),
        'AccessControlEnforcedDefaultAdminDelay',
        [0],
      );
    });
  });

  describe('rescue', () => {
    it('rescues this token sent to the contract, with TokensRescued', async () => {
      await f.mined(f.as(f.alice).write.transfer([f.address, 50n]));
      const receipt = await f.mined(
        f.as(f.rescuer).write.rescueERC20([f.address, f.bob.address, 30n]),
      );
      assert.deepEqual(f.events(receipt), [
        { eventName: 'Transfer', args: { from: f.address, to: f.bob.address, value: 30n } },
        {
          eventName: 'TokensRescued',
          args: { rescuer: f.rescuer.address, token: f.address, to: f.bob.address, amount: 30n },
        },
      ]);
      assert.equal(await f.as(f.admin).read.balanceOf([f.address]), 20n);
      assert.equal(await f.as(f.admin).read.balanceOf([f.bob.address]), bobInitial + 30n);
    });

    it('rescues another ERC-20 sent to the contract', async () => {
      const other = await f.deployToken('Other', 'OTH');
      await f.mined(f.as(f.admin, other).write.grantRole([roles.MINTER_ROLE, f.admin.address]));
      await f.mined(f.as(f.admin, other).write.setMinterAllowance([f.admin.address, 100n]));
      await f.mined(f.as(f.admin, other).write.mint([f.address, 100n]));
      const receipt = await f.mined(
        f.as(f.rescuer).write.rescueERC20([other, f.carol.address, 100n]),
      );
      assert.deepEqual(f.events(receipt, other), [
        { eventName: 'Transfer', args: { from: f.address, to: f.carol.address, value: 100n } },
      ]);
      assert.equal(await f.as(f.admin, other).read.balanceOf([f.carol.address]), 100n);
    });

    it('refuses address 0, more than the contract holds, and a token without code', async () => {
      const r = f.as(f.rescuer).write;
      await f.refused(r.rescueERC20([f.address, zeroAddress, 1n]), 'ClearpegZeroAddress');
      await f.refused(r.rescueERC20([f.address, f.bob.address, 1n]), 'ERC20InsufficientBalance', [
        f.address,
        0n,
        1n,
      ]);
      await f.refused(
        r.rescueERC20([f.carol.address, f.bob.address, 1n]),
        'SafeERC20FailedOperation',
        [f.carol.address],
      );
    });
  });

  describe('ERC-20 edge cases', () => {
    it('allows zero-amount transfer and transferFrom, with events', async () => {
      const receipt = await f.mined(f.as(f.alice).write.transfer([f.bob.address, 0n]));
      assert.deepEqual(f.events(receipt), [
        { eventName: 'Transfer', args: { from: f.alice.address, to: f.bob.address, value: 0n } },
      ]);
      const spent = await f.mined(
        f.as(f.carol).write.transferFrom([f.alice.address, f.bob.address, 0n]),
      );
      assert.equal(f.events(spent)[0]?.eventName, 'Transfer');
      assert.equal(await f.as(f.alice).read.balanceOf([f.alice.address]), aliceInitial);
    });

    it('a self-transfer keeps the balance and emits Transfer', async () => {
      const receipt = await f.mined(f.as(f.alice).write.transfer([f.alice.address, 10n]));
      assert.deepEqual(f.events(receipt), [
        {
          eventName: 'Transfer',
          args: { from: f.alice.address, to: f.alice.address, value: 10n },
        },
      ]);
      assert.equal(await f.as(f.alice).read.balanceOf([f.alice.address]), aliceInitial);
    });

    it('does not decrement a maximum allowance', async () => {
      await f.mined(f.as(f.alice).write.approve([f.carol.address, maxUint256]));
      const receipt = await f.mined(
        f.as(f.carol).write.transferFrom([f.alice.address, f.bob.address, 10n]),
      );
      assert.deepEqual(
        f.events(receipt).map((e) => e.eventName),
        ['Transfer'],
      );
      assert.equal(
        await f.as(f.alice).read.allowance([f.alice.address, f.carol.address]),
        maxUint256,
      );
    });

    it('a blocked spender cannot use even a maximum allowance (which is never rewritten)', async () => {
      await f.mined(f.as(f.alice).write.approve([f.carol.address, maxUint256]));
      await f.mined(f.as(f.blocklister).write.block([f.carol.address]));
      // Between unblocked owner and recipient: only the spender check can refuse it.
      await f.refused(
        f.as(f.carol).write.transferFrom([f.alice.address, f.bob.address, 1n]),
        'ClearpegBlocked',
        [f.carol.address],
      );
    });
  });

  describe('TransferSpray', () => {
    const recipients = Array.from({ length: 40 }, (_, i) =>
      getAddress(toHex(0x1000 + i, { size: 20 })),
    );
    const sprayAndTokenAbi = [...transferSprayAbi, ...clearpegTokenAbi] as const;
    const funded = async () => {
      const spray = await f.deployed(
        f
          .wallet(f.alice)
          .deployContract({ abi: transferSprayAbi, bytecode: transferSprayBytecode }),
      );
      await f.mined(f.as(f.alice).write.transfer([spray, 100n]));
      return spray;
    };
    const sprayFrom = (spray: Address) =>
      f.wallet(f.bob).writeContract({
        address: spray,
        abi: sprayAndTokenAbi,
        functionName: 'spray',
        args: [f.address, recipients, 2n],
      });

    it('sends to many recipients in one transaction, one Transfer event from the token each', async () => {
      const spray = await funded();
      const receipt = await f.mined(sprayFrom(spray));
      assert.deepEqual(
        f.events(receipt),
        recipients.map((to) => ({ eventName: 'Transfer', args: { from: spray, to, value: 2n } })),
      );
      assert.equal(await f.as(f.alice).read.balanceOf([spray]), 100n - 2n * 40n);
      assert.equal(await f.as(f.alice).read.balanceOf([recipients[39]!]), 2n);
    });

    it('reverts the whole spray when one transfer is refused', async () => {
      const spray = await funded();
      await f.mined(f.as(f.blocklister).write.block([recipients[7]!]));
      await f.refused(sprayFrom(spray), 'ClearpegBlocked', [recipients[7]]);
      assert.equal(await f.as(f.alice).read.balanceOf([spray]), 100n);
      assert.equal(await f.as(f.alice).read.balanceOf([recipients[0]!]), 0n);
    });
  });

  it('called every function and saw every reachable error of the ABI', () => {
    const functions = clearpegTokenAbi.filter((x) => x.type === 'function').map((x) => x.name);
    assert.deepEqual(
      functions.filter((name) => !f.seen.functions.has(name)),
      [],
    );
    const errors: string[] = clearpegTokenAbi.filter((x) => x.type === 'error').map((x) => x.name);
    assert.deepEqual(
      errors.filter((name) => !f.seen.errors.has(name) && !(name in unreachableErrors)),
      [],
    );
    assert.deepEqual(
      Object.keys(unreachableErrors).filter(
        (name) => f.seen.errors.has(name) || !errors.includes(name),
      ),
      [],
    );
  });
}

// ---------------------------------------------------------------- the two chains

describe('ClearpegToken on the in-process EVM', () => {
  let evm: InProcessChain;
  let f: Fixture;
  before(async () => {
    evm = await createInProcessChain({ chainId, initialDate: new Date('2026-01-01T00:00:00Z') });
    f = await setUp({ transport: custom(evm.provider), accounts: evm.accounts });
  });
  after(async () => {
    await evm?.close();
  });
  snapshotEachTest(() => f);

  it("funds the mnemonic's accounts on the chain id and from the date asked for", async () => {
    assert.equal(await f.publicClient.getChainId(), chainId);
    assert.deepEqual(evm.accounts, testAccounts(10));
    assert.equal(evm.accounts[0]?.address, '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266');
    assert.equal(
      await f.publicClient.getBalance({ address: evm.accounts[9]!.address }),
      testAccountBalanceWei,
    );
    const genesis = await f.publicClient.getBlock({ blockNumber: 0n });
    assert.equal(genesis.timestamp, BigInt(Date.UTC(2026, 0, 1) / 1000));
    assert.equal(genesis.gasLimit, BigInt(blockGasLimit));
  });

  it('reports a revert with code 3 and its data, which viem decodes without retrying', async () => {
    const data = encodeFunctionData({ abi: clearpegTokenAbi, functionName: 'pause' });
    const expected = encodeErrorResult({
      abi: clearpegTokenAbi,
      errorName: 'AccessControlUnauthorizedAccount',
      args: [f.alice.address, roles.PAUSER_ROLE],
    });
    await assert.rejects(
      evm.provider.request({
        method: 'eth_call',
        params: [{ from: f.alice.address, to: f.address, data }, 'latest'],
      }),
      (error: unknown) =>
        error instanceof RpcRequestError &&
        error.code === executionRevertedCode &&
        error.data === expected,
    );
    const methods: string[] = [];
    const counted = custom({
      request: (args: { method: string; params?: unknown }) => {
        methods.push(args.method);
        return evm.provider.request(args);
      },
    });
    const client = createPublicClient({ chain, transport: counted });
    await assert.rejects(
      client.simulateContract({
        address: f.address,
        abi: clearpegTokenAbi,
        functionName: 'pause',
        account: f.alice,
      }),
      (error: unknown) =>
        error instanceof BaseError &&
        error.walk((e) => e instanceof ContractFunctionRevertedError) instanceof
          ContractFunctionRevertedError,
    );
    assert.deepEqual(methods, ['eth_call']);
  });

  it('refuses requests once closed', async () => {
    const closing = await createInProcessChain({ chainId: 7, accountCount: 1 });
    assert.equal(await closing.provider.request({ method: 'eth_chainId' }), '0x7');
    await closing.close();
    await assert.rejects(
      closing.provider.request({ method: 'eth_chainId' }),
      /in-process chain 7 is closed/,
    );
  });

  tokenSuite(() => f);
});

describe('ClearpegToken on a hardhat node over HTTP', () => {
  let node: HardhatNode;
  let f: Fixture;
  before(async () => {
    node = await startHardhatNode({ chainId });
    // Hardhat answers a revert with -32603, which viem would retry three times (about 1 s).
    f = await setUp({ transport: http(node.url, { retryCount: 0 }), accounts: node.accounts });
  });
  after(async () => {
    await node?.stop();
  });
  describe('while it runs', () => {
    snapshotEachTest(() => f);

    it("serves the chain id asked for and the mnemonic's accounts on 127.0.0.1", async () => {
      assert.match(node.url, /^http:\/\/127\.0\.0\.1:[0-9]+$/);
      assert.equal(await f.publicClient.getChainId(), chainId);
      const owned = createWalletClient({ transport: http(node.url, { retryCount: 0 }) });
      assert.deepEqual(
        await owned.getAddresses(),
        testAccounts().map((a) => a.address),
      );
      assert.deepEqual(node.accounts, testAccounts());
      assert.equal(
        await f.publicClient.getBalance({ address: node.accounts[9]!.address }),
        testAccountBalanceWei,
      );
      assert.equal((await f.publicClient.getBlock()).gasLimit, BigInt(blockGasLimit));
    });

    tokenSuite(() => f);
  });

  it('stops the node by its PID', async () => {
    process.kill(node.pid, 0); // alive: signal 0 only checks
    await node.stop();
    assert.throws(() => process.kill(node.pid, 0), { code: 'ESRCH' });
  });
});

// ---------------------------------------------------------------- artifacts

describe('contract artifacts', () => {
  const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
  const build = (...args: string[]) =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', 'scripts/contracts-build.ts', ...args],
        {
          cwd: repoRoot,
        },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString('utf8');
      });
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8');
      });
      child.once('error', reject);
      child.once('close', (status) => resolve({ status, stdout, stderr }));
    });
  // A small checkout to compare: TransferSpray.sol changed, ClearpegToken.sol gone (so its
  // artifact is stale), no TypeScript module. Both checks start now and run beside the suites above.
  const tampered = mkdtempSync(join(tmpdir(), 'clearpeg-artifacts-'));
  for (const path of ['contracts/artifacts', 'contracts/test/TransferSpray.sol']) {
    cpSync(join(repoRoot, path), join(tampered, path), { recursive: true });
  }
  const spray = join(tampered, 'contracts/test/TransferSpray.sol');
  writeFileSync(spray, `${readFileSync(spray, 'utf8')}// changed\n`);
  // And one whose only contract draws a compiler warning nobody accepted.
  const warned = mkdtempSync(join(tmpdir(), 'clearpeg-artifacts-'));
  mkdirSync(join(warned, 'contracts'));
  writeFileSync(
    join(warned, 'contracts/Warned.sol'),
    '// SPDX-License-Identifier: Apache-2.0\npragma solidity ^0.8.24;\n' +
      'contract Warned { function f() external pure returns (uint256) { uint256 unused; return 1; } }\n',
  );
  const checks = Promise.all([
    build('--check'),
    build('--check', '--root', tampered),
    build('--check', '--root', warned),
  ]);
  after(() => {
    rmSync(tampered, { recursive: true, force: true });
    rmSync(warned, { recursive: true, force: true });
  });

  it('match a fresh compile of contracts/ (contracts-build --check)', async () => {
    const [{ status, stdout, stderr }] = await checks;
    assert.equal(status, 0, stderr);
    assert.match(stdout, /3 files match a fresh compile \(ClearpegToken, TransferSpray\)/);
  });

  it('--check exits 1 naming each file that differs, and only those', async () => {
    const [, { status, stderr }] = await checks;
    assert.equal(status, 1, stderr);
    const named = stderr.split('\n').filter((line) => line.startsWith('  '));
    assert.deepEqual(named, [
      '  contracts/artifacts/ClearpegToken.json: stale (no such contract under contracts/)',
      '  contracts/artifacts/TransferSpray.json: sources, bytecode, deployedBytecode differ',
      '  src/chain/artifacts.ts: missing',
    ]);
  });

  it('refuses to build past a compiler warning it does not accept (exit 2)', async () => {
    const [, , { status, stderr }] = await checks;
    assert.equal(status, 2, stderr);
    assert.match(stderr, /Warning: Unused local variable\.\n --> contracts\/Warned\.sol/);
  });
});
