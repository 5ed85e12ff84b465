import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CliError, ExitCode } from '../../support/exit-codes.js';
import { hubRequest } from '../hub-client.js';
import { holdForward } from '../hold-forward.js';
import { ago, renderTable } from '../table.js';
import type { TargetResolver } from './hub-commands.js';
import { withTlsClientFlags } from '../target.js';

/** The hub's default nodes.ssh.commandTimeoutMs: how long a command without --timeout may run. */
const HUB_COMMAND_TIMEOUT_MS = 60_000;
/** Room for the hub's SSH connect and its answer on top of the remote work itself. */
const REMOTE_WORK_TIMEOUT_MS = 30_000;

interface NodeJson {
  id: string;
  name: string;
  address: string | null;
  sshUser: string;
  sshPort: number;
  providers: string[];
  labels: Record<string, string>;
  status: string;
  lastError: string | null;
  lastSeen: number | null;
}

interface ForwardJson {
  id: string;
  nodeId: string;
  host: string;
  port: number;
  bindHost: string;
  localPort: number;
  connections: number;
  totalConnections: number;
}

interface CommandJson {
  id: string;
  status: string;
  exitCode: number | null;
  stdout: string;
  stderr: string;
  error: string | null;
  durationMs: number;
}

function readStdin(): string {
  try {
    return readFileSync(0, 'utf8').replace(/\r?\n$/, '');
  } catch {
    return '';
  }
}

/** `switchboard node …`: register, list, inspect, run commands on and remove remote nodes. */
export function registerNodeCommands(program: Command, resolve: TargetResolver): void {
  const node = program
    .command('node')
    .description('manage remote nodes (Docker, LXC, QEMU, process hosts) over SSH');
  const common = (cmd: Command): Command =>
    withTlsClientFlags(cmd)
      .option(
        '--url <url>',
        'HTTP side port of the hub; several hubs of one cluster comma-separated (env SWITCHBOARD_URL)',
      )
      .option('--token <jwt>', 'admin token (env SWITCHBOARD_TOKEN)')
      .option(
        '-d, --data-dir <dir>',
        'on the hub machine: mint a short-lived admin token from this data dir',
      )
      .option('--json', 'print JSON for scripts');
  const out = (json: boolean, data: unknown, text: () => string): void => {
    process.stdout.write(json ? `${JSON.stringify(data, null, 2)}\n` : `${text()}\n`);
  };

  common(
    node
      .command('add')
      .description('register a node: switchboard node add NAME ADDRESS')
      .argument('<name>')
      .argument('<address>', 'host name or IP the hub connects to')
      .option('-u, --user <user>', 'SSH user', 'root')
      .option('-p, --port <port>', 'SSH port', (v) => Number(v), 22)
      .option('--provider <kind...>', 'docker | lxc | qemu | process (repeatable)')
      .option('-l, --label <k=v...>', 'label (repeatable)')
      .option('--id <id>', 'node id (default: generated)')
      .option(
        '--ssh-key <name>',
        "the node's own private key: a file name in the hub's nodes.ssh.keysDir (default: the hub key)",
      )
      .option(
        '--install-key',
        'install the hub public key now, logging in once with a password (from stdin) or --key',
      )
      .option('--key <file>', 'with --install-key: a private key already authorised on the node')
      .option(
        '--authorized-keys-file <path>',
        'with --install-key: the file the node sshd reads (default ~/.ssh/authorized_keys)',
      ),
  ).action(async (name: string, address: string, opts) => {
    const labels: Record<string, string> = {};
    for (const l of (opts.label as string[] | undefined) ?? []) {
      const i = l.indexOf('=');
      if (i < 1) throw new CliError(`--label takes key=value, got ${l}`, ExitCode.USAGE);
      labels[l.slice(0, i)] = l.slice(i + 1);
    }
    const target = await resolve(opts);
    const created = await hubRequest<NodeJson>(target, 'POST', '/api/v1/nodes', {
      ...(opts.id ? { id: opts.id } : {}),
      name,
      address,
      sshUser: opts.user,
      sshPort: opts.port,
      ...(opts.sshKey ? { sshKey: opts.sshKey } : {}),
      ...(opts.provider ? { providers: opts.provider } : {}),
      labels,
    });
    let key: string | undefined;
    if (opts.installKey) {
      const creds: { privateKey?: string; password?: string; authorizedKeysFile?: string } =
        opts.key ? { privateKey: readFileSync(opts.key, 'utf8') } : { password: readStdin() };
      if (opts.authorizedKeysFile) creds.authorizedKeysFile = opts.authorizedKeysFile;
      if (!creds.privateKey && !creds.password)
        throw new CliError('--install-key needs a password on stdin or --key FILE', ExitCode.USAGE);
      key = (
        await hubRequest<{ key: string }>(
          target,
          'POST',
          `/api/v1/nodes/${encodeURIComponent(created.id)}/install-key`,
          creds,
          REMOTE_WORK_TIMEOUT_MS,
        )
      ).key;
    }
    out(
      opts.json,
      created,
      () =>
        `node ${created.name} registered as ${created.id} (${created.sshUser}@${created.address}:${created.sshPort})${key ? `; hub key ${key}` : ''}`,
    );
  });

  common(node.command('list').description('list nodes')).action(async (opts) => {
    const { nodes } = await hubRequest<{ nodes: NodeJson[] }>(
      await resolve(opts),
      'GET',
      '/api/v1/nodes',
    );
    out(opts.json, nodes, () =>
      nodes.length
        ? renderTable(
            ['NAME', 'ID', 'ADDRESS', 'PROVIDERS', 'STATUS', 'LAST SEEN'],
            nodes.map((n) => [
              n.name,
              n.id,
              `${n.sshUser}@${n.address ?? '-'}:${n.sshPort}`,
              n.providers.join(',') || '-',
              n.status,
              n.lastSeen ? `${ago(n.lastSeen)} ago` : 'never',
            ]),
          )
        : '(no nodes registered)',
    );
  });

  common(
    node.command('status').description('show a node and its connection status').argument('<name>'),
  ).action(async (name: string, opts) => {
    const n = await hubRequest<NodeJson>(
      await resolve(opts),
      'GET',
      `/api/v1/nodes/${encodeURIComponent(name)}`,
    );
    out(opts.json, n, () =>
      [
        `${n.name} (${n.id})`,
        `  address   ${n.sshUser}@${n.address ?? '-'}:${n.sshPort}`,
        `  providers ${n.providers.join(', ') || '-'}`,
        `  status    ${n.status}${n.lastError ? ` — ${n.lastError}` : ''}`,
        `  last seen ${n.lastSeen ? `${ago(n.lastSeen)} ago` : 'never'}`,
      ].join('\n'),
    );
  });

  common(
    node
      .command('exec')
      .description('run a command on a node: switchboard node exec NAME -- CMD ARGS…')
      .argument('<name>')
      .argument('<command...>', 'the command and its arguments (each passed literally)')
      .option('--timeout <ms>', 'command timeout', Number),
  ).action(async (name: string, argv: string[], opts) => {
    const c = await hubRequest<CommandJson>(
      await resolve(opts),
      'POST',
      `/api/v1/nodes/${encodeURIComponent(name)}/commands`,
      {
        type: 'exec',
        action: argv.join(' '),
        args: { argv },
        ...(opts.timeout ? { timeoutMs: opts.timeout } : {}),
      },
      (opts.timeout ?? HUB_COMMAND_TIMEOUT_MS) + REMOTE_WORK_TIMEOUT_MS,
    );
    if (opts.json) out(true, c, () => '');
    else {
      process.stdout.write(c.stdout);
      process.stderr.write(c.stderr);
      if (c.error) process.stderr.write(`switchboard: ${c.status}: ${c.error}\n`);
    }
    // The remote exit code becomes ours, so scripts can branch on it.
    process.exitCode = c.exitCode ?? (c.status === 'succeeded' ? 0 : ExitCode.FAILED);
  });

  common(
    node.command('remove').description('remove a node from the registry').argument('<name>'),
  ).action(async (name: string, opts) => {
    const r = await hubRequest<{ id: string }>(
      await resolve(opts),
      'DELETE',
      `/api/v1/nodes/${encodeURIComponent(name)}`,
    );
    out(opts.json, r, () => `removed ${name} (${r.id})`);
  });

  common(
    node
      .command('forward')
      .description(
        'open a hub port that forwards to PORT on the node: switchboard node forward NAME PORT',
      )
      .argument('<name>')
      .argument('<port>', 'the port on the node side', Number)
      .option('--host <host>', 'where the node connects to (default 127.0.0.1: the node itself)')
      .option('--local-port <port>', 'the hub port to listen on (default: the hub picks)', Number)
      .option(
        '--detach',
        'print the port and exit, leaving the forward open (close it with `node unforward`)',
      ),
  ).action(async (name: string, port: number, opts) => {
    const target = await resolve(opts);
    const base = `/api/v1/nodes/${encodeURIComponent(name)}/forwards`;
    const f = await hubRequest<ForwardJson>(
      target,
      'POST',
      base,
      {
        port,
        ...(opts.host ? { host: opts.host } : {}),
        ...(opts.localPort ? { localPort: opts.localPort } : {}),
      },
      REMOTE_WORK_TIMEOUT_MS,
    );
    // stdout is the port alone (PORT=$(switchboard node forward box 80 --detach)); what it
    // means goes to stderr.
    out(opts.json, f, () => String(f.localPort));
    const what = `${f.bindHost}:${f.localPort} -> ${f.host}:${f.port} on ${name} (${f.id})`;
    if (opts.detach) {
      process.stderr.write(
        `forwarding ${what}; close it with: switchboard node unforward ${name} ${f.id}\n`,
      );
      return;
    }
    process.stderr.write(`forwarding ${what}; Ctrl-C to stop\n`);
    await holdForward(target, {
      id: f.id,
      closePath: `${base}/${encodeURIComponent(f.id)}`,
      listPath: base,
      gone: /no node/,
    });
  });

  common(
    node.command('forwards').description("list a node's open port forwards").argument('<name>'),
  ).action(async (name: string, opts) => {
    const { forwards } = await hubRequest<{ forwards: ForwardJson[] }>(
      await resolve(opts),
      'GET',
      `/api/v1/nodes/${encodeURIComponent(name)}/forwards`,
    );
    out(opts.json, forwards, () =>
      forwards.length
        ? renderTable(
            ['ID', 'LISTEN', 'TO', 'OPEN', 'TOTAL'],
            forwards.map((f) => [
              f.id,
              `${f.bindHost}:${f.localPort}`,
              `${f.host}:${f.port}`,
              String(f.connections),
              String(f.totalConnections),
            ]),
          )
        : '(no forwards)',
    );
  });

  common(
    node
      .command('unforward')
      .description('close a port forward: switchboard node unforward NAME ID')
      .argument('<name>')
      .argument('<id>', 'the forward id (`node forwards NAME` lists them)'),
  ).action(async (name: string, id: string, opts) => {
    await hubRequest(
      await resolve(opts),
      'DELETE',
      `/api/v1/nodes/${encodeURIComponent(name)}/forwards/${encodeURIComponent(id)}`,
    );
    out(opts.json, { id, closed: true }, () => `closed ${id}`);
  });
}
