/**
 * The function app's entry point (the package's `main`). Each module registers the functions it
 * defines when it is loaded; importing them all is the whole app:
 *
 *   orchestrations  rollout, rolloutWave, rolloutBatch (a batch and the tracker of its devices)
 *   activities      resolveTargets, invokeFirmwareUpdate, readDeviceTwins
 *   entities        rolloutControl, rolloutLedger, deviceShard, rolloutCatalog
 *   HTTP            createRollout, listRollouts, getRollout, listRolloutDevices, getRolloutDevice,
 *                   pauseRollout, resumeRollout, approveRollout, cancelRollout
 *   Event Hubs      twinChanges
 */
import './orchestrators/rollout';
import './orchestrators/wave';
import './orchestrators/batch';
import './activities/resolveTargets';
import './activities/invokeFirmwareUpdate';
import './activities/readDeviceTwins';
import './entities/rolloutControl';
import './entities/rolloutLedger';
import './entities/deviceShard';
import './entities/rolloutCatalog';
import './entities/hubBudget';
import './http/rollouts';
import './http/devices';
import './http/control';
import './events/twinChanges';
