import { randomBytes, scrypt, scryptSync, timingSafeEqual, type ScryptOptions } from 'node:crypto';

// scrypt (RFC 7914) is memory-hard: N=2^15, r=8 uses 32 MiB per hash, which is what OWASP's
// password storage cheat sheet recommends as a minimum for scrypt. Parameters are stored with
// each hash so they can be raised later without invalidating existing passwords.
const N = 2 ** 15;
const r = 8;
const p = 1;
const KEY_LENGTH = 32;
const maxmem = 128 * N * r * 2;

function scryptAsync(password: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

function encode(params: { N: number; r: number; p: number }, salt: Buffer, key: Buffer): string {
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** Synchronous form, for the CLI; the server uses hashPassword so it does not block requests. */
export function hashPasswordSync(password: string): string {
  const salt = randomBytes(16);
  return encode({ N, r, p }, salt, scryptSync(password, salt, KEY_LENGTH, { N, r, p, maxmem }));
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  return encode({ N, r, p }, salt, await scryptAsync(password, salt, KEY_LENGTH, { N, r, p, maxmem }));
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [n, rr, pp] = parts.slice(1, 4).map(Number);
  const salt = Buffer.from(parts[4], 'base64url');
  const expected = Buffer.from(parts[5], 'base64url');
  const key = await scryptAsync(password, salt, expected.length, { N: n, r: rr, p: pp, maxmem: 128 * n * rr * 2 });
  return timingSafeEqual(key, expected);
}

/** A password for one use, shown once: 16 characters from an alphabet without look-alikes. */
export function oneTimePassword(): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const bytes = randomBytes(16);
  let out = '';
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}

export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 200;

/** The rules passwordProblem enforces, as the change-password form lists them before anything is typed. */
export const PASSWORD_RULES: readonly string[] = [
  `Entre ${PASSWORD_MIN} y ${PASSWORD_MAX} caracteres (una frase de varias palabras sirve).`,
  'Sin su nombre de usuario (lo que va antes de la @ de su correo).',
  'Distinta de la contraseña actual.',
];

/** Spanish reason a new password is refused, or null when it is acceptable. */
export function passwordProblem(password: string, email: string): string | null {
  if (password.length < PASSWORD_MIN) return `La contraseña debe tener al menos ${PASSWORD_MIN} caracteres.`;
  if (password.length > PASSWORD_MAX) return `La contraseña no puede tener más de ${PASSWORD_MAX} caracteres.`;
  if (password.toLowerCase().includes(email.split('@')[0].toLowerCase()))
    return 'La contraseña no debe contener su nombre de usuario.';
  return null;
}
