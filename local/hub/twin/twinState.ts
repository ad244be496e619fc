import { JsonObject } from './json';

/**
 * Metadata of one property node (or of a section root). Kept apart from the properties, and
 * rendered as IoT Hub's `$metadata` only in views: property keys cannot contain '$', but a typed
 * tree is easier to keep in step with the property tree than `$`-prefixed keys mixed into it.
 */
export interface MetadataNode {
  /** ISO-8601 UTC time of the last patch that included this node. */
  lastUpdated: string;
  /** Desired section only: the section $version that last wrote this node. */
  lastUpdatedVersion?: number;
  /** Present for object-valued properties and section roots: one entry per property key. */
  children?: { [key: string]: MetadataNode };
}

export interface TwinPropertiesSection {
  properties: JsonObject;
  metadata: MetadataNode;
  /** The section's `$version`. */
  version: number;
}

/** What the registry persists per device (JSON-serialisable). */
export interface TwinState {
  /** Twin `version`: +1 per applied operation, whichever sections it touched. */
  version: number;
  tags: JsonObject;
  desired: TwinPropertiesSection;
  reported: TwinPropertiesSection;
}

/** .NET DateTime.MinValue: what IoT Hub shows as `$lastUpdated` of a section never written. */
export const NEVER_UPDATED = '0001-01-01T00:00:00Z';

/** The twin of a freshly created device: empty sections, `$version` 1, twin version 1. */
export function emptyTwin(): TwinState {
  return {
    version: 1,
    tags: {},
    desired: emptySection(),
    reported: emptySection(),
  };
}

function emptySection(): TwinPropertiesSection {
  return { properties: {}, metadata: { lastUpdated: NEVER_UPDATED, children: {} }, version: 1 };
}
