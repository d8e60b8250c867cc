// Configures `hardhat node` only: src/chain/evm.ts `startHardhatNode` runs it with this file,
// and the chain id from CLEARPEG_HARDHAT_CHAIN_ID. The in-process chain (`createInProcessChain`)
// reads no config and mirrors these settings. Hardhat compiles nothing here: contracts are
// compiled by scripts/contracts-build.ts with solc-js (`npm run contracts:build`), so never run
// `hardhat compile` (it would try to download a compiler).
module.exports = {
  networks: {
    hardhat: {
      chainId: Number(process.env.CLEARPEG_HARDHAT_CHAIN_ID ?? 31337),
      hardfork: 'cancun',
      blockGasLimit: 60_000_000,
      mining: { auto: true, interval: 0 },
      // Like a production node: a reverted transaction is mined with status 0, not thrown.
      throwOnTransactionFailures: false,
      throwOnCallFailures: true,
      accounts: {
        mnemonic: 'test test test test test test test test test test test junk',
        count: 10,
        accountsBalance: '10000000000000000000000',
      },
    },
  },
  // Keeps Hardhat's own folders out of the repository's (it only watches them for build info).
  paths: { artifacts: './tmp/hardhat/artifacts', cache: './tmp/hardhat/cache' },
};
