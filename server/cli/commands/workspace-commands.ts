import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CliError, ExitCode } from '../../support/exit-codes.js';
import { parse as parseYaml } from 'yaml';
import { holdForward } from '../hold-forward.js';
import { hubRequest, type HubTarget } from '../hub-client.js';
import { ago, renderTable } from '../table.js';
import { withTlsClientFlags } from '../target.js';
import type { TargetResolver } from './hub-commands.js';

/** Room for the steps a stop or delete runs on the node (each may take the hub's step timeout). */
const NODE_WORK_TIMEOUT_MS = 120_000;

interface UserJson {
  username: string;
  githubId: number;
  email: string;
  sshPublicKey: string;
  fingerprint: string;
  createdAt: number;
  workspaces?: { id: string; error?: string }[];
}

interface WorkspaceJson {
  id: string;
  user: string;
  name: string;
  provider: string;
  node: string;
  nodeName: string | null;
  status: string;
  lastError: string | null;
  sshPort: number;
  ssh: { host: string | null; port: number; user: string; command: string | null };
  serviceStatus?: Record<string, string>;
  createdAt: number;
  updatedAt: number;
}

interface ServiceJson {
  name: string;
  port: number | null;
  dependencies: string[];
  healthCheck: { type: string } | null;
  status: string;
  lastError: string | null;
  lastCheck: { at: number; ok: boolean; error: string | null } | null;
  forwards: ForwardJson[];
}

interface ForwardJson {
  id: string;
  workspace: string;
  service: string;
  host: string;
  port: number;
  bindHost: string;
  localPort: number;
  connections: number;
  totalConnections: number;
}

/** Room for the hub to reach the node and open the forward's port. */
const FORWARD_TIMEOUT_MS = 30_000;

/** `--services FILE`: a JSON or YAML list of services (or `{ services: [...] }`). */
function servicesArg(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`, ExitCode.USAGE);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text) as unknown;
  } catch (err) {
    throw new CliError(`${file} is not JSON or YAML: ${(err as Error).message}`, ExitCode.USAGE);
  }
  const list =
    doc && typeof doc === 'object' && !Array.isArray(doc) && 'services' in doc
      ? (doc as { services: unknown }).services
      : doc;
  if (!Array.isArray(list))
    throw new CliError(`${file} must hold a list of services`, ExitCode.USAGE);
  return list;
}

/** A key given as a file (~/.ssh/id_ed25519.pub) or as the key line itself. */
function publicKeyArg(value: string): string {
  if (/^(ssh-|ecdsa-|sk-)/.test(value.trim())) return value.trim();
  try {
    return readFileSync(value, 'utf8').trim();
  } catch (err) {
    throw new CliError(`cannot read ${value}: ${(err as Error).message}`, ExitCode.USAGE);
  }
}

const common = (cmd: Command): Command =>
  withTlsClientFlags(cmd)
    .option(
      '--url <url>',
      'HTTP side port of the hub; several hubs of one cluster comma-separated (env SWITCHBOARD_URL)',
    )
    .option(
      '--token <jwt>',
      'token (env SWITCHBOARD_TOKEN): admin, or one whose subject is the user',
    )
    .option(
      '-d, --data-dir <dir>',
      'on the hub machine: mint a short-lived admin token from this data dir',
    )
    .option('--json', 'print JSON for scripts');

const out = (json: boolean, data: unknown, text: () => string): void => {
  process.stdout.write(json ? `${JSON.stringify(data, null, 2)}\n` : `${text()}\n`);
};

function describe(w: WorkspaceJson): string {
  return [
    `${w.name} (${w.id}) of ${w.user}`,
    `  status   ${w.status}${w.lastError ? ` — ${w.lastError}` : ''}`,
    `  provider ${w.provider} on ${w.nodeName ?? w.node}`,
    `  ssh      ${w.ssh.command ?? `port ${w.sshPort} (the node has no address)`}`,
    ...(w.serviceStatus && Object.keys(w.serviceStatus).length
      ? [
          `  services ${Object.entries(w.serviceStatus)
            .map(([name, status]) => `${name} ${status}`)
            .join(', ')}`,
        ]
      : []),
  ].join('\n');
}

/** Poll until the workspace leaves `creating`; the final record. */
async function waitRunning(
  target: HubTarget,
  id: string,
  timeoutMs: number,
): Promise<WorkspaceJson> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const w = await hubRequest<WorkspaceJson>(
      target,
      'GET',
      `/api/v1/workspaces/${encodeURIComponent(id)}`,
    );
    if (w.status === 'running' || w.status === 'failed' || Date.now() > deadline) return w;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Exit 0 when running; FAILED with the reason otherwise. */
function finish(w: WorkspaceJson, json: boolean): void {
  out(json, w, () => describe(w));
  if (w.status !== 'running') {
    process.exitCode = ExitCode.FAILED;
    if (!json) process.stderr.write(`switchboard: workspace ${w.id} is ${w.status}\n`);
  }
}

/** `switchboard user …`: register, show, replace the SSH key. */
export function registerUserCommands(program: Command, resolve: TargetResolver): void {
  const user = program
    .command('user')
    .description('users: a GitHub identity and an SSH public key');
  common(
    user
      .command('register')
      .description(
        'register a user: switchboard user register USERNAME --github-id N --email E --key FILE',
      )
      .argument('<username>', 'GitHub username')
      .requiredOption('--github-id <n>', 'numeric GitHub user id', (v) => Number(v))
      .requiredOption('--email <email>')
      .requiredOption('--key <file|line>', 'OpenSSH public key: a .pub file or the key line'),
  ).action(async (username: string, opts) => {
    const u = await hubRequest<UserJson>(
      await resolve(opts),
      'POST',
      '/api/v1/users/register-github',
      {
        username,
        githubId: opts.githubId,
        email: opts.email,
        sshPublicKey: publicKeyArg(opts.key),
      },
    );
    out(opts.json, u, () => `user ${u.username} registered; key ${u.fingerprint}`);
  });
  common(user.command('get').description('show a user').argument('<username>')).action(
    async (username: string, opts) => {
      const u = await hubRequest<UserJson>(
        await resolve(opts),
        'GET',
        `/api/v1/users/${encodeURIComponent(username)}`,
      );
      out(opts.json, u, () =>
        [
          `${u.username} (GitHub id ${u.githubId}, ${u.email})`,
          `  key       ${u.fingerprint}`,
          `  since     ${ago(u.createdAt)} ago`,
        ].join('\n'),
      );
    },
  );
  common(
    user
      .command('set-key')
      .description("replace a user's SSH public key (also in their running workspaces)")
      .argument('<username>')
      .argument('<key>', 'OpenSSH public key: a .pub file or the key line'),
  ).action(async (username: string, key: string, opts) => {
    const u = await hubRequest<UserJson>(
      await resolve(opts),
      'PUT',
      `/api/v1/users/${encodeURIComponent(username)}/ssh-key`,
      { sshPublicKey: publicKeyArg(key) },
      NODE_WORK_TIMEOUT_MS,
    );
    const failed = (u.workspaces ?? []).filter((w) => w.error);
    out(opts.json, u, () =>
      [
        `key of ${u.username} is now ${u.fingerprint}; ${u.workspaces?.length ?? 0} running workspace(s) updated`,
        ...failed.map((w) => `  ${w.id}: ${w.error}`),
      ].join('\n'),
    );
    if (failed.length) process.exitCode = ExitCode.FAILED;
  });
}

/** `switchboard workspace …`: create, list, show, start, stop, delete. */
export function registerWorkspaceCommands(program: Command, resolve: TargetResolver): void {
  const ws = program
    .command('workspace')
    .description('development workspaces on nodes, reached over SSH');
  common(
    ws
      .command('create')
      .description('create a workspace: switchboard workspace create NAME --user U --provider P')
      .argument('<name>')
      .requiredOption('--user <username>')
      .requiredOption('--provider <kind>', 'docker | lxc | qemu | process')
      .option('--node <node>', 'node id or name (default: the hub places it)')
      .option('--repository <url>', 'git repository to clone into it')
      .option('--image <image>', 'docker/lxc image or qemu base image')
      .option(
        '--services <file>',
        'a JSON or YAML list of services: name, port, command, dependencies, healthCheck',
      )
      .option('--no-wait', 'return at once, while it is still creating')
      .option('--wait-timeout <ms>', 'how long to wait for running', (v) => Number(v), 120_000),
  ).action(async (name: string, opts) => {
    const target = await resolve(opts);
    const w = await hubRequest<WorkspaceJson>(target, 'POST', '/api/v1/workspaces', {
      user: opts.user,
      name,
      provider: opts.provider,
      ...(opts.node ? { node: opts.node } : {}),
      ...(opts.repository ? { repository: opts.repository } : {}),
      ...(opts.image ? { image: opts.image } : {}),
      ...(opts.services ? { services: servicesArg(opts.services as string) } : {}),
    });
    if (!opts.wait) return out(opts.json, w, () => describe(w));
    finish(await waitRunning(target, w.id, opts.waitTimeout), opts.json);
  });
  common(
    ws
      .command('list')
      .description('list workspaces (yours; an admin: every one)')
      .option('--user <username>'),
  ).action(async (opts) => {
    const q = opts.user ? `?user=${encodeURIComponent(opts.user)}` : '';
    const { workspaces } = await hubRequest<{ workspaces: WorkspaceJson[] }>(
      await resolve(opts),
      'GET',
      `/api/v1/workspaces${q}`,
    );
    out(opts.json, workspaces, () =>
      workspaces.length
        ? renderTable(
            ['ID', 'NAME', 'USER', 'PROVIDER', 'NODE', 'STATUS', 'SSH'],
            workspaces.map((w) => [
              w.id,
              w.name,
              w.user,
              w.provider,
              w.nodeName ?? w.node,
              w.status,
              w.ssh.command ?? String(w.sshPort),
            ]),
          )
        : '(no workspaces)',
    );
  });
  common(ws.command('get').description('show a workspace').argument('<id>')).action(
    async (id: string, opts) => {
      const w = await hubRequest<WorkspaceJson>(
        await resolve(opts),
        'GET',
        `/api/v1/workspaces/${encodeURIComponent(id)}`,
      );
      out(opts.json, w, () => describe(w));
    },
  );
  common(
    ws
      .command('start')
      .description('start a stopped or failed workspace')
      .argument('<id>')
      .option('--no-wait', 'return at once')
      .option('--wait-timeout <ms>', 'how long to wait for running', (v) => Number(v), 120_000),
  ).action(async (id: string, opts) => {
    const target = await resolve(opts);
    const w = await hubRequest<WorkspaceJson>(
      target,
      'PATCH',
      `/api/v1/workspaces/${encodeURIComponent(id)}/status`,
      { action: 'start' },
    );
    if (!opts.wait) return out(opts.json, w, () => describe(w));
    // The answer is the workspace before the start. It stays stopped (or failed) until the
    // checks pass; a start that fails again changes its updatedAt.
    const deadline = Date.now() + opts.waitTimeout;
    let now = w;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      now = await hubRequest<WorkspaceJson>(
        target,
        'GET',
        `/api/v1/workspaces/${encodeURIComponent(id)}`,
      );
      if (now.status === 'running' || (now.status === 'failed' && now.updatedAt !== w.updatedAt))
        break;
    }
    finish(now, opts.json);
  });
  common(ws.command('stop').description('stop a running workspace').argument('<id>')).action(
    async (id: string, opts) => {
      const w = await hubRequest<WorkspaceJson>(
        await resolve(opts),
        'PATCH',
        `/api/v1/workspaces/${encodeURIComponent(id)}/status`,
        { action: 'stop' },
        NODE_WORK_TIMEOUT_MS,
      );
      out(opts.json, w, () => describe(w));
    },
  );
  common(
    ws
      .command('delete')
      .description('stop and remove a workspace, releasing its port')
      .argument('<id>'),
  ).action(async (id: string, opts) => {
    const w = await hubRequest<WorkspaceJson>(
      await resolve(opts),
      'DELETE',
      `/api/v1/workspaces/${encodeURIComponent(id)}`,
      undefined,
      NODE_WORK_TIMEOUT_MS,
    );
    out(opts.json, w, () => `deleted ${w.name} (${w.id}); port ${w.sshPort} released`);
  });

  common(
    ws
      .command('services')
      .description("a workspace's services: status, last check, forwards")
      .argument('<id>'),
  ).action(async (id: string, opts) => {
    const { services } = await hubRequest<{ services: ServiceJson[] }>(
      await resolve(opts),
      'GET',
      `/api/v1/workspaces/${encodeURIComponent(id)}/services`,
    );
    out(opts.json, services, () =>
      services.length
        ? renderTable(
            ['NAME', 'PORT', 'CHECK', 'STATUS', 'LAST CHECK', 'FORWARDS', 'ERROR'],
            services.map((s) => [
              s.name,
              s.port === null ? '-' : String(s.port),
              s.healthCheck?.type ?? (s.port === null ? '-' : 'tcp'),
              s.status,
              s.lastCheck ? `${s.lastCheck.ok ? 'ok' : 'failed'} ${ago(s.lastCheck.at)}` : '-',
              s.forwards.map((f) => `${f.bindHost}:${f.localPort}`).join(' ') || '-',
              s.lastError ?? '',
            ]),
          )
        : '(no services)',
    );
  });
  common(
    ws
      .command('forward')
      .description(
        'open a hub port that forwards to a service of the workspace: switchboard workspace forward ID SERVICE',
      )
      .argument('<id>')
      .argument('<service>')
      .option('--local-port <port>', 'the hub port to listen on (default: the hub picks)', Number)
      .option(
        '--detach',
        'print the port and exit, leaving the forward open (it closes with the workspace, or with `workspace unforward`)',
      ),
  ).action(async (id: string, service: string, opts) => {
    const target = await resolve(opts);
    const base = `/api/v1/workspaces/${encodeURIComponent(id)}`;
    const f = await hubRequest<ForwardJson>(
      target,
      'POST',
      `${base}/services/${encodeURIComponent(service)}/port-forward`,
      opts.localPort ? { localPort: opts.localPort } : {},
      FORWARD_TIMEOUT_MS,
    );
    // stdout is the port alone (PORT=$(switchboard workspace forward ID web --detach)); what
    // it means goes to stderr.
    out(opts.json, f, () => String(f.localPort));
    const what = `${f.bindHost}:${f.localPort} -> service ${service} (port ${f.port}) of ${id} (${f.id})`;
    if (opts.detach) {
      process.stderr.write(
        `forwarding ${what}; close it with: switchboard workspace unforward ${id} ${f.id}\n`,
      );
      return;
    }
    process.stderr.write(`forwarding ${what}; Ctrl-C to stop\n`);
    await holdForward(target, {
      id: f.id,
      closePath: `${base}/forwards/${encodeURIComponent(f.id)}`,
      listPath: `${base}/forwards`,
      gone: /no workspace/,
    });
  });
  common(
    ws
      .command('unforward')
      .description('close a forward to a service: switchboard workspace unforward ID FORWARD')
      .argument('<id>')
      .argument('<forward>', 'the forward id (`workspace services ID` lists them)'),
  ).action(async (id: string, fid: string, opts) => {
    await hubRequest(
      await resolve(opts),
      'DELETE',
      `/api/v1/workspaces/${encodeURIComponent(id)}/forwards/${encodeURIComponent(fid)}`,
    );
    out(opts.json, { id: fid, closed: true }, () => `closed ${fid}`);
  });
}
