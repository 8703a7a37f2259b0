// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {IERC1155Receiver} from "@openzeppelin/contracts/token/ERC1155/IERC1155Receiver.sol";

/// @title ReentrantReceiver
/// @notice Test-only ERC-1155 holder contract. Depending on its mode it accepts, rejects (wrong magic
/// value or a revert) or, once armed, re-enters arbitrary contracts from inside
/// `onERC1155Received` / `onERC1155BatchReceived` with a scripted list of calls. Each re-entrant
/// call's outcome (success flag and return or revert data) is recorded so tests can assert the exact
/// error; with `bubble` set, the first failing call's revert data is re-thrown from the hook.
/// @dev Not deployed outside tests; excluded from coverage.
contract ReentrantReceiver is IERC1155Receiver {
    enum Mode {
        Accept,
        RejectValue,
        RejectRevert
    }

    struct CallResult {
        bool success;
        bytes data;
    }

    struct Hook {
        address operator;
        address from;
        uint256 id;
        uint256 value;
        bool batch;
    }

    Mode public mode;
    bool public armed;
    bool public bubble;
    address[] private _targets;
    bytes[] private _payloads;
    CallResult[] private _results;
    Hook[] private _hooks;

    event HookCalled(address indexed operator, address indexed from, uint256 id, uint256 value, bool batch);
    event Reentered(uint256 indexed index, address indexed target, bool success, bytes data);

    error Rejected();
    error LengthMismatch();

    /// @notice Sets how the hooks answer when not armed.
    function setMode(Mode mode_) external {
        mode = mode_;
    }

    /// @notice Schedules `payloads[i]` to be called on `targets[i]` from inside the next receive hook
    /// (one shot: the hook disarms itself before calling out).
    function arm(address[] calldata targets, bytes[] calldata payloads, bool bubble_) external {
        if (targets.length != payloads.length) revert LengthMismatch();
        delete _targets;
        delete _payloads;
        for (uint256 i; i < targets.length; ++i) {
            _targets.push(targets[i]);
            _payloads.push(payloads[i]);
        }
        bubble = bubble_;
        armed = true;
    }

    /// @notice Calls `target` with `data` as this contract, bubbling any revert.
    function execute(address target, bytes calldata data) external returns (bytes memory result) {
        bool ok;
        // solhint-disable-next-line avoid-low-level-calls
        (ok, result) = target.call(data);
        if (!ok) _revertWith(result);
    }

    /// @notice Calls every `targets[i]` with `payloads[i]` as this contract within one transaction,
    /// recording each outcome like a re-entrant call (no bubbling): lets tests check that a
    /// privileged call leaves no transaction-scoped state (e.g. a transient flag) behind.
    function executeAll(address[] calldata targets, bytes[] calldata payloads) external {
        if (targets.length != payloads.length) revert LengthMismatch();
        for (uint256 i; i < targets.length; ++i) {
            // solhint-disable-next-line avoid-low-level-calls
            (bool ok, bytes memory data) = targets[i].call(payloads[i]);
            _results.push(CallResult({success: ok, data: data}));
            emit Reentered(_results.length - 1, targets[i], ok, data);
        }
    }

    /// @notice Number of recorded re-entrant call results.
    function resultCount() external view returns (uint256) {
        return _results.length;
    }

    /// @notice Outcome of the `index`-th re-entrant call.
    function result(uint256 index) external view returns (bool success, bytes memory data) {
        CallResult memory r = _results[index];
        return (r.success, r.data);
    }

    /// @notice Number of receive hooks seen.
    function hookCount() external view returns (uint256) {
        return _hooks.length;
    }

    /// @notice The `index`-th receive hook's arguments.
    function hook(uint256 index) external view returns (Hook memory) {
        return _hooks[index];
    }

    /// @inheritdoc IERC1155Receiver
    function onERC1155Received(address operator, address from, uint256 id, uint256 value, bytes calldata)
        external
        returns (bytes4)
    {
        _record(operator, from, id, value, false);
        return _answer(IERC1155Receiver.onERC1155Received.selector);
    }

    /// @inheritdoc IERC1155Receiver
    function onERC1155BatchReceived(
        address operator,
        address from,
        uint256[] calldata ids,
        uint256[] calldata values,
        bytes calldata
    ) external returns (bytes4) {
        for (uint256 i; i < ids.length; ++i) {
            _record(operator, from, ids[i], values[i], true);
        }
        return _answer(IERC1155Receiver.onERC1155BatchReceived.selector);
    }

    /// @inheritdoc IERC165
    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == type(IERC1155Receiver).interfaceId || interfaceId == type(IERC165).interfaceId;
    }

    function _record(address operator, address from, uint256 id, uint256 value, bool batch) private {
        _hooks.push(Hook({operator: operator, from: from, id: id, value: value, batch: batch}));
        emit HookCalled(operator, from, id, value, batch);
    }

    function _answer(bytes4 accept) private returns (bytes4) {
        if (armed) {
            armed = false;
            for (uint256 i; i < _targets.length; ++i) {
                // solhint-disable-next-line avoid-low-level-calls
                (bool ok, bytes memory data) = _targets[i].call(_payloads[i]);
                _results.push(CallResult({success: ok, data: data}));
                emit Reentered(_results.length - 1, _targets[i], ok, data);
                if (!ok && bubble) _revertWith(data);
            }
            return accept;
        }
        if (mode == Mode.RejectValue) return bytes4(0xdeadbeef);
        if (mode == Mode.RejectRevert) revert Rejected();
        return accept;
    }

    function _revertWith(bytes memory data) private pure {
        assembly ("memory-safe") {
            revert(add(data, 0x20), mload(data))
        }
    }
}
