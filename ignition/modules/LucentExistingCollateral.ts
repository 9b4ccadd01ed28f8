import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { defineLucent } from "./Lucent.js";

/**
 * Lucent on a network whose collateral tokens already exist: parameters `usdToken` and `xbtToken`
 * (addresses, required) replace the mock tokens of `LucentModule`; every other parameter is the same.
 *
 *   npx hardhat ignition deploy ignition/modules/LucentExistingCollateral.ts --network remote \
 *     --parameters ignition/parameters/<network>.json
 */
export const LucentExistingCollateralModule = buildModule("LucentExistingCollateral", (m) =>
  defineLucent(m, {
    usdToken: m.getParameter<string>("usdToken"),
    xbtToken: m.getParameter<string>("xbtToken"),
  }),
);

export default LucentExistingCollateralModule;
