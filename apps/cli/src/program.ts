import { Command, CommanderError } from 'commander';
import { ok, sluiceClient } from './client';
import { registerCommands, type Context } from './commands';
import { ApiError, CommandFailed, EXIT, UsageError } from './errors';
import { personOf } from './id-token';
import { signInWithOidc } from './oidc-login';
import { output } from './output';
import { readSavedSettings, resolveSettings, saveSettings, settingsFile } from './settings';

/** The process around the CLI: everything it reads and writes goes through here (tests run the real process). */
export interface CliIo {
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** stderr is a terminal: progress redraws one line. */
  readonly interactive: boolean;
  readonly readStdin: () => Promise<string>;
}

interface GlobalFlags {
  readonly url?: string;
  readonly token?: string;
  readonly team?: string;
  readonly json?: boolean;
}

/** Runs one command line; resolves the exit code (0 done, 1 failed, 2 bad usage). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const program = new Command('sluice')
    .description('Sluice from the command line: configs, deploys, history, events, sync and tokens')
    .option('--url <url>', 'Sluice’s URL (default: $SLUICE_URL, the saved login, else http://127.0.0.1:8080)')
    .option('--token <token>', 'a bearer token (default: $SLUICE_TOKEN, else the saved login)')
    .option('--team <team>', 'signed in with OpenID Connect and in several teams: the team to act for (default: $SLUICE_TEAM, else the saved login)')
    .option('--json', 'print JSON for scripts instead of tables')
    .exitOverride()
    .showHelpAfterError('(run `sluice --help` for the commands)')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });

  const flags = (): GlobalFlags => program.opts<GlobalFlags>();
  const context = (): Context => {
    const out = output(Boolean(flags().json), io.stdout);
    let redraw = false;
    let printed: string | undefined;
    return {
      client: sluiceClient(resolveSettings(flags(), io.env)),
      out,
      progress(text, final = false) {
        if (out.json) return;
        // Without a terminal nothing is redrawn: a line per change (a poll that saw no progress prints nothing).
        if (!io.interactive && text === printed) return;
        printed = text;
        if (io.interactive && !final) {
          io.stderr(`\r${text}\x1b[K`);
          redraw = true;
          return;
        }
        io.stderr(`${redraw ? '\r' : ''}${text}${io.interactive ? '\x1b[K' : ''}\n`);
        redraw = false;
      },
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    };
  };

  program
    .command('login')
    .description('sign in — with a token, or as a person with OpenID Connect (--oidc) — and save it for later commands (0600)')
    .option('--oidc', 'sign in with the OpenID Connect provider Sluice names: open the address printed in a browser')
    .addHelpText('after', '\nThe token may also come from $SLUICE_TOKEN, or from standard input with --token -.')
    .action(async (own: { oidc?: boolean }) => {
      const given = flags();
      const file = settingsFile(io.env);
      let token: string | undefined;
      if (own.oidc) {
        token = await signInWithOidc(resolveSettings(given, io.env), (text) => io.stderr(text));
      } else {
        token = given.token === '-' ? (await io.readStdin()).trim() : (given.token ?? io.env['SLUICE_TOKEN']);
        if (!token) throw new UsageError('login needs a token: --token <token>, --token - (from standard input), $SLUICE_TOKEN, or --oidc');
      }
      const settings = resolveSettings({ ...given, token }, io.env);
      const { configs } = await ok(sluiceClient(settings).GET('/api/configs', { params: { query: {} } }));
      const saved = readSavedSettings(file);
      saveSettings(file, { ...saved, url: settings.url, token, ...(given.team ? { team: given.team } : {}) });
      const who = own.oidc ? ` as ${personOf(token)}` : '';
      output(Boolean(given.json), io.stdout).result({ url: settings.url, file, configs: configs.length }, () => `logged in to ${settings.url}${who}: ${configs.length} configs visible; saved to ${file}`);
    });

  registerCommands(program, context);

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end "successfully"; every other parse error is bad usage.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof UsageError) {
      io.stderr(`sluice: ${error.message}\n`);
      return EXIT.usage;
    }
    if (error instanceof ApiError) {
      io.stderr(`sluice: ${error.message}${error.status ? ` (${error.status} ${error.code})` : ''}\n`);
      return EXIT.failed;
    }
    if (error instanceof CommandFailed) {
      io.stderr(`sluice: ${error.message}\n`);
      return EXIT.failed;
    }
    io.stderr(`sluice: unexpected error: ${(error as Error).stack ?? String(error)}\n`);
    return EXIT.failed;
  }
}
