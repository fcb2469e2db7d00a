/**
 * What the audit and admin log routes share: the event as they show it, and the filters they validate.
 * The queries behind them are the event index's (`src/projections/event-log/`).
 */
import { DOMAIN_EVENT_TYPES, type DomainEventType } from '../../domain';
import { isPosition, type StreamReader } from '../../eventstore/port';
import { isIsoTime } from '../../projections/shared/values';
import { z } from '../openapi';
import { HttpError } from '../problem';

const userRef = z.object({ id: z.string(), username: z.string().nullable() });
const storedSchema = z
  .object({ schema_version: z.number().int(), data: z.unknown() })
  .openapi('StoredPayload', { description: 'The payload as the event store holds it, before upcasting' });

export const loggedEventSchema = z
  .object({
    position: z.string(),
    stream: z.string(),
    revision: z.number().int(),
    id: z.uuid(),
    type: z.string(),
    occurred_at: z.string(),
    recorded_at: z.string(),
    actor: userRef.nullable(),
    correlation_id: z.string().nullable(),
    causation_id: z.string().nullable(),
    command_id: z.string().nullable(),
    schema_version: z.number().int(),
    data: z.unknown().openapi({ description: "The payload in its type's current shape (upcast when read)" }),
    stored: storedSchema.nullable().optional().openapi({ description: 'With ?stored=true only' }),
  })
  .openapi('LoggedEvent');

const TYPES = DOMAIN_EVENT_TYPES as unknown as [DomainEventType, ...DomainEventType[]];
const eventType = z.enum(TYPES, { message: `must be an event type (${TYPES.join(', ')})` });

export const typeFilter = z
  .union([eventType, z.array(eventType)])
  .optional()
  .transform((value) => (value === undefined ? undefined : [value].flat()))
  .openapi({ description: 'Repeatable: events of any of these types' });

export const timeFilter = (description: string) =>
  z
    .string()
    .max(100)
    .refine(isIsoTime, { message: 'must be an ISO 8601 time with a zone, e.g. 2025-01-31T12:00:00Z' })
    .optional()
    .openapi({ description });

export const positionFilter = (description: string) =>
  z
    .string()
    .max(100)
    .refine(isPosition, { message: 'must be a position as given in X-Position' })
    .optional()
    .openapi({ description });

export const userFilter = (description: string) =>
  z
    .uuid({ message: 'must be a user id (a UUID)' })
    .transform((id) => id.toLowerCase())
    .optional()
    .openapi({ description });

/** Our streams only: a category the system writes, a dash, a UUID. */
const STREAM_NAME =
  /^(organization|project|issue|user|admin)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const streamName = z
  .string()
  .max(200)
  .regex(STREAM_NAME, {
    message: 'must be a stream of this system: organization-, project-, issue-, user- or admin- and a UUID',
  })
  .transform((name) => name.toLowerCase())
  .openapi({ description: 'A stream name, e.g. issue-<uuid>' });

export const storedFlag = z
  .enum(['true', 'false'], { message: 'must be true or false' })
  .optional()
  .transform((value) => value === 'true')
  .openapi({ description: 'true: each event also carries stored, its payload as the store holds it' });

/** The store without upcasting when `?stored=true` asks for it; 503 when this deployment has none. */
export const storedReader = (raw: StreamReader | null, wanted: boolean): StreamReader | undefined => {
  if (!wanted) return undefined;
  if (raw === null)
    throw new HttpError(503, 'Service unavailable', 'this server has no reader of stored events configured', {
      headers: { 'Retry-After': '60' },
    });
  return raw;
};
