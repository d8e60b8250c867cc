// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/**
 * @title Transfer spray (test helper, never deployed in production)
 * @notice Holds tokens and sends them to many recipients in one transaction, so that a
 * benchmark can make many Transfer events from a token's address with few transactions.
 * Anyone can spray what it holds: fund it only with test tokens.
 */
contract TransferSpray {
    /// @notice `token.transfer` returned false for `recipient`.
    error TransferSprayFailed(address token, address recipient);

    /**
     * @notice Calls `token.transfer(recipient, amountEach)` for every recipient, in order.
     * @dev Emits one Transfer event from `token` per recipient; reverts the whole spray if one
     * transfer reverts or returns false.
     */
    function spray(IERC20 token, address[] calldata recipients, uint256 amountEach) external {
        for (uint256 i = 0; i < recipients.length; ++i) {
            if (!token.transfer(recipients[i], amountEach)) {
                revert TransferSprayFailed(address(token), recipients[i]);
            }
        }
    }
}
