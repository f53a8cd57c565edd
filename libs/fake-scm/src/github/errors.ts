import { FakeHttpError } from '../common/types';

export const GITHUB_DOCS = 'https://docs.github.com/rest';

/** GitHub's error body: `{ message, documentation_url, status }` (+ `errors` for 422). */
export function githubError(status: number, message: string, extra: Record<string, unknown> = {}): FakeHttpError {
  return new FakeHttpError(status, { message, documentation_url: GITHUB_DOCS, status: String(status), ...extra });
}
