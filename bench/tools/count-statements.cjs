/**
 * Counts the statements a process sends to PostgreSQL, by text (whitespace folded, the first 120 characters).
 * Preload it into the app under the bench's load:
 *
 *   BENCH_APP_NODE_ARGS="--require $PWD/bench/tools/count-statements.cjs" npm run bench -- --quick create
 *
 * It writes bench/results/statements-<pid>.json every second and at exit: [text, count] pairs, most frequent
 * first. The appends (`WITH e AS ( INSERT INTO events …`) count the commands, so total ÷ appends is the number of
 * statements per command over every role of the process (API, projector, reactors, jobs; setup included).
 */
const fs = require('node:fs');
const path = require('node:path');
const pg = require('pg');

const counts = new Map();
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function countedQuery(config, ...rest) {
  const text = typeof config === 'string' ? config : config?.text;
  if (typeof text === 'string') {
    const key = text.replace(/\s+/g, ' ').trim().slice(0, 120);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return query.call(this, config, ...rest);
};

const file = path.join(__dirname, '..', 'results', `statements-${process.pid}.json`);
const write = () => {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(
    file,
    JSON.stringify(
      [...counts].sort((a, b) => b[1] - a[1]),
      null,
      1,
    ),
  );
};
setInterval(write, 1000).unref();
process.on('exit', write);
