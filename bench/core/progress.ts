/** The progress line on stderr: rewritten in place on a terminal, one line per step otherwise (CI logs). */
export interface Progress {
  /** The row now running. */
  row(name: string): void;
  /** What the row is doing now. */
  step(text: string): void;
  /** A line that stays (a warning, a finished row). */
  note(text: string): void;
  /** Ends the in-place line. */
  done(): void;
}

interface Sink {
  isTTY?: boolean;
  write(text: string): unknown;
}

export const createProgress = (sink: Sink = process.stderr, now: () => number = Date.now): Progress => {
  const startedAt = now();
  let current = '';
  let open = false;
  const stamp = () => `[${String(Math.round((now() - startedAt) / 1000)).padStart(4)}s]`;
  const show = (text: string) => {
    const line = `${stamp()} ${current}: ${text}`;
    if (sink.isTTY) {
      sink.write(`\r\x1b[K${line}`);
      open = true;
    } else sink.write(`${line}\n`);
  };
  const endLine = () => {
    if (open) sink.write('\n');
    open = false;
  };
  return {
    row(name) {
      current = name;
      show('starting');
    },
    step: show,
    note(text) {
      endLine();
      sink.write(`${stamp()} ${text}\n`);
    },
    done: endLine,
  };
};

export const silentProgress: Progress = {
  row: () => undefined,
  step: () => undefined,
  note: () => undefined,
  done: () => undefined,
};
