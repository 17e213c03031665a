// The console's second factors as pure rules: TOTP codes (RFC 6238) and recovery codes.
import { createHash, randomInt } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';

/** RFC 6238 §5.2 with the parameters every authenticator app reads from the otpauth:// URI. */
export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** Codes of the previous and next step are accepted too (clock drift, a code typed as it changes). */
export const TOTP_WINDOW = 1;
export const TOTP_ISSUER = 'SOMNET NOC';

function totpFor(secretBase32: string, account: string): TOTP {
  return new TOTP({
    issuer: TOTP_ISSUER,
    label: account,
    algorithm: 'SHA1',
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_SECONDS,
    secret: Secret.fromBase32(secretBase32),
  });
}

/** A new secret: 160 random bits (RFC 4226 §4 recommends this length), base32. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

/** The otpauth:// URI an authenticator app scans (as a QR code) or takes typed in. */
export function totpUri(secretBase32: string, account: string): string {
  return totpFor(secretBase32, account).toString();
}

/** The 30-second step `at` falls in (RFC 6238 §4.2: T = floor((now − T0) / X)). */
export function totpStep(at: Date): number {
  return Math.floor(at.getTime() / 1000 / TOTP_PERIOD_SECONDS);
}

/** The code of a step: what an authenticator app shows then. */
export function totpCode(secretBase32: string, at: Date): string {
  return TOTP.generate({
    secret: Secret.fromBase32(secretBase32),
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_SECONDS,
    timestamp: at.getTime(),
  });
}

/**
 * The step a code belongs to when it is right at `at` (within ±TOTP_WINDOW steps), else null.
 * The caller refuses a step not after the last one accepted: a code works once (RFC 6238 §5.2).
 */
export function matchTotp(secretBase32: string, code: string, at: Date): number | null {
  const clean = code.replace(/\s+/g, '');
  if (!/^\d{6}$/.test(clean)) return null;
  const delta = TOTP.validate({
    token: clean,
    secret: Secret.fromBase32(secretBase32),
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_SECONDS,
    timestamp: at.getTime(),
    window: TOTP_WINDOW,
  });
  return delta === null ? null : totpStep(at) + delta;
}

export const RECOVERY_CODE_COUNT = 10;
const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
const RECOVERY_LENGTH = 12;

/**
 * Ten codes of 12 characters from an alphabet without look-alikes (about 59 bits each), shown
 * once as "xxxx-xxxx-xxxx". Random enough that a fast hash suffices to store them.
 */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    let code = '';
    for (let i = 0; i < RECOVERY_LENGTH; i++) code += RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)];
    return code.match(/.{4}/g)!.join('-');
  });
}

/** A typed recovery code as stored: lower case, without spaces or dashes; null when it cannot be one. */
export function normalizeRecoveryCode(typed: string): string | null {
  const clean = typed.toLowerCase().replace(/[\s-]+/g, '');
  return clean.length === RECOVERY_LENGTH && [...clean].every((c) => RECOVERY_ALPHABET.includes(c)) ? clean : null;
}

/** The stored form of a recovery code: SHA-256 over the user and the code. */
export function hashRecoveryCode(userId: number, normalized: string): string {
  return createHash('sha256').update(`${userId}:${normalized}`).digest('hex');
}
