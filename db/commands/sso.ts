// Single sign-on: who the identity provider says the user is, turned into a console session.
// The OpenID Connect exchange itself (PKCE, state, nonce, the ID token's signature) is done by
// openid-client in site/console/sso.ts; this decides whether that person may enter, and as what.
import { eq } from 'drizzle-orm';
import type { Db } from '../client.ts';
import type { ConsoleRole } from '../enums.ts';
import { consoleUsers } from '../schema/index.ts';
import { recordAudit } from './audit.ts';
import { clientActor, openSession, type OpenedSession, type SignInClient } from './consoleSessions.ts';
import { normalizeEmail } from './consoleUsers.ts';
import { CommandError } from './errors.ts';
import { runCommand, writeTransaction } from './transaction.ts';

/** What the ID token (and, when needed, the UserInfo response) says. */
export interface SsoIdentity {
  issuer: string;
  subject: string;
  email?: string;
  emailVerified?: boolean;
  /** The values of OIDC_ROLE_CLAIM (a string or a list), when that claim is configured. */
  roleValues?: string[];
}

export interface SsoPolicy {
  /** OIDC_ROLE_CLAIM is set: the role comes from the claim at every sign-in. */
  roleFromClaim: boolean;
  roleMap: Record<string, ConsoleRole>;
  createUsers: boolean;
}

/** `admin` wins over `noc` when the claim maps to both; null when it maps to neither. */
export function roleFromClaim(values: readonly string[], map: Record<string, ConsoleRole>): ConsoleRole | null {
  const roles = values.map((v) => map[v]).filter(Boolean);
  return roles.includes('admin') ? 'admin' : roles.includes('noc') ? 'noc' : null;
}

const refused = (code: string, message: string) => new CommandError(403, code, message);

/**
 * Signs in the person the identity provider vouched for. Only an existing console user (by
 * email) may enter unless OIDC_CREATE_USERS=1; a user once linked to a provider subject is only
 * that subject (a reused email at the provider does not inherit the account). With a role claim
 * configured the role follows the claim (changes audited), and no mapped value means no entry.
 * The provider's own second factor stands for ours: the session is complete. Refusals are
 * audited as failed sign-ins.
 */
export function signInWithSso(
  db: Db,
  identity: SsoIdentity,
  policy: SsoPolicy,
  client: SignInClient,
  now: Date,
): OpenedSession {
  const email = identity.email ? normalizeEmail(identity.email).slice(0, 320) : '';
  const fail = (outcome: string, err: CommandError): never => {
    try {
      writeTransaction(db, () =>
        recordAudit(
          db,
          clientActor(client),
          'user.login_failed',
          { type: 'user', id: email || identity.subject },
          now,
          {
            outcome,
            factor: 'oidc',
            issuer: identity.issuer,
            subject: identity.subject,
            address: client.ip ?? client.address,
          },
        ),
      );
    } catch (auditErr) {
      if (!(auditErr instanceof CommandError && auditErr.status === 503)) throw auditErr;
    }
    throw err;
  };
  if (!email)
    fail('no_email', refused('sso_no_email', 'El proveedor de identidad no envió un correo para esta cuenta.'));
  if (identity.emailVerified === false)
    fail(
      'email_unverified',
      refused('sso_email_unverified', 'El proveedor de identidad no ha verificado el correo de esta cuenta.'),
    );
  const role = policy.roleFromClaim ? roleFromClaim(identity.roleValues ?? [], policy.roleMap) : null;
  if (policy.roleFromClaim && !role)
    fail(
      'no_role',
      refused(
        'sso_no_role',
        'Su cuenta no tiene un rol de la consola NOC en el proveedor de identidad. Pida acceso a un administrador.',
      ),
    );
  let user = db.select().from(consoleUsers).where(eq(consoleUsers.email, email)).get();
  if (!user && !policy.createUsers)
    fail(
      'unknown_account',
      refused(
        'sso_unknown_user',
        `No hay un usuario de la consola con el correo ${email}. Pida a un administrador que lo cree.`,
      ),
    );
  if (user?.disabledAt) fail('disabled', refused('user_disabled', 'Esta cuenta de la consola está desactivada.'));
  if (user?.oidcSubject && user.oidcSubject !== identity.subject)
    fail(
      'subject_mismatch',
      refused('sso_subject_mismatch', 'Esta cuenta de la consola está ligada a otra identidad del proveedor.'),
    );
  const actor = { kind: 'user' as const, name: email };
  user = runCommand(db, () => {
    if (!user) {
      const created = db
        .insert(consoleUsers)
        .values({
          email,
          role: role ?? 'noc',
          passwordHash: '!',
          mustChangePassword: false,
          oidcSubject: identity.subject,
          createdAt: now,
          updatedAt: now,
        })
        .returning()
        .get();
      recordAudit(db, actor, 'user.create', { type: 'user', id: email }, now, {
        role: created.role,
        via: 'oidc',
        issuer: identity.issuer,
      });
      return created;
    }
    const changes: Partial<typeof consoleUsers.$inferInsert> = {};
    if (!user.oidcSubject) changes.oidcSubject = identity.subject;
    if (role && role !== user.role) {
      changes.role = role;
      recordAudit(db, actor, 'user.set_role', { type: 'user', id: email }, now, {
        from: user.role,
        to: role,
        via: 'oidc',
      });
    }
    if (Object.keys(changes).length === 0) return user;
    return db
      .update(consoleUsers)
      .set({ ...changes, updatedAt: now })
      .where(eq(consoleUsers.id, user.id))
      .returning()
      .get();
  });
  return openSession(
    db,
    { ...user, mustChangePassword: false },
    { method: 'oidc', complete: true, proof: 'oidc', client },
    now,
  );
}

/** A single sign-on that failed before anyone was identified (a wrong state or nonce, an error from the provider). */
export function recordSsoFailure(db: Db, client: SignInClient, outcome: string, detail: string, now: Date): void {
  try {
    writeTransaction(db, () =>
      recordAudit(db, clientActor(client), 'user.login_failed', { type: 'user', id: '(sso)' }, now, {
        outcome,
        factor: 'oidc',
        detail: detail.slice(0, 300),
        address: client.ip ?? client.address,
      }),
    );
  } catch (err) {
    if (!(err instanceof CommandError && err.status === 503)) throw err;
  }
}
