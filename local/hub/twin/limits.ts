import { isControlChar, JsonObject, JsonValue, utf8Length } from './json';

export type TwinSectionName = 'tags' | 'desired' | 'reported';

/** IoT Hub's documented twin limits (iot-hub-devguide-device-twins, "Tags and properties format" / "Device twin size"). */
export const TWIN_LIMITS = {
  maxKeyBytes: 1024,
  maxStringValueBytes: 4096,
  /**
   * IoT Hub lets objects nest 10 levels below the root of tags, desired and reported properties
   * (the docs' one…ten example). The docs count objects; we count arrays as a level too, so that no
   * accepted document of any shape is deeper than this and every later walk over it (merge, size,
   * metadata, query) stays shallow.
   */
  maxDepth: 10,
  minInteger: -4503599627370496,
  maxInteger: 4503599627370495,
  sectionBytes: { tags: 8 * 1024, desired: 32 * 1024, reported: 32 * 1024 } satisfies Record<TwinSectionName, number>,
} as const;

/** How IoT Hub names the sections in its size error ("'Properties.Desired' size should be less than …"). */
export const SECTION_LABEL: Record<TwinSectionName, string> = {
  tags: 'Tags',
  desired: 'Properties.Desired',
  reported: 'Properties.Reported',
};

/**
 * Section size as the docs define it: per property, key length plus value length; keys and strings
 * as UTF-8 without control characters, numbers 8 bytes, booleans 4, objects the sum of their
 * content. Metadata and $version are not part of the section. Arrays are not covered by the docs:
 * we count the sum of their elements.
 */
export function measureSection(properties: JsonObject): number {
  let total = 0;
  for (const key of Object.keys(properties)) total += stringSize(key) + valueSize(properties[key]);
  return total;
}

function valueSize(value: JsonValue): number {
  if (value === null) return 0;
  if (typeof value === 'string') return stringSize(value);
  if (typeof value === 'number') return 8;
  if (typeof value === 'boolean') return 4;
  if (Array.isArray(value)) return value.reduce<number>((sum, item) => sum + valueSize(item), 0);
  return measureSection(value);
}

function stringSize(text: string): number {
  // Control characters are excluded: one UTF-8 byte each for C0 and DEL, two for C1.
  let controlBytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (isControlChar(code)) controlBytes += code >= 0x80 ? 2 : 1;
  }
  return utf8Length(text) - controlBytes;
}
