// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ERC20Pausable} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Pausable.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/**
 * @title Clearpeg token
 * @notice A fiat-backed stablecoin: 1 token (10^6 units) for 1 USD held in reserve.
 * @dev ERC-20 with 6 decimals and ERC-2612 permit. Roles: a single default admin that can only
 * be handed over with a delay (AccessControlDefaultAdminRules); minters that each spend an
 * allowance only the admin sets (Circle's model); pausers; blocklisters; redeemers that burn
 * only from issuer redemption addresses the admin marks; rescuers of tokens sent here.
 * Pause stops every balance change (transfer, mint, burn) and nothing else. A blocked address
 * cannot send, receive, approve, be approved, or spend an allowance.
 */
contract ClearpegToken is ERC20, ERC20Pausable, ERC20Permit, AccessControlDefaultAdminRules {
    using SafeERC20 for IERC20;

    /// @notice Mints within its own allowance.
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");
    /// @notice Pauses and unpauses every balance change.
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");
    /// @notice Blocks and unblocks accounts.
    bytes32 public constant BLOCKLISTER_ROLE = keccak256("BLOCKLISTER_ROLE");
    /// @notice Burns tokens held by issuer redemption addresses.
    bytes32 public constant REDEEMER_ROLE = keccak256("REDEEMER_ROLE");
    /// @notice Sends away ERC-20 tokens held by this contract.
    bytes32 public constant RESCUER_ROLE = keccak256("RESCUER_ROLE");

    mapping(address minter => uint256) private _minterAllowances;
    mapping(address account => bool) private _blocked;
    mapping(address account => bool) private _redemptionAddresses;

    /// @notice `minter`'s allowance went from `previous` to `amount`: set by the admin, or 0 on losing the role.
    event MinterAllowanceSet(address indexed minter, uint256 previous, uint256 amount);
    /// @notice `minter` minted `amount` to `to` (beside the ERC-20 Transfer from address 0).
    event Minted(address indexed minter, address indexed to, uint256 amount);
    /// @notice `redeemer` burned `amount` held by the redemption address `from` (beside the Transfer to address 0).
    event Burned(address indexed redeemer, address indexed from, uint256 amount);
    /// @notice `account` can no longer send, receive, approve, be approved or spend an allowance.
    event Blocked(address indexed account);
    /// @notice `account` is no longer blocked.
    event Unblocked(address indexed account);
    /// @notice The admin marked (`isRedemption` true) or unmarked `account` as an issuer redemption address.
    event RedemptionAddressSet(address indexed account, bool isRedemption);
    /// @notice `rescuer` sent `amount` of `token`, held by this contract, to `to`.
    event TokensRescued(address indexed rescuer, address indexed token, address indexed to, uint256 amount);

    /// @notice `account` is blocked.
    error ClearpegBlocked(address account);
    /// @notice `minter` asked to mint `amount` with only `allowance` left.
    error ClearpegMinterAllowanceExceeded(address minter, uint256 allowance, uint256 amount);
    /// @notice `account` is not an issuer redemption address, so it cannot be burned from.
    error ClearpegNotRedemptionAddress(address account);
    /// @notice An address argument was the zero address.
    error ClearpegZeroAddress();

    /**
     * @param name_ The token name, also the EIP-712 domain name of permits (version "1").
     * @param symbol_ The token symbol.
     * @param initialAdminDelay Seconds between beginning and accepting a default admin transfer.
     * @param initialAdmin The first holder of DEFAULT_ADMIN_ROLE; it grants every other role.
     */
    constructor(string memory name_, string memory symbol_, uint48 initialAdminDelay, address initialAdmin)
        ERC20(name_, symbol_)
        ERC20Permit(name_)
        AccessControlDefaultAdminRules(initialAdminDelay, initialAdmin)
    {}

    /// @notice 6: one token is 1,000,000 units, one unit is one micro-dollar.
    function decimals() public pure override returns (uint8) {
        return 6;
    }

    // ---------------------------------------------------------------- minting and burning

    /**
     * @notice Mints `amount` to `to` and spends as much of the caller's minter allowance.
     * @dev Reverts with ClearpegMinterAllowanceExceeded past the allowance, EnforcedPause when
     * paused, ClearpegBlocked when `to` is blocked, ERC20InvalidReceiver for address 0.
     */
    function mint(address to, uint256 amount) external onlyRole(MINTER_ROLE) {
        address minter = _msgSender();
        uint256 allowance_ = _minterAllowances[minter];
        if (amount > allowance_) revert ClearpegMinterAllowanceExceeded(minter, allowance_, amount);
        unchecked {
            _minterAllowances[minter] = allowance_ - amount;
        }
        _mint(to, amount);
        emit Minted(minter, to, amount);
    }

    /**
     * @notice Burns `amount` held by the issuer redemption address `from`.
     * @dev Needs no ERC-20 allowance: only addresses the admin marked can be burned from.
     */
    function burn(address from, uint256 amount) external onlyRole(REDEEMER_ROLE) {
        if (!_redemptionAddresses[from]) revert ClearpegNotRedemptionAddress(from);
        _burn(from, amount);
        emit Burned(_msgSender(), from, amount);
    }

    /// @notice What `minter` may still mint.
    function minterAllowance(address minter) external view returns (uint256) {
        return _minterAllowances[minter];
    }

    /// @notice Sets what `minter` may still mint to `amount` (raising or lowering it).
    function setMinterAllowance(address minter, uint256 amount) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (minter == address(0)) revert ClearpegZeroAddress();
        _setMinterAllowance(minter, amount);
    }

    /// @notice Whether `account` is an issuer redemption address that REDEEMER_ROLE may burn from.
    function isRedemptionAddress(address account) external view returns (bool) {
        return _redemptionAddresses[account];
    }

    /// @notice Marks (`isRedemption` true) or unmarks `account` as an issuer redemption address.
    function setRedemptionAddress(address account, bool isRedemption) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (account == address(0)) revert ClearpegZeroAddress();
        _redemptionAddresses[account] = isRedemption;
        emit RedemptionAddressSet(account, isRedemption);
    }

    // ---------------------------------------------------------------- pause and blocklist

    /// @notice Stops every transfer, mint and burn until unpause. Reverts EnforcedPause if paused.
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    /// @notice Lets transfers, mints and burns through again. Reverts ExpectedPause if not paused.
    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    /// @notice Whether `account` is blocked.
    function isBlocked(address account) external view returns (bool) {
        return _blocked[account];
    }

    /// @notice Blocks `account` (also while paused). Blocking a blocked account emits again.
    function block(address account) external onlyRole(BLOCKLISTER_ROLE) {
        if (account == address(0)) revert ClearpegZeroAddress();
        _blocked[account] = true;
        emit Blocked(account);
    }

    /// @notice Unblocks `account` (also while paused).
    function unblock(address account) external onlyRole(BLOCKLISTER_ROLE) {
        _blocked[account] = false;
        emit Unblocked(account);
    }

    // ---------------------------------------------------------------- rescue

    /**
     * @notice Sends `amount` of the ERC-20 `token` held by this contract to `to`; `token` may be
     * this token, in which case it is an ordinary transfer (refused while paused or to a blocked
     * address).
     */
    function rescueERC20(IERC20 token, address to, uint256 amount) external onlyRole(RESCUER_ROLE) {
        if (to == address(0)) revert ClearpegZeroAddress();
        token.safeTransfer(to, amount);
        emit TokensRescued(_msgSender(), address(token), to, amount);
    }

    // ---------------------------------------------------------------- ERC-20 hooks

    /// @notice ERC-20 transferFrom; the caller must not be blocked, even with an unlimited allowance.
    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        _requireNotBlocked(_msgSender());
        return super.transferFrom(from, to, value);
    }

    /// @dev Every balance change: refused while paused (ERC20Pausable) or when a party is blocked.
    function _update(address from, address to, uint256 value) internal override(ERC20, ERC20Pausable) {
        _requireNotBlocked(from);
        _requireNotBlocked(to);
        super._update(from, to, value);
    }

    /// @dev Every allowance change (approve, permit, spending): refused when a party is blocked.
    function _approve(address owner, address spender, uint256 value, bool emitEvent) internal override {
        _requireNotBlocked(owner);
        _requireNotBlocked(spender);
        super._approve(owner, spender, value, emitEvent);
    }

    /// @dev A minter whose role is revoked or renounced keeps no allowance to come back to.
    function _revokeRole(bytes32 role, address account) internal override returns (bool revoked) {
        revoked = super._revokeRole(role, account);
        if (revoked && role == MINTER_ROLE && _minterAllowances[account] != 0) {
            _setMinterAllowance(account, 0);
        }
    }

    function _setMinterAllowance(address minter, uint256 amount) private {
        emit MinterAllowanceSet(minter, _minterAllowances[minter], amount);
        _minterAllowances[minter] = amount;
    }

    function _requireNotBlocked(address account) private view {
        if (_blocked[account]) revert ClearpegBlocked(account);
    }
}
