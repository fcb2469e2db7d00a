/**
 * `tail`, `export` and `stream`: the log as the event index (`event_log`, a read model the projector keeps)
 * shows it, read in keyset batches so memory stays flat however long the log. Events reach the index when the
 * projector applies them: a stopped projector delays `tail`, it never makes it skip one.
 */
import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { SYSTEM_ADMIN_ID } from '../domain/admin';
import { ValidationError } from '../domain/shared/errors';
import type { Position } from '../eventstore/port';
import { type EventQuery, eventLogQuery, iterateEvents, type LoggedEvent } from '../projections/event-log';
import { type CliCommand, CliFailure, type Io, text, texts, UsageError, writeLine } from './command';
import type { CliContext } from './context';

const POLL_MS = 250;

/** The filters `tail` and `export` share, checked before anything is read or recorded. */
const queryOf = (values: Record<string, unknown>): EventQuery => {
  const query: EventQuery = {
    types: texts(values, 'type'),
    stream: text(values, 'stream'),
    actor: text(values, 'actor'),
    afterPosition: text(values, 'after'),
    occurredFrom: text(values, 'from'),
    occurredBefore: text(values, 'to'),
  };
  try {
    eventLogQuery(query, null, 1);
  } catch (error) {
    if (error instanceof ValidationError)
      throw new UsageError(error.errors.map((e) => `--${e.path}: ${e.message}`).join('; '));
    throw error;
  }
  return query;
};

const FILTER_OPTIONS = {
  type: { type: 'string', multiple: true },
  stream: { type: 'string' },
  actor: { type: 'string' },
  after: { type: 'string' },
} as const;

const FILTER_HELP = `  --type <T>        only events of this type (repeat for several)
  --stream <S>      only this stream, e.g. issue-<uuid>
  --actor <ID>      only events recorded on behalf of this user id
  --after <P>       only events strictly after this position (as in X-Position)`;

/** One event on one line: position, time, stream and revision, type, actor, data. */
export const eventLine = (e: LoggedEvent): string => {
  const actor = e.actor ? (e.actor.username ?? e.actor.id) : '-';
  return `${e.position}  ${e.occurred_at}  ${e.stream}@${e.revision}  ${e.type}  by ${actor}  ${JSON.stringify(e.data)}`;
};

const tailCommand: CliCommand = {
  name: 'tail',
  summary: 'Print the log as it grows, one line per event, until Ctrl-C.',
  usage: 'tail [--type <T>]... [--stream <S>] [--actor <ID>] [--after <P>] [--json]',
  help: `
Starts at the head of the log (or after --after, printing what came since first) and prints each new event as
the projector indexes it: position, time, stream@revision, type, actor, data.

options:
${FILTER_HELP}
  --json            each event as one JSON object (as the admin API shows it) instead`,
  options: { ...FILTER_OPTIONS, json: { type: 'boolean' } },
  positionals: 0,
  async run({ values }, ctx, io) {
    const query = queryOf(values);
    let after: Position = query.afterPosition ?? (await ctx.store.headPosition());
    const print = (e: LoggedEvent) => (values.json ? JSON.stringify(e) : eventLine(e));
    io.err.write(`following the log after ${after}; Ctrl-C to stop\n`);
    while (!io.stop.aborted) {
      for await (const event of iterateEvents(
        ctx.knex,
        { ...query, afterPosition: after },
        { batchSize: 500 },
      )) {
        await writeLine(io.out, print(event));
        after = event.position;
        if (io.stop.aborted) break;
      }
      await sleep(POLL_MS, undefined, { signal: io.stop }).catch(() => undefined);
    }
  },
};

/** Where the export goes: a file (made or truncated), or stdout. */
const destination = (out: string | undefined, io: Io) => {
  if (out === undefined) return { stream: io.out, end: async () => undefined };
  const file = createWriteStream(out, { flags: 'w' });
  return {
    stream: file,
    async end() {
      file.end();
      await finished(file);
    },
  };
};

const exportCommand: CliCommand = {
  name: 'export',
  summary: 'Write the log, or the part the filters select, as NDJSON: one event per line, oldest first.',
  usage:
    'export [--after <P>] [--from <ISO>] [--to <ISO>] [--type <T>]... [--stream <S>] [--actor <ID>] [--out <FILE>]',
  help: `
Each line is one event as the admin API shows it (position, stream, revision, id, type, occurred_at,
recorded_at, actor, correlation_id, causation_id, command_id, schema_version, data). Memory stays flat
whatever the size. The export is recorded first, as an AdminActionRecorded (events.exported) of the
command line with its filters, and covers the log up to that record (as far as the projector has indexed it).

options:
${FILTER_HELP}
  --from <ISO>      only events that occurred at or after this time (ISO 8601 with a zone)
  --to <ISO>        only events that occurred strictly before this time
  --out <FILE>      write to this file (made or emptied) instead of stdout

example:
  npm run cli -- export --from 2026-01-01T00:00:00Z --type IssueCreated --out issues-created.ndjson`,
  options: {
    ...FILTER_OPTIONS,
    from: { type: 'string' },
    to: { type: 'string' },
    out: { type: 'string' },
  },
  positionals: 0,
  async run({ values }, ctx, io) {
    const query = queryOf(values);
    const out = text(values, 'out');
    const recorded = await ctx.commands.recordAdminAction(
      {
        adminId: SYSTEM_ADMIN_ID,
        action: 'events.exported',
        details: {
          after: query.afterPosition,
          from: query.occurredFrom,
          to: query.occurredBefore,
          type: query.types?.join(','),
          stream: query.stream,
          actor: query.actor,
          out: out ?? 'stdout',
          operator: ctx.operator,
        },
      },
      { correlationId: ctx.correlationId },
    );
    const target = destination(out, io);
    let count = 0;
    // Up to its own record: what was in the log when the export began (and indexed by then).
    const end = recorded.position;
    for await (const event of iterateEvents(ctx.knex, query)) {
      if (end !== null && event.position >= end) break;
      await writeLine(target.stream, JSON.stringify(event));
      count += 1;
      if (io.stop.aborted) throw new CliFailure(`interrupted after ${count} events`);
    }
    await target.end();
    io.err.write(`exported ${count} events${out === undefined ? '' : ` to ${out}`}\n`);
  },
};

const streamCommand: CliCommand = {
  name: 'stream',
  summary: "One stream's events in order, with their metadata.",
  usage: 'stream <stream> [--json]',
  help: `
Streams are named <category>-<id>: organization-…, project-…, issue-…, user-…, admin-….
Each event shows its revision, position, type, times, actor, correlation, causation and command ids, and data.

options:
  --json    each event as one JSON object (as the admin API shows it) instead`,
  options: { json: { type: 'boolean' } },
  positionals: 1,
  async run({ values, positionals }, ctx: CliContext, io) {
    const stream = positionals[0]!;
    let count = 0;
    for await (const e of iterateEvents(ctx.knex, { stream })) {
      count += 1;
      if (values.json) {
        await writeLine(io.out, JSON.stringify(e));
        continue;
      }
      const actor = e.actor ? `${e.actor.username ?? '?'} (${e.actor.id})` : '-';
      await writeLine(
        io.out,
        [
          `#${e.revision}  ${e.type}  at ${e.position}`,
          `  occurred ${e.occurred_at}, recorded ${e.recorded_at}, schema version ${e.schema_version}`,
          `  actor ${actor}`,
          `  correlation ${e.correlation_id ?? '-'}, causation ${e.causation_id ?? '-'}, command ${e.command_id ?? '-'}, id ${e.id}`,
          `  data ${JSON.stringify(e.data)}`,
        ].join('\n'),
      );
    }
    // The index follows the projector: say so when the log itself has more of this stream.
    const inLog = ((await ctx.store.streamRevision(stream).catch(() => null)) ?? -1) + 1;
    if (inLog > count)
      io.err.write(
        `the log has ${inLog - count} more event(s) of ${stream} than the event index yet: is the projector running?\n`,
      );
    if (count === 0 && inLog === 0) throw new CliFailure(`no stream named ${stream}`);
    if (count === 0) throw new CliFailure(`${stream} is not in the event index yet`);
  },
};

export const eventLogCommands: CliCommand[] = [tailCommand, exportCommand, streamCommand];
