import { isMap, isScalar, parseDocument, stringify, type Document } from 'yaml';

/** A dotted key (`image.tag`) that cannot be set in the file: named with the reason. */
export class YamlKeyError extends Error {
  constructor(readonly key: string, reason: string) {
    super(`cannot set ${key}: ${reason}`);
    this.name = 'YamlKeyError';
  }
}

const SEGMENT = /^[A-Za-z0-9_.-]+$/;

/** `image.tag` → `['image', 'tag']`; every segment a plain mapping key. */
export function keyPath(key: string): string[] {
  const path = key.split('.');
  if (path.length === 0 || path.some((p) => p === '' || !SEGMENT.test(p))) throw new YamlKeyError(key, 'expected dot-separated mapping keys, e.g. image.tag');
  return path;
}

/**
 * Pure: `text` with the scalar at `key` set to `value`: found through the `yaml` package's document
 * API and replaced in place, so every other byte of the file (comments, spacing, order) stays; a
 * missing key is added through the document API, which keeps the comments. `changed` is false
 * when the value is already there (a redelivered deploy commits nothing). Missing mappings on the
 * way are created; a key that goes through or ends at something other than a mapping or a scalar is
 * refused rather than overwritten.
 */
export function setYamlValue(text: string, key: string, value: string): { text: string; changed: boolean } {
  const path = keyPath(key);
  const doc: Document = parseDocument(text);
  if (doc.errors.length > 0) throw new YamlKeyError(key, `the file is not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
  if (doc.contents !== null && !isMap(doc.contents)) throw new YamlKeyError(key, 'the file is not a YAML mapping');
  for (let i = 1; i < path.length; i++) {
    const node = doc.getIn(path.slice(0, i), true);
    if (node !== undefined && !isMap(node)) throw new YamlKeyError(key, `${path.slice(0, i).join('.')} is not a mapping`);
  }
  const current = doc.getIn(path, true);
  if (current !== undefined && !isScalar(current)) throw new YamlKeyError(key, 'it holds a mapping or a list, not a value');
  if (isScalar(current) && String(current.value) === value) return { text, changed: false };
  if (isScalar(current) && current.range) {
    // Only the value's own characters change: the rest of the file stays byte for byte.
    const [start, end] = current.range;
    return { text: `${text.slice(0, start)}${stringify(value).trimEnd()}${text.slice(end)}`, changed: true };
  }
  doc.setIn(path, value);
  return { text: doc.toString(), changed: true };
}

/** Pure: the scalar at `key` as a string; null when the file is not YAML, or the key is absent or not a value. */
export function getYamlValue(text: string, key: string): string | null {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) return null;
  const node = doc.getIn(keyPath(key), true);
  return isScalar(node) && node.value !== null ? String(node.value) : null;
}
