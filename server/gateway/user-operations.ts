import { ErrorCode } from '../../protocol/index.js';
import type { UserRecord } from '../core/index.js';
import { parseSshPublicKey } from '../support/ssh-public-key.js';
import type { Caller } from './caller.js';
import type { Engine } from './engine.js';
import type { GatewayRules } from './node-operations.js';
import { OperationError } from './operation-error.js';
import { mayActFor, type WorkspaceOperations } from './workspace-operations.js';

export interface UserRegistration {
  username: string;
  githubId: number;
  email: string;
  sshPublicKey: string;
}

/**
 * Users, as part of the gateway (`gateway.users`): who may register and read whom (admins,
 * and a token whose subject is the username: self-service), the key parsed before anything
 * is recorded (a refused key changes nothing), and a new key carried into the user's
 * running workspaces.
 */
export class UserOperations {
  constructor(
    private readonly hub: Engine,
    private readonly rules: GatewayRules,
    private readonly workspaces: WorkspaceOperations,
  ) {}

  async register(caller: Caller, reg: UserRegistration): Promise<UserRecord> {
    this.rules.requireRole(caller, 'producer', 'register users');
    this.requireSelf(caller, reg.username, 'register');
    this.rules.gateNewWork('users');
    const key = parsedKey(reg.sshPublicKey);
    await this.rules.durably({
      type: 'user.register',
      now: this.hub.now(),
      user: {
        username: reg.username,
        githubId: reg.githubId,
        email: reg.email,
        publicKey: key.line,
        fingerprint: key.fingerprint,
      },
    });
    return this.hub.core.workspaces.users.get(reg.username)!;
  }

  /** A user the caller may see; NOT_FOUND for others, so names cannot be probed. */
  get(caller: Caller, username: string): UserRecord {
    this.rules.requireRole(caller, 'producer', 'read users');
    const user = this.hub.core.workspaces.users.get(username);
    if (!user || !mayActFor(caller, username))
      throw new OperationError(ErrorCode.NOT_FOUND, `no user ${username}`);
    return user;
  }

  /** Replace the key; resolves once it is durable and in every workspace that was running. */
  async setKey(
    caller: Caller,
    username: string,
    sshPublicKey: string,
  ): Promise<{ user: UserRecord; workspaces: { id: string; error?: string }[] }> {
    const user = this.get(caller, username);
    const key = parsedKey(sshPublicKey);
    await this.rules.durably({
      type: 'user.key',
      now: this.hub.now(),
      username,
      publicKey: key.line,
      fingerprint: key.fingerprint,
    });
    return { user, workspaces: await this.workspaces.replaceKeys(user) };
  }

  private requireSelf(caller: Caller, username: string, what: string): void {
    if (!mayActFor(caller, username))
      throw new OperationError(
        ErrorCode.FORBIDDEN,
        `a token for ${caller.grant.subject ?? 'nobody'} cannot ${what} user ${username}`,
      );
  }
}

/** The key, or a 400 that names the field and says what is wrong with it. */
function parsedKey(text: string): { line: string; fingerprint: string } {
  const key = parseSshPublicKey(text);
  if ('error' in key)
    throw new OperationError(ErrorCode.INVALID_FRAME, `sshPublicKey: ${key.error}`);
  return key;
}
