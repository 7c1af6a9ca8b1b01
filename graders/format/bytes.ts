/** Sizes the way `docker images` shows them: decimal units (1 MB = 1,000,000 bytes). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  // Three significant digits, no trailing zeros: 5.4 MB, 20 MB, 1.02 GB, 951 MB.
  const shown = unit === 0 ? String(Math.round(value)) : String(Number(value.toPrecision(3)));
  return `${shown} ${units[unit]}`;
}

/**
 * 14151 → "14,151", as `toLocaleString('en-US')` writes it, without loading ICU's number
 * formats for it: that took 12 ms of every grade's start, for the limits' help text.
 */
export function formatCount(n: number): string {
  const abs = Math.abs(n);
  // Past what a count reaches, or with thousandths a double holds inexactly: as ICU writes them.
  if (abs >= 1e21 || (!Number.isInteger(n) && !(abs < 1e6))) return n.toLocaleString('en-US');
  const [whole, fraction] = String(Number.isInteger(n) ? abs : Math.round(abs * 1000) / 1000).split('.');
  const sign = n < 0 || Object.is(n, -0) ? '-' : '';
  return `${sign}${whole!.replace(/\B(?=(\d{3})+$)/g, ',')}${fraction ? `.${fraction}` : ''}`;
}

/** "1 file", "2 files" */
export const plural = (n: number, word: string) => `${formatCount(n)} ${word}${n === 1 ? '' : 's'}`;

/** A moment to the minute, as the reports show it: `2026-11-30 08:05 UTC`. */
export const formatMinuteUtc = (at: Date) => `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/** 40 → "40 ms", 1500 → "1.5 s" */
export const formatDuration = (ms: number) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);

/** "99.5% smaller" / "12% larger" between a reference size and a new one. */
export function formatChange(before: number, after: number): string {
  if (before <= 0) return '';
  const change = (1 - after / before) * 100;
  const shown = Math.abs(change) >= 10 ? Math.abs(change).toFixed(1) : Math.abs(change).toFixed(2);
  return change >= 0 ? `${shown}% smaller` : `${shown}% larger`;
}

export const MB = 1_000_000;

const GiB = 2 ** 30;

/** 2147483648 → "2 GiB", 805306368 → "768 MiB": memory the way container limits are written. */
export function formatMemory(bytes: number): string {
  if (bytes >= GiB && bytes % (GiB / 4) === 0) return `${bytes / GiB} GiB`;
  if (bytes >= GiB) return `${(bytes / GiB).toFixed(1)} GiB`;
  return `${Math.round(bytes / 2 ** 20)} MiB`;
}

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 2 ** 10,
  kib: 2 ** 10,
  kb: 1e3,
  m: 2 ** 20,
  mib: 2 ** 20,
  mb: 1e6,
  g: GiB,
  gib: GiB,
  gb: 1e9,
  t: 2 ** 40,
  tib: 2 ** 40,
  tb: 1e12,
};

/**
 * "2g", "1536m", "2GiB" (binary, as `docker run --memory` reads them) or "4GB" (decimal, as
 * image sizes are shown) → bytes; undefined when the text is not a size.
 */
export function parseSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) return undefined;
  return Math.round(Number(m[1]) * unit);
}
