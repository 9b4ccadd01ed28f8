// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {Arrays} from "@openzeppelin/contracts/utils/Arrays.sol";
import {IIndexOracle} from "../interfaces/IIndexOracle.sol";

/// @title MedianOracle
/// @notice The devnet index: the median of the latest reports of several reporters, so that no single
/// source can move the index (a single-source index is how one venue liquidated on an 18% wick).
/// @dev Only reports younger than `maxReportAge` count; with fewer than `quorum` of them the index
/// reports `updatedAt = 0` and the clearinghouse treats it as stale.
contract MedianOracle is IIndexOracle, AccessManaged {
    struct Report {
        uint128 price;
        uint64 timestamp;
    }

    error MedianOracleNotReporter(address caller);
    error MedianOracleZeroPrice();
    error MedianOraclePriceTooLarge(uint256 price);
    error MedianOracleAlreadyReporter(address reporter);
    error MedianOracleBadQuorum(uint256 quorum, uint256 reporters);

    event ReporterAdded(address indexed reporter);
    event ReporterRemoved(address indexed reporter);
    event QuorumChanged(uint256 quorum, uint256 maxReportAge);
    event PriceReported(address indexed reporter, uint256 price, uint256 timestamp);

    string public description;
    uint256 public quorum;
    uint256 public maxReportAge;
    address[] private _reporters;
    mapping(address reporter => Report) private _reports;
    mapping(address reporter => bool) public isReporter;
    /// @dev The index as of the last report: the median and the time of its oldest input.
    Report private _median;

    constructor(address authority, string memory description_, uint256 quorum_, uint256 maxReportAge_)
        AccessManaged(authority)
    {
        description = description_;
        quorum = quorum_;
        maxReportAge = maxReportAge_;
        emit QuorumChanged(quorum_, maxReportAge_);
    }

    function addReporter(address reporter) external restricted {
        if (isReporter[reporter]) revert MedianOracleAlreadyReporter(reporter);
        isReporter[reporter] = true;
        _reporters.push(reporter);
        emit ReporterAdded(reporter);
    }

    function removeReporter(address reporter) external restricted {
        if (!isReporter[reporter]) revert MedianOracleNotReporter(reporter);
        isReporter[reporter] = false;
        uint256 n = _reporters.length;
        for (uint256 i; i < n; ++i) {
            if (_reporters[i] == reporter) {
                _reporters[i] = _reporters[n - 1];
                _reporters.pop();
                break;
            }
        }
        delete _reports[reporter];
        if (quorum > _reporters.length) revert MedianOracleBadQuorum(quorum, _reporters.length);
        emit ReporterRemoved(reporter);
        _recompute();
    }

    function setQuorum(uint256 quorum_, uint256 maxReportAge_) external restricted {
        if (quorum_ == 0 || quorum_ > _reporters.length) revert MedianOracleBadQuorum(quorum_, _reporters.length);
        quorum = quorum_;
        maxReportAge = maxReportAge_;
        emit QuorumChanged(quorum_, maxReportAge_);
    }

    /// @notice A reporter publishes its price (18 decimals).
    function report(uint256 price) external {
        if (!isReporter[msg.sender]) revert MedianOracleNotReporter(msg.sender);
        if (price == 0) revert MedianOracleZeroPrice();
        if (price > type(uint128).max) revert MedianOraclePriceTooLarge(price);
        _reports[msg.sender] = Report(uint128(price), uint64(block.timestamp));
        emit PriceReported(msg.sender, price, block.timestamp);
        _recompute();
    }

    function reporters() external view returns (address[] memory) {
        return _reporters;
    }

    /// @inheritdoc IIndexOracle
    /// @dev The median is computed when a report arrives (or the reporter set or quorum changes),
    /// not on read: the clearinghouse reads the index on every batch and liquidation, and a read
    /// of one slot costs ~2k gas instead of ~19k for every reporter's report. `updatedAt` is the
    /// time of the oldest report the median used, so the index is never fresher than its inputs;
    /// the clearinghouse's `maxIndexAge` (shorter than `maxReportAge`) judges it at read time.
    function latestIndex() external view returns (uint256 price, uint256 updatedAt) {
        Report memory m = _median;
        return (m.price, m.timestamp);
    }

    /// @dev The median of the reports no older than `maxReportAge` now; (0, 0) below quorum.
    function _recompute() private {
        uint256 n = _reporters.length;
        uint256[] memory prices = new uint256[](n);
        uint256 fresh;
        uint256 oldest = type(uint256).max;
        for (uint256 i; i < n; ++i) {
            Report memory r = _reports[_reporters[i]];
            if (r.timestamp == 0 || block.timestamp - r.timestamp > maxReportAge) continue;
            prices[fresh++] = r.price;
            if (r.timestamp < oldest) oldest = r.timestamp;
        }
        if (fresh == 0 || fresh < quorum) {
            delete _median;
            return;
        }
        assembly ("memory-safe") {
            mstore(prices, fresh) // shrink to the fresh reports
        }
        Arrays.sort(prices);
        uint256 median = fresh % 2 == 1 ? prices[fresh / 2] : (prices[fresh / 2 - 1] + prices[fresh / 2]) / 2;
        _median = Report(uint128(median), uint64(oldest));
    }
}
