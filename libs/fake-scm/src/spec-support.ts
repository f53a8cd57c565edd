/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies of the fakes' answers */
/** Test helper of this lib's specs: one HTTP call, JSON in and out. */
export interface CallResult {
  status: number;
  headers: Headers;
  body: any;
}

export async function call(base: string, method: string, path: string, options: { body?: unknown; headers?: Record<string, string> } = {}): Promise<CallResult> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}), ...(options.headers ?? {}) },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, headers: res.headers, body };
}
