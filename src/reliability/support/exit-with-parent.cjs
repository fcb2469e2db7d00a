/**
 * Preloaded (`--require`) into the service processes the tests and the reliability harness start, whose stdin is
 * a pipe from the process that started them. When that pipe ends, the starter is gone (it exited, or was killed
 * and could not stop its children): the service is sent SIGTERM and shuts down as it would on any SIGTERM, so no
 * service outlives the run that started it. The pipe does not keep the service alive (`unref`).
 */
const { isMainThread } = require('node:worker_threads');

// Node runs preloads in its loader thread too (tsx's hooks), whose stdin is empty and ends at once.
if (isMainThread) {
  const stopWithParent = () => process.kill(process.pid, 'SIGTERM');
  process.stdin.on('end', stopWithParent);
  process.stdin.on('error', stopWithParent);
  process.stdin.resume();
  process.stdin.unref?.();
}
