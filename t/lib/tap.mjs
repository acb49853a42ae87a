// A tiny TAP producer for node test scripts run by `prove --exec ''`.
//
//   #!/usr/bin/env node
//   import { run, plan, ok, is, like, note, cleanup } from '../lib/tap.mjs';
//   await run(async () => {
//     plan(2);                       // optional: without it, run() prints 1..N at the end
//     cleanup(() => stopServer());   // run at the end, last registered first, even on failure
//     ok(1 + 1 === 2, 'adds');
//     is(await get(), 'x', 'get');   // prints expected/got when they differ
//   });
//
// Results go to stdout (`ok N - name`, `not ok N - name`, `1..N`); diagnostics of failures
// go to stderr as `# ` lines, notes to stdout. An exception inside run() is reported as a
// failed test and the cleanups still run. The exit status is the number of failures (max
// 254), or 255 when the plan was not met, as Test::More does.

let count = 0;
let failed = 0;
let planned = null;
const cleanups = [];

function comment(stream, lines) {
  for (const line of lines.join(' ').split('\n')) stream.write(`# ${line}\n`);
}

const name_ = (name) => (name ? ` - ${String(name).replace(/#/g, '\\#').replace(/\n/g, ' ')}` : '');

export function plan(n) {
  planned = n;
  process.stdout.write(`1..${n}\n`);
}

export function diag(...lines) { comment(process.stderr, lines.map(String)); }
export function note(...lines) { comment(process.stdout, lines.map(String)); }

export function ok(cond, name, ...why) {
  count += 1;
  if (cond) {
    process.stdout.write(`ok ${count}${name_(name)}\n`);
  } else {
    failed += 1;
    process.stdout.write(`not ok ${count}${name_(name)}\n`);
    if (why.length) diag(...why);
  }
  return !!cond;
}

const show = (v) => (v === undefined ? 'undefined' : JSON.stringify(v));

export function is(got, expected, name) {
  const same = typeof expected === 'object' && expected !== null
    ? JSON.stringify(got) === JSON.stringify(expected)
    : got === expected;
  return ok(same, name, `expected: ${show(expected)}\n     got: ${show(got)}`);
}

export function like(got, re, name) {
  return ok(typeof got === 'string' && re.test(got), name, `expected to match: ${re}\n              got: ${show(got)}`);
}

export function skip(name, why) {
  count += 1;
  process.stdout.write(`ok ${count}${name_(name)} # SKIP ${why}\n`);
}

export function bail(why) {
  process.stdout.write(`Bail out! ${why}\n`);
}

// True while no test has failed (e.g. to keep a test's files for a look when one did).
export function passing() { return failed === 0; }

// fn() runs once, at the end (run() finishing, or SIGINT/SIGTERM), newest first.
export function cleanup(fn) { cleanups.push(fn); }

async function runCleanups() {
  while (cleanups.length) {
    const fn = cleanups.pop();
    try { await fn(); } catch (err) { diag(`cleanup failed: ${err.stack ?? err}`); }
  }
}

export function done() {
  if (planned === null) process.stdout.write(`1..${count}\n`);
  if (planned !== null && planned !== count) {
    diag(`planned ${planned} tests but ran ${count}`);
    process.exitCode = 255;
  } else {
    process.exitCode = Math.min(failed, 254);
  }
}

// The value of fn() once it is truthy, polled every `every` ms; what it last gave after
// `timeout` ms.
export async function until(fn, timeout = 30000, every = 100) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await fn();
    if (v || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, every));
  }
}

export async function run(fn) {
  const onSignal = async (sig) => {
    diag(`caught ${sig}, cleaning up`);
    await runCleanups();
    process.exit(255);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await fn();
  } catch (err) {
    ok(false, 'test script died', err.stack ?? String(err));
  } finally {
    await runCleanups();
  }
  done();
}
