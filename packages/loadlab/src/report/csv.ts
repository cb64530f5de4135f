/**
 * CSV output the way Python's `csv.writer` writes it (what Locust uses): QUOTE_MINIMAL, fields
 * quoted only when they hold a comma, a quote or a line break, rows ended by "\r\n".
 */
export const CSV_EOL = '\r\n';

export function csvField(v: string | number): string {
  const s = typeof v === 'number' ? String(v) : v;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvRow(fields: readonly (string | number)[]): string {
  return fields.map(csvField).join(',') + CSV_EOL;
}
