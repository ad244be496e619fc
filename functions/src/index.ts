/**
 * The function app's entry point (the package's `main`). Each module registers the functions it
 * defines when it is loaded; importing them all is the whole app:
 *
 *   orchestrations  rollout, rolloutWave, rolloutBatch (a batch and the tracker of its devices)
 *   activities      resolveTargets, invokeFirmwareUpdate, readDeviceTwins
 *   entities        rolloutControl, rolloutLedger, deviceShard, rolloutCatalog
 *   HTTP            createRollout, listRollouts, getRollout, listRolloutDevices, getRolloutDevice,
 *                   pauseRollout, resumeRollout, approveRollout, cancelRollout, retryRollout, dashboard,
 *                   dashboardAsset
 *   Event Hubs      twinChanges
 */
import './orchestrators/rollout';
import './orchestrators/wave';
import './orchestrators/batch';
import './activities/resolveTargets';
import './activities/invokeFirmwareUpdate';
import './activities/readDeviceTwins';
import './entities/rolloutControlEntity';
import './entities/rolloutLedgerEntity';
import './entities/deviceShardEntity';
import './entities/rolloutCatalogEntity';
import './entities/hubBudgetEntity';
import './http/rollouts';
import './http/devices';
import './http/control';
import './http/retry';
import './http/dashboard';
import './events/twinChanges';
