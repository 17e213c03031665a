import { describe, expect, it } from 'vitest';
import {
  hashPassword,
  hashPasswordSync,
  oneTimePassword,
  passwordProblem,
  verifyPassword,
} from '#db/domain/password.ts';

describe('passwords', () => {
  it('hashes with scrypt and a random salt, and verifies only the right password', async () => {
    const a = await hashPassword('correcto-caballo-bateria');
    const b = hashPasswordSync('correcto-caballo-bateria');
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$[\w-]+\$[\w-]+$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('correcto-caballo-bateria', a)).toBe(true);
    expect(await verifyPassword('correcto-caballo-bateria', b)).toBe(true);
    expect(await verifyPassword('Correcto-caballo-bateria', a)).toBe(false);
    expect(await verifyPassword('x', 'no-es-un-hash')).toBe(false);
  });
  it('generates one-time passwords of 16 unambiguous characters', () => {
    const p = oneTimePassword();
    expect(p).toMatch(/^[a-km-np-zA-HJ-NP-Z2-9]{16}$/);
    expect(oneTimePassword()).not.toBe(p);
  });
  it('refuses short passwords and ones containing the user name, in Spanish', () => {
    expect(passwordProblem('corta', 'ana@somnet.com.mx')).toMatch(/al menos 12/);
    expect(passwordProblem('ana-es-la-mejor-2026', 'ana@somnet.com.mx')).toMatch(/nombre de usuario/);
    expect(passwordProblem('una frase bastante larga', 'ana@somnet.com.mx')).toBeNull();
  });
});
