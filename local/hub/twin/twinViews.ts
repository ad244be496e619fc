import { cloneJson, getOwn, isJsonObject, JsonObject, setOwn } from './json';
import { MetadataNode, TwinPropertiesSection, TwinState } from './twinState';

/** A properties section as IoT Hub renders it to services: values, then `$metadata`, then `$version`. */
export type RenderedSection = JsonObject & { $metadata: JsonObject; $version: number };

/** A properties section as a device sees it: values and `$version`, no metadata. */
export type DeviceSection = JsonObject & { $version: number };

export interface ServiceTwinSections {
  /** Absent while the twin has no tags, as in IoT Hub's GET /twins/{id} answer. */
  tags?: JsonObject;
  properties: { desired: RenderedSection; reported: RenderedSection };
}

/** Body of the MQTT answer to $iothub/twin/GET: both property sections with `$version`, no `$metadata`. */
export function deviceTwinView(state: TwinState): { desired: DeviceSection; reported: DeviceSection } {
  return {
    desired: { ...cloneJson(state.desired.properties), $version: state.desired.version },
    reported: { ...cloneJson(state.reported.properties), $version: state.reported.version },
  };
}

/** The `tags` and `properties` members of the twin returned by GET/PATCH/PUT /twins/{id}. */
export function serviceTwinSections(state: TwinState): ServiceTwinSections {
  const properties = { desired: renderSection(state.desired), reported: renderSection(state.reported) };
  return Object.keys(state.tags).length > 0 ? { tags: cloneJson(state.tags), properties } : { properties };
}

/** Body published on $iothub/twin/PATCH/properties/desired/?$version=<version>: the patch (nulls kept) plus `$version`. */
export function desiredPatchForDevice(patch: JsonObject, version: number): DeviceSection {
  return { ...cloneJson(patch), $version: version };
}

/** The twin etag: base64 of the version as a big-endian int64 (1 -> "AAAAAAAAAAE="). */
export function twinEtag(version: number): string {
  if (!Number.isSafeInteger(version) || version < 0) throw new RangeError(`Twin version must be a non-negative integer, got ${version}`);
  const bytes = Buffer.alloc(8);
  bytes.writeBigInt64BE(BigInt(version));
  return bytes.toString('base64');
}

export function renderSection(section: TwinPropertiesSection): RenderedSection {
  return { ...cloneJson(section.properties), $metadata: renderMetadata(section.metadata), $version: section.version };
}

/** IoT Hub's `$metadata` form of a metadata tree: `$lastUpdated`, `$lastUpdatedVersion`, then one entry per child. */
export function renderMetadata(node: MetadataNode): JsonObject {
  const rendered = metadataStamp(node);
  const children = node.children ?? {};
  for (const key of Object.keys(children)) setOwn(rendered, key, renderMetadata(children[key]));
  return rendered;
}

/**
 * `$metadata` limited to the nodes a patch wrote, as in a twin change notification. Deleted
 * properties no longer have metadata, so they appear only as null values beside it.
 */
export function renderPatchMetadata(patch: JsonObject, node: MetadataNode): JsonObject {
  const rendered = metadataStamp(node);
  const children = node.children ?? {};
  for (const key of Object.keys(patch)) {
    const value = patch[key];
    const child = getOwn(children, key);
    if (value === null || child === undefined) continue;
    setOwn(rendered, key, isJsonObject(value) ? renderPatchMetadata(value, child) : metadataStamp(child));
  }
  return rendered;
}

function metadataStamp(node: MetadataNode): JsonObject {
  const stamp: JsonObject = { $lastUpdated: node.lastUpdated };
  if (node.lastUpdatedVersion !== undefined) stamp.$lastUpdatedVersion = node.lastUpdatedVersion;
  return stamp;
}
