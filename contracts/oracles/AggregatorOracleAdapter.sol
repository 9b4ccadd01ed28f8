// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IIndexOracle} from "../interfaces/IIndexOracle.sol";

/// @dev The Chainlink-style aggregator surface this adapter reads.
interface IAggregatorV3 {
    function decimals() external view returns (uint8);
    function latestRoundData()
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);
}

/// @title AggregatorOracleAdapter
/// @notice The production index (SPEC §4): a Chainlink-style aggregator, scaled to 18 decimals, with
/// an optional L2 sequencer uptime feed. Anything it cannot vouch for is reported as `updatedAt = 0`
/// so the clearinghouse treats the index as stale instead of trading on it.
contract AggregatorOracleAdapter is IIndexOracle {
    error AggregatorDecimalsTooLarge(uint8 decimals);

    IAggregatorV3 public immutable aggregator;
    /// @notice Sequencer uptime feed (answer 0 = up); zero address on L1.
    IAggregatorV3 public immutable sequencerFeed;
    /// @notice How long after the sequencer comes back up prices are still distrusted.
    uint256 public immutable sequencerGracePeriod;
    uint256 private immutable _scale;

    constructor(IAggregatorV3 aggregator_, IAggregatorV3 sequencerFeed_, uint256 sequencerGracePeriod_) {
        uint8 d = aggregator_.decimals();
        if (d > 18) revert AggregatorDecimalsTooLarge(d);
        aggregator = aggregator_;
        sequencerFeed = sequencerFeed_;
        sequencerGracePeriod = sequencerGracePeriod_;
        _scale = 10 ** (18 - d);
    }

    /// @inheritdoc IIndexOracle
    function latestIndex() external view returns (uint256 price, uint256 updatedAt) {
        if (address(sequencerFeed) != address(0)) {
            (, int256 status, uint256 startedAt,,) = sequencerFeed.latestRoundData();
            if (status != 0 || startedAt == 0 || block.timestamp - startedAt <= sequencerGracePeriod) return (0, 0);
        }
        (uint80 roundId, int256 answer,, uint256 roundUpdatedAt, uint80 answeredInRound) = aggregator.latestRoundData();
        if (answer <= 0 || roundUpdatedAt == 0 || answeredInRound < roundId || roundUpdatedAt > block.timestamp) {
            return (0, 0);
        }
        return (uint256(answer) * _scale, roundUpdatedAt);
    }
}
