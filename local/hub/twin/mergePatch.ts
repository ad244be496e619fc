import { cloneJson, getOwn, isJsonObject, JsonObject, setOwn } from './json';
import { MetadataNode } from './twinState';

/** What every node written by one patch gets as metadata. */
export interface MetadataStamp {
  lastUpdated: string;
  lastUpdatedVersion?: number;
}

/**
 * Merges a validated patch into a properties tree and its metadata, returning new trees (inputs are
 * never mutated; untouched subtrees are shared). IoT Hub's rules: objects merge recursively, null
 * deletes (and a null inside a newly created object creates nothing), anything else (primitives,
 * arrays) replaces the old value whole. Every node the patch names, and the root, is stamped even
 * if its value does not change: the hub does not compare with the current state.
 */
export function mergeSection(
  properties: JsonObject,
  metadata: MetadataNode,
  patch: JsonObject,
  stamp: MetadataStamp,
): { properties: JsonObject; metadata: MetadataNode } {
  const merged = mergeObject(properties, metadata.children ?? {}, patch, stamp);
  return { properties: merged.properties, metadata: stampNode(stamp, merged.children) };
}

/** Tags follow the same merge rules but keep no metadata. */
export function mergeTags(tags: JsonObject, patch: JsonObject): JsonObject {
  return mergeObject(tags, {}, patch, { lastUpdated: '' }).properties;
}

type MetadataChildren = { [key: string]: MetadataNode };

function mergeObject(
  target: JsonObject,
  targetMeta: MetadataChildren,
  patch: JsonObject,
  stamp: MetadataStamp,
): { properties: JsonObject; children: MetadataChildren } {
  const properties: JsonObject = { ...target };
  const children: MetadataChildren = { ...targetMeta };
  for (const key of Object.keys(patch)) {
    const value = patch[key];
    if (value === null) {
      delete properties[key];
      delete children[key];
    } else if (isJsonObject(value)) {
      const existing = getOwn(target, key);
      const keepOld = isJsonObject(existing);
      const merged = mergeObject(keepOld ? existing : {}, keepOld ? (getOwn(targetMeta, key)?.children ?? {}) : {}, value, stamp);
      setOwn(properties, key, merged.properties);
      setOwn(children, key, stampNode(stamp, merged.children));
    } else {
      setOwn(properties, key, cloneJson(value));
      setOwn(children, key, stampNode(stamp));
    }
  }
  return { properties, children };
}

function stampNode(stamp: MetadataStamp, children?: MetadataChildren): MetadataNode {
  const node: MetadataNode = { lastUpdated: stamp.lastUpdated };
  if (stamp.lastUpdatedVersion !== undefined) node.lastUpdatedVersion = stamp.lastUpdatedVersion;
  if (children !== undefined) node.children = children;
  return node;
}
