/**
 * `npm run cli -- <command> [options]`: the admin command line (src/cli/). `npm run cli -- --help` lists the
 * commands; `npm run projections:rebuild -- <name>` is `npm run cli -- rebuild <name>`.
 */
import '../src/cli/main';
