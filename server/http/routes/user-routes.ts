import { z } from 'zod';
import type { UserRecord } from '../../core/index.js';
import type { Hub } from '../../hub/hub.js';
import { callerOf, type Route } from '../router.js';
import { parseParams } from '../route-input.js';
import { errorJson } from '../schemas/error-json.js';
import { userJson, type UserJson } from '../schemas/workspace-json.js';
import { parseBody } from '../validate.js';

/** GitHub's rule: letters, digits and single inner hyphens, at most 39. */
export const usernameSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/,
    'a GitHub username: 1-39 letters, digits or single inner hyphens',
  );
const publicKey = z
  .string()
  .min(1)
  .max(16_384)
  .describe('one OpenSSH public key line, e.g. the contents of ~/.ssh/id_ed25519.pub');
const registerBody = z.strictObject({
  username: usernameSchema,
  githubId: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  email: z.email().max(254),
  sshPublicKey: publicKey,
});
const keyBody = z.strictObject({ sshPublicKey: publicKey });
const userParams = z.strictObject({ username: usernameSchema });
const keyAnswer = userJson.extend({
  workspaces: z
    .array(z.object({ id: z.string(), error: z.string().optional() }))
    .describe('the running workspaces that got the new key (with the reason where one did not)'),
});
const TAGS = ['users'];

export function toUserJson(u: UserRecord): UserJson {
  return {
    username: u.username,
    githubId: u.githubId,
    email: u.email,
    sshPublicKey: u.publicKey,
    fingerprint: u.fingerprint,
    createdAt: u.createdAt,
    updatedAt: u.updatedAt,
  };
}

/**
 * /api/v1/users: registration with a GitHub identity and an SSH public key, and the key's
 * replacement. Who may do what is the gateway's (`gateway.users`): admins, and a token whose
 * subject is the username.
 */
export function userRoutes(hub: Hub): Route[] {
  const gw = hub.gateway.users;
  return [
    {
      method: 'POST',
      path: '/api/v1/users/register-github',
      auth: ['producer'],
      doc: {
        summary: 'Register a user: GitHub username and id, email, SSH public key',
        description:
          'The key is parsed; one that is not a valid OpenSSH public key (or is a private key) is 400 naming `sshPublicKey` and the reason. A username or GitHub id registered already is 409.',
        tags: TAGS,
        body: registerBody,
        responses: { 201: userJson, 400: errorJson, 409: errorJson },
      },
      handler: async (ctx) => {
        const b = parseBody(registerBody, ctx.body);
        return { status: 201, body: toUserJson(await gw.register(callerOf(ctx), b)) };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/users/:username',
      auth: ['producer'],
      doc: {
        summary: 'One user',
        tags: TAGS,
        params: userParams,
        responses: { 200: userJson, 404: errorJson },
      },
      handler: (ctx) => ({
        body: toUserJson(gw.get(callerOf(ctx), parseParams(userParams, ctx).username)),
      }),
    },
    {
      method: 'PUT',
      path: '/api/v1/users/:username/ssh-key',
      auth: ['producer'],
      doc: {
        summary: "Replace a user's SSH public key, also in their running workspaces",
        tags: TAGS,
        params: userParams,
        body: keyBody,
        responses: { 200: keyAnswer, 400: errorJson, 404: errorJson },
      },
      handler: async (ctx) => {
        const { username } = parseParams(userParams, ctx);
        const { sshPublicKey } = parseBody(keyBody, ctx.body);
        const { user, workspaces } = await gw.setKey(callerOf(ctx), username, sshPublicKey);
        return { body: { ...toUserJson(user), workspaces } };
      },
    },
  ];
}
