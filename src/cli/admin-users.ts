/**
 * `admin create|promote|demote`: who is an admin. A new admin is registered through the registration command (its
 * `UserRegistered` in the log like any user's); `is_admin` lives in the credentials. Each change is recorded as
 * the system admin's action (`SYSTEM_ADMIN_ID`: the command line acts for no user of the app), with the operating
 * system user who ran it in its details.
 */
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { SYSTEM_ADMIN_ID } from '../domain/admin';
import { IllegalStateError, ValidationError } from '../domain/shared/errors';
import { type CliCommand, CliFailure, type Io, text, UsageError } from './command';
import type { CliContext } from './context';

/** Everything on stdin, without the final line break: `printf %s "$PASSWORD" | … --password-stdin`. */
const readStdin = async (stdin: NodeJS.ReadableStream): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
};

/** Asks on the terminal without echoing what is typed. */
const prompt = (io: Io, question: string): Promise<string> =>
  new Promise((resolve, reject) => {
    let muted = false;
    const output = new Writable({
      write(chunk, _encoding, done) {
        if (!muted) io.err.write(chunk);
        done();
      },
    });
    const rl = createInterface({ input: io.stdin, output, terminal: true });
    rl.question(question, (answer) => {
      rl.close();
      io.err.write('\n');
      resolve(answer);
    });
    muted = true;
    rl.on('SIGINT', () => {
      rl.close();
      reject(new CliFailure('cancelled'));
    });
  });

const passwordOf = async (values: Record<string, unknown>, io: Io): Promise<string> => {
  if (values['password-stdin']) return readStdin(io.stdin);
  if (!io.stdin.isTTY)
    throw new UsageError('no terminal to ask for the password on: pass it on stdin with --password-stdin');
  const password = await prompt(io, 'Password: ');
  if ((await prompt(io, 'Again: ')) !== password) throw new CliFailure('the passwords differ');
  return password;
};

const record = (
  ctx: CliContext,
  action: 'admin.granted' | 'admin.revoked',
  user: { userId: string; username: string },
  extra: Record<string, boolean> = {},
) =>
  ctx.commands.recordAdminAction(
    {
      adminId: SYSTEM_ADMIN_ID,
      action,
      details: { userId: user.userId, username: user.username, ...extra, operator: ctx.operator },
    },
    { correlationId: ctx.correlationId },
  );

/** A refusal of the command side, said plainly. */
const refused = (error: unknown): never => {
  if (error instanceof ValidationError || error instanceof IllegalStateError)
    throw new CliFailure(error.message);
  throw error;
};

const createAdmin: CliCommand = {
  name: 'admin create',
  summary: 'Register a new user who is an admin.',
  usage: 'admin create <username> --email <email> [--password-stdin]',
  help: `
The password is asked for on the terminal (twice, not echoed), or read from stdin with --password-stdin.
The user is registered like any other (UserRegistered in the log), and the grant is recorded as an
AdminActionRecorded (admin.granted) of the command line in stream admin-${SYSTEM_ADMIN_ID}.

options:
  --email <email>     the user's email (required)
  --password-stdin    read the password from stdin (all of it, less a final line break)

example:
  printf %s "$ADMIN_PASSWORD" | npm run cli -- admin create ann --email ann@example.com --password-stdin`,
  options: { email: { type: 'string' }, 'password-stdin': { type: 'boolean' } },
  positionals: 1,
  async run({ values, positionals }, ctx, io) {
    const username = positionals[0]!;
    const email = text(values, 'email');
    if (email === undefined) throw new UsageError('--email is required');
    const password = await passwordOf(values, io);
    const { userId } = await ctx.commands
      .registerUser({ username, email, password, isAdmin: true }, { correlationId: ctx.correlationId })
      .catch(refused);
    await record(ctx, 'admin.granted', { userId, username }, { created: true });
    io.out.write(`created admin ${username} (${userId})\n`);
  },
};

const setAdmin = (grant: boolean): CliCommand => ({
  name: grant ? 'admin promote' : 'admin demote',
  summary: grant ? 'Make an existing user an admin.' : 'Take admin rights away from a user.',
  usage: `admin ${grant ? 'promote' : 'demote'} <username>`,
  help: `
${grant ? 'Sets' : 'Clears'} is_admin in the user's credentials: it takes effect on their next request (the API reads it
every time), and is recorded as an AdminActionRecorded (${grant ? 'admin.granted' : 'admin.revoked'}) of the command line.
A user who ${grant ? 'is an admin already' : 'is not an admin'} is left as they are, and nothing is recorded.`,
  options: {},
  positionals: 1,
  async run({ positionals }, ctx, io) {
    const user = await ctx.credentials.findByUsername(positionals[0]!);
    if (!user) throw new CliFailure(`no user named ${positionals[0]}`);
    if (user.isAdmin === grant) {
      io.out.write(
        `${user.username} ${grant ? 'is an admin already' : 'is not an admin'}: nothing changed\n`,
      );
      return;
    }
    await ctx.credentials.setAdmin(user.userId, grant);
    try {
      await record(ctx, grant ? 'admin.granted' : 'admin.revoked', user);
    } catch (error) {
      throw new CliFailure(
        `${user.username} ${grant ? 'is now an admin' : 'is no longer an admin'}, but recording it failed: ` +
          (error as Error).message,
      );
    }
    io.out.write(
      `${user.username} (${user.userId}) ${grant ? 'is now an admin' : 'is no longer an admin'}\n`,
    );
  },
});

export const adminCommands: CliCommand[] = [createAdmin, setAdmin(true), setAdmin(false)];
