/** Device twin document semantics: pure functions over a persisted TwinState (no I/O, no clock). */
export type { JsonObject, JsonPrimitive, JsonValue } from './json';
export { measureSection, TWIN_LIMITS, type TwinSectionName } from './limits';
export { emptyTwin, NEVER_UPDATED, type MetadataNode, type TwinPropertiesSection, type TwinState } from './twinState';
export { validatePatch } from './validatePatch';
export {
  applyPatch,
  replaceTwin,
  updateTwin,
  type TwinChangeNotificationBody,
  type TwinOperationResult,
  type TwinPatch,
  type TwinReplaceNotificationBody,
} from './twinOperations';
export {
  desiredPatchForDevice,
  deviceTwinView,
  serviceTwinSections,
  twinEtag,
  type DeviceSection,
  type RenderedSection,
  type ServiceTwinSections,
} from './twinViews';
