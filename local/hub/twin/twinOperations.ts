import { ErrorBodyStyle } from '../errors/IotHubError';
import { IotHubErrorFactory } from '../errors/IotHubErrorFactory';
import { cloneJson, JsonObject } from './json';
import { measureSection, SECTION_LABEL, TWIN_LIMITS, TwinSectionName } from './limits';
import { mergeSection, mergeTags, MetadataStamp } from './mergePatch';
import { TwinPropertiesSection, TwinState } from './twinState';
import {
  desiredPatchForDevice,
  DeviceSection,
  RenderedSection,
  renderPatchMetadata,
  serviceTwinSections,
  ServiceTwinSections,
  twinEtag,
} from './twinViews';
import { validatePatch } from './validatePatch';

/** Patches for one operation, by section. Which sections a caller may write is the caller's rule. */
export type TwinPatch = Partial<Record<TwinSectionName, JsonObject>>;

/**
 * Body of the twin change event (opType updateTwin) IoT Hub routes to twinChangeEvents: the new
 * twin version, the tags patch as sent, and for each property section the patch as sent (deleted
 * properties as null) with the `$metadata` of the nodes it wrote and the section's new `$version`.
 */
export interface TwinChangeNotificationBody {
  version: number;
  tags?: JsonObject;
  properties?: { desired?: RenderedSection; reported?: RenderedSection };
}

/** Body of the twin change event for opType replaceTwin: the whole twin. */
export type TwinReplaceNotificationBody = { deviceId: string; etag: string; version: number } & ServiceTwinSections;

export interface TwinOperationResult<N> {
  state: TwinState;
  notification: N;
  /** Present when desired properties changed: the body to publish on $iothub/twin/PATCH/properties/desired/. */
  desiredPatch?: DeviceSection;
}

/**
 * One update operation (service PATCH /twins/{id}, or a device's reported patch): validates every
 * section patch, merges it, stamps metadata with `now`, bumps the twin version once and each
 * touched section's `$version` once. If any section would exceed its size limit nothing is applied.
 * A patch that changes no value still counts as an update, as on IoT Hub.
 */
export function updateTwin(
  state: TwinState,
  patch: TwinPatch,
  now: string,
  style: ErrorBodyStyle = 'nested',
): TwinOperationResult<TwinChangeNotificationBody> {
  const { tags, desired, reported } = validSections(patch, style, 'The twin patch contains neither tags nor properties.');

  const next: TwinState = { ...state, version: state.version + 1 };
  const notification: TwinChangeNotificationBody = { version: next.version };
  if (tags !== undefined) {
    next.tags = mergeTags(state.tags, tags);
    checkSize('tags', next.tags, style);
    notification.tags = cloneJson(tags);
  }
  const properties: NonNullable<TwinChangeNotificationBody['properties']> = {};
  if (desired !== undefined) {
    next.desired = patchSection(state.desired, desired, now, true);
    checkSize('desired', next.desired.properties, style);
    properties.desired = notifiedSection(desired, next.desired);
  }
  if (reported !== undefined) {
    next.reported = patchSection(state.reported, reported, now, false);
    checkSize('reported', next.reported.properties, style);
    properties.reported = notifiedSection(reported, next.reported);
  }
  if (desired !== undefined || reported !== undefined) notification.properties = properties;

  const result: TwinOperationResult<TwinChangeNotificationBody> = { state: next, notification };
  if (desired !== undefined) result.desiredPatch = desiredPatchForDevice(desired, next.desired.version);
  return result;
}

/** Single-section form of updateTwin, e.g. a device's PATCH of reported properties. */
export function applyPatch(
  state: TwinState,
  section: TwinSectionName,
  patch: JsonObject,
  now: string,
  style: ErrorBodyStyle = 'nested',
): TwinOperationResult<TwinChangeNotificationBody> {
  return updateTwin(state, { [section]: patch }, now, style);
}

/**
 * Service PUT /twins/{id}: replaces tags and/or desired properties wholesale (a section left out
 * is kept). Every desired node is stamped with `now` and the new `$version`; nulls in a
 * replacement document create nothing. The device is sent the whole new desired document.
 */
export function replaceTwin(
  state: TwinState,
  replacement: { tags?: JsonObject; desired?: JsonObject },
  now: string,
  deviceId: string,
  style: ErrorBodyStyle = 'nested',
): TwinOperationResult<TwinReplaceNotificationBody> {
  const { tags, desired } = validSections(replacement, style, 'The twin replacement contains neither tags nor properties.desired.');

  const next: TwinState = { ...state, version: state.version + 1 };
  if (tags !== undefined) {
    next.tags = mergeTags({}, tags);
    checkSize('tags', next.tags, style);
  }
  if (desired !== undefined) {
    const version = state.desired.version + 1;
    const stamp: MetadataStamp = { lastUpdated: now, lastUpdatedVersion: version };
    next.desired = { ...mergeSection({}, { lastUpdated: now }, desired, stamp), version };
    checkSize('desired', next.desired.properties, style);
  }

  const notification: TwinReplaceNotificationBody = {
    deviceId,
    etag: twinEtag(next.version),
    version: next.version,
    ...serviceTwinSections(next),
  };
  const result: TwinOperationResult<TwinReplaceNotificationBody> = { state: next, notification };
  if (desired !== undefined) result.desiredPatch = desiredPatchForDevice(next.desired.properties, next.desired.version);
  return result;
}

/** The sections given, each validated (in tags, desired, reported order); none at all is an error. */
function validSections<P extends TwinPatch>(patch: P, style: ErrorBodyStyle, noSections: string): P {
  const valid: TwinPatch = {};
  for (const section of ['tags', 'desired', 'reported'] as const) {
    const sectionPatch = patch[section];
    if (sectionPatch !== undefined) valid[section] = validatePatch(section, sectionPatch, style);
  }
  if (Object.keys(valid).length === 0) throw IotHubErrorFactory.argumentInvalid(noSections, style);
  return valid as P;
}

function patchSection(section: TwinPropertiesSection, patch: JsonObject, now: string, versioned: boolean): TwinPropertiesSection {
  const version = section.version + 1;
  const stamp: MetadataStamp = versioned ? { lastUpdated: now, lastUpdatedVersion: version } : { lastUpdated: now };
  return { ...mergeSection(section.properties, section.metadata, patch, stamp), version };
}

function notifiedSection(patch: JsonObject, section: TwinPropertiesSection): RenderedSection {
  return { ...cloneJson(patch), $metadata: renderPatchMetadata(patch, section.metadata), $version: section.version };
}

function checkSize(section: TwinSectionName, properties: JsonObject, style: ErrorBodyStyle): void {
  const limit = TWIN_LIMITS.sectionBytes[section];
  if (measureSection(properties) > limit) {
    throw IotHubErrorFactory.twinSectionTooLarge(SECTION_LABEL[section], limit, style);
  }
}
