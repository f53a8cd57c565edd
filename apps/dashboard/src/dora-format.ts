// Pure helpers of the DORA page (dora.tsx): the window it asks GET /api/metrics/dora for, and how
// the answer's numbers read. No DOM here, so dora-format.spec.ts runs under node's test runner.

const DAY_MS = 86_400_000;

/** The windows the page offers, in days. */
export const WINDOW_DAYS = [7, 30, 90] as const;
export const DEFAULT_WINDOW_DAYS = 30;

/** A window the page offers, else the default (a hand-edited `?days=`). */
export const windowDaysOf = (value: string | null): number => (WINDOW_DAYS as readonly number[]).find((d) => String(d) === value) ?? DEFAULT_WINDOW_DAYS;

/**
 * The last `days` days up to now: today so far and the `days - 1` days before it, starting at
 * midnight UTC, so that the answer's `daily` entries are calendar days (UTC).
 */
export function windowOf(days: number, now: Date): { readonly from: string; readonly to: string } {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return { from: new Date(today - (days - 1) * DAY_MS).toISOString(), to: now.toISOString() };
}

const oneDecimal = (n: number): string => String(Math.round(n * 10) / 10);

/** A duration in seconds as a person reads it: 42 s, 12 min, 3.5 h, 2.1 d; null (nothing measured) as —. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null) return '—';
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  if (seconds < 48 * 3600) return `${oneDecimal(seconds / 3600)} h`;
  return `${oneDecimal(seconds / 86_400)} d`;
}

/** A share (0..1) as a percentage with at most one decimal; null (no deploy ended) as —. */
export const formatRate = (rate: number | null): string => (rate === null ? '—' : `${oneDecimal(rate * 100)} %`);

/** Deploys per day, at most two decimals. */
export const formatPerDay = (perDay: number): string => `${Math.round(perDay * 100) / 100} / day`;

const dayFormat = new Intl.DateTimeFormat('en', { month: 'short', day: 'numeric', timeZone: 'UTC' });

/** The label of a day of the answer's `daily` (its start, an ISO time): "Dec 4" (UTC). */
export const dayLabel = (iso: string): string => dayFormat.format(new Date(iso));

/** "1 deploy", "3 deploys". */
export const plural = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;
