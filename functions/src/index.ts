/**
 * The function app's entry point (the package's `main`). Each module registers the functions it
 * defines when it is loaded; importing them all is the whole app:
 *
 *   orchestrations  rollout, rolloutWave, rolloutBatch, rolloutDevice
 *   activities      resolveTargets, invokeFirmwareUpdate, readDeviceTwin, sendEvent
 *   entities        rolloutControl, rolloutLedger, deviceShard, rolloutCatalog
 *   HTTP            createRollout, listRollouts, getRollout, listRolloutDevices, getRolloutDevice,
 *                   pauseRollout, resumeRollout, approveRollout, cancelRollout
 *   Event Hubs      twinChanges
 */
import './orchestrators/rollout';
import './orchestrators/wave';
import './orchestrators/batch';
import './orchestrators/device';
import './activities/resolveTargets';
import './activities/invokeFirmwareUpdate';
import './activities/readDeviceTwin';
import './activities/sendEvent';
import './entities/rolloutControl';
import './entities/rolloutLedger';
import './entities/deviceShard';
import './entities/rolloutCatalog';
import './http/rollouts';
import './http/devices';
import './http/control';
import './events/twinChanges';
