// The one CSV writer of every export (availability, billing, quality, subscribers…): RFC 4180
// through csv-stringify, CRLF, and no cell a spreadsheet would run as a formula. A component,
// company or label named «=HYPERLINK(…)», «+1+cmd|calc», «-2+3» or «@SUM(A1)» would run in Excel
// or LibreOffice when the file is opened (CSV injection): text that starts with = + - @, a tab or
// a carriage return is prefixed with an apostrophe, as OWASP advises. Numbers are written as
// numbers (a negative figure is not text).
import { stringify } from 'csv-stringify/sync';

export type CsvCell = string | number | boolean | null | undefined;

/** Text a spreadsheet reads as text, never as a formula. */
export function neutralised(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

export function csvDocument(
  columns: readonly string[],
  records: ReadonlyArray<ReadonlyArray<CsvCell>>,
  options: {
    /** A byte-order mark first, so that a spreadsheet opened with a double click reads the accents as UTF-8. */
    bom?: boolean;
    /** Every text cell quoted (numbers are not). */
    quoteText?: boolean;
  } = {},
): string {
  return stringify(
    records.map((r) => [...r]),
    {
      header: true,
      columns: [...columns],
      bom: options.bom ?? true,
      record_delimiter: 'windows',
      quoted_string: options.quoteText ?? false,
      cast: { string: (value) => neutralised(value) },
    },
  );
}
