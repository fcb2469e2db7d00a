/**
 * The admin command line: `npm run cli -- <command> [options]`. Exit status 0 when done, 1 when it failed, 2 for a
 * usage error (with the usage). Commands connect to the database and the log only once their arguments are good.
 */
import { type Config, loadConfig } from '../platform/config';
import { adminCommands } from './admin-users';
import { type CliCommand, CliFailure, helpOf, type Io, parseCommandArgs, UsageError } from './command';
import type { CliContext } from './context';
import { eventLogCommands } from './event-log';
import { projectionCommands } from './projections';

export const COMMANDS: readonly CliCommand[] = [...adminCommands, ...projectionCommands, ...eventLogCommands];

const TOOL_HELP = `usage: npm run cli -- <command> [options]

The Team Tracker admin command line. It works on the database directly (DATABASE_URL, or the embedded
PostgreSQL of \`npm start\` found in DATA_DIR) and on the event log (EventStoreDB when
EVENTSTORE_CONNECTION_STRING is set), so it works while the API is down. A .env file is read as the app reads it.

commands:
${COMMANDS.map((c) => `  ${c.usage}\n      ${c.summary}`).join('\n')}

\`npm run cli -- <command> --help\` says more about one. Exit status: 0 done, 1 failed, 2 usage error.
`;

const ADMIN_HELP = `usage: npm run cli -- admin <create|promote|demote> …

${adminCommands.map((c) => `  ${c.usage}\n      ${c.summary}`).join('\n')}
`;

type Found = { command: CliCommand; args: string[] } | { help: string; asked: boolean };

/** The command the words name (`admin` takes a second word) and the arguments after them, or help to show. */
const find = (argv: string[]): Found => {
  const [first, second, ...rest] = argv;
  const asking = (word: string | undefined) => word === '--help' || word === '-h' || word === 'help';
  if (first === undefined || asking(first)) return { help: TOOL_HELP, asked: first !== undefined };
  if (first === 'admin') {
    if (second === undefined || asking(second)) return { help: ADMIN_HELP, asked: second !== undefined };
    const command = COMMANDS.find((c) => c.name === `admin ${second}`);
    if (!command) throw new UsageError(`unknown admin command "${second}"\n\n${ADMIN_HELP}`);
    return { command, args: rest };
  }
  const command = COMMANDS.find((c) => c.name === first && !c.name.includes(' '));
  if (!command) throw new UsageError(`unknown command "${first}"\n\n${TOOL_HELP}`);
  return { command, args: argv.slice(1) };
};

/** What an error says to the person at the terminal. */
const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export const runCli = async (
  argv: string[],
  io: Io,
  options: { config?: () => Config } = {},
): Promise<number> => {
  let found: Found;
  try {
    found = find(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err.write(message(error));
    return 2;
  }
  if ('help' in found) {
    // Help asked for goes to stdout; a command line with no command is a usage error.
    (found.asked ? io.out : io.err).write(found.help);
    return found.asked ? 0 : 2;
  }
  const { command } = found;
  let parsed: ReturnType<typeof parseCommandArgs>;
  try {
    parsed = parseCommandArgs(command, found.args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err.write(`${message(error)}\n\nusage: npm run cli -- ${command.usage}\n`);
    return 2;
  }
  if (parsed.help) {
    io.out.write(helpOf(command));
    return 0;
  }
  let ctx: CliContext | null = null;
  try {
    // Loaded once needed: the clients of the database and the log are most of the start-up time.
    const { connect } = await import('./context.js');
    const connected = await connect((options.config ?? loadConfig)());
    ctx = connected;
    await command.run(parsed, connected, io);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.err.write(`${message(error)}\n\nusage: npm run cli -- ${command.usage}\n`);
      return 2;
    }
    // A failure the tool foresaw says what to do; anything else also says where it came from.
    io.err.write(`${command.name}: ${error instanceof CliFailure ? message(error) : String(error)}\n`);
    return 1;
  } finally {
    await ctx?.close().catch(() => undefined);
  }
};
