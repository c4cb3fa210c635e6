/** YYYY-MM-DD HH:MM:SS in UTC, the seed's format. */
export function formatTimestamp(d: Date): string {
  return d
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, '');
}
