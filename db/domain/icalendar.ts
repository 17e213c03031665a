// A small RFC 5545 writer: content lines, text escaping, folding and UTC date-times. Every time
// is written in UTC ("…Z"), so no VTIMEZONE is needed and the server's own zone never matters.

/** RFC 5545 §3.3.11: backslash, semicolon, comma and newline are escaped in TEXT values. */
export function escapeText(value: string): string {
  return value
    .replace(/\\/g, '\\\\')
    .replace(/;/g, '\\;')
    .replace(/,/g, '\\,')
    .replace(/\r\n|\r|\n/g, '\\n');
}

/** Parameter values with ":", ";" or "," must be quoted (§3.2); DQUOTE itself is not allowed. */
export function paramValue(value: string): string {
  // Control characters (a newline would start a new property) and DQUOTE are not allowed.
  const clean = value.replace(/[\x00-\x1f\x7f]/g, ' ').replace(/"/g, "'");
  return /[:;,]/.test(clean) ? `"${clean}"` : clean;
}

/** §3.3.5 form #2: "20261201T060000Z". */
export function utcDateTime(d: Date): string {
  return d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/**
 * §3.1: lines longer than 75 octets are split, each continuation starting with one space.
 * Splits between characters, never inside a UTF-8 sequence.
 */
export function foldLine(line: string): string {
  if (Buffer.byteLength(line) <= 75) return line;
  const parts: string[] = [];
  let current = '';
  let size = 0;
  let limit = 75;
  for (const ch of line) {
    const n = Buffer.byteLength(ch);
    if (size + n > limit) {
      parts.push(current);
      current = '';
      size = 0;
      limit = 74; // the leading space of a continuation line counts
    }
    current += ch;
    size += n;
  }
  parts.push(current);
  return parts.join('\r\n ');
}

export type IcsLine = [name: string, value: string, params?: Record<string, string>];

/** One content line: NAME;PARAM=VALUE:value, folded. */
export function contentLine([name, value, params]: IcsLine): string {
  const p = params
    ? Object.entries(params)
        .map(([k, v]) => `;${k}=${paramValue(v)}`)
        .join('')
    : '';
  return foldLine(`${name}${p}:${value}`);
}

/** Joins content lines with CRLF, ending with CRLF as §3.1 requires. */
export function icsDocument(lines: IcsLine[]): string {
  return lines.map(contentLine).join('\r\n') + '\r\n';
}
