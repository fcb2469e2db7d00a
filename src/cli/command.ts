import { type ParseArgsConfig, parseArgs } from 'node:util';
import type { CliContext } from './context';

/** A mistake in how the tool was called: exit status 2, with the command's usage. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Something that went wrong doing what was asked: exit status 1, with this message only. */
export class CliFailure extends Error {
  override readonly name = 'CliFailure';
}

/** Where a command writes; the process's own streams, except in tests of the pieces. */
export interface Io {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  /** Ends when the user asks to stop (Ctrl-C, SIGTERM): long-running commands stop cleanly on it. */
  stop: AbortSignal;
}

type Options = NonNullable<ParseArgsConfig['options']>;

export interface CliCommand {
  /** As typed: `projections`, `admin create`. */
  name: string;
  /** One line for the tool's help. */
  summary: string;
  /** The synopsis after `npm run cli -- `. */
  usage: string;
  /** What `--help` adds below the synopsis. */
  help: string;
  options: Options;
  /** How many positional arguments it takes. */
  positionals: number;
  run(
    input: { values: Record<string, unknown>; positionals: string[] },
    ctx: CliContext,
    io: Io,
  ): Promise<void>;
}

export const helpOf = (command: CliCommand): string =>
  `usage: npm run cli -- ${command.usage}\n\n${command.summary}\n\n${command.help.trim()}\n`;

/** Parses the command's arguments strictly: unknown options, missing values and extra words are usage errors. */
export const parseCommandArgs = (
  command: CliCommand,
  args: string[],
): { values: Record<string, unknown>; positionals: string[]; help: boolean } => {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const values = parsed.values as Record<string, unknown>;
  if (values.help) return { values, positionals: parsed.positionals, help: true };
  if (parsed.positionals.length !== command.positionals)
    throw new UsageError(
      parsed.positionals.length < command.positionals
        ? 'missing an argument'
        : `unexpected argument "${parsed.positionals[command.positionals]}"`,
    );
  return { values, positionals: parsed.positionals, help: false };
};

/** A string option's value, or undefined. */
export const text = (values: Record<string, unknown>, name: string): string | undefined =>
  typeof values[name] === 'string' ? (values[name] as string) : undefined;

/** A repeatable string option's values, or undefined when not given. */
export const texts = (values: Record<string, unknown>, name: string): string[] | undefined =>
  Array.isArray(values[name]) ? (values[name] as string[]) : undefined;

/** Writes and waits for the stream to take more when its buffer is full: memory stays flat. */
export const writeLine = async (stream: NodeJS.WritableStream, line: string): Promise<void> => {
  if (!stream.write(`${line}\n`)) await new Promise<void>((resolve) => stream.once('drain', resolve));
};
