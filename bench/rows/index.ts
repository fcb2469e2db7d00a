import type { Row } from '../core/row';
import { appendRow } from './append';
import { createRow } from './create';
import { growthRow } from './growth';
import { idleWsRow } from './idle-ws';
import { keysRow } from './keys';
import { lagRow } from './lag';
import { listRow } from './list';
import { memoryRow } from './memory';
import { rebuildRow } from './rebuild';
import { wsPushRow } from './ws-push';

/**
 * Every row of QUALITY.md's performance table, in the order a full run takes them: the create peak first (memory and
 * lag load at half of it; the soak follows the half-load runs, before thousands of sockets come and go), the million
 * issues last but one (growth reuses them).
 */
export const ROWS: readonly Row[] = [
  createRow,
  keysRow,
  memoryRow,
  appendRow,
  lagRow,
  wsPushRow,
  rebuildRow,
  idleWsRow,
  listRow,
  growthRow,
];
