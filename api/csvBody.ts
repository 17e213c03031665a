// A CSV upload's bytes as text, in the charset its Content-Type names: UTF-8 (the default),
// ISO-8859-1 or Windows-1252, the encodings a spreadsheet in Mexico saves as "CSV". Bytes that do
// not decode in it are a 400 naming their line, never a U+FFFD stored in the inventory: a Latin-1
// file sent as UTF-8 used to answer 200 and store «Compa��a Pe�a» over the whole inventory.
import type { Context } from 'hono';
import { CommandError } from '#db/commands/errors.ts';

const CHARSETS: Record<string, 'utf-8' | 'latin1' | 'windows-1252'> = {
  'utf-8': 'utf-8',
  utf8: 'utf-8',
  'iso-8859-1': 'latin1',
  'iso8859-1': 'latin1',
  'iso_8859-1': 'latin1',
  latin1: 'latin1',
  'latin-1': 'latin1',
  'windows-1252': 'windows-1252',
  cp1252: 'windows-1252',
};

/** Windows-1252 leaves these five bytes undefined (WHATWG's decoder would pass them as C1 controls). */
const UNDEFINED_IN_1252 = new Set([0x81, 0x8d, 0x8f, 0x90, 0x9d]);

/** The charset parameter of a Content-Type, lower case, or null. */
export function charsetOf(contentType: string): string | null {
  const match = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType);
  return match ? match[1].toLowerCase() : null;
}

function refusal(line: number, charset: string): CommandError {
  const named = charset === 'utf-8' ? 'UTF-8' : charset === 'latin1' ? 'ISO-8859-1' : 'Windows-1252';
  const message = `La línea ${line} tiene bytes que no son ${named} válido; guarde el archivo como «CSV UTF-8» o indique su codificación (Content-Type: text/csv; charset=windows-1252).`;
  return new CommandError(400, 'invalid_encoding', message, [{ path: `line.${line}`, message }]);
}

/** Decodes `bytes` as `charset`, or throws the 400 that names the first line that does not decode. */
export function decodeCsv(bytes: Uint8Array, contentType: string): string {
  const name = charsetOf(contentType) ?? 'utf-8';
  const charset = CHARSETS[name];
  if (!charset)
    throw new CommandError(
      415,
      'unsupported_charset',
      `La codificación «${name}» no se acepta; envíe el CSV en UTF-8, ISO-8859-1 o Windows-1252.`,
    );
  if (charset === 'latin1') return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  let line = 1;
  let start = 0;
  const decoder = new TextDecoder(charset, { fatal: true, ignoreBOM: false });
  const parts: string[] = [];
  for (let i = 0; i <= bytes.length; i++) {
    if (i < bytes.length && bytes[i] !== 0x0a) {
      if (charset === 'windows-1252' && UNDEFINED_IN_1252.has(bytes[i])) throw refusal(line, charset);
      continue;
    }
    try {
      // Line by line (a LF byte is a line feed in all three): the failing line is the one named.
      parts.push(decoder.decode(bytes.subarray(start, i)));
    } catch {
      throw refusal(line, charset);
    }
    line++;
    start = i + 1;
  }
  return parts.join('\n');
}

/** The request's body as CSV text (see `decodeCsv`). */
export async function readCsvText(c: Context): Promise<string> {
  return decodeCsv(new Uint8Array(await c.req.arrayBuffer()), c.req.header('content-type') ?? '');
}
