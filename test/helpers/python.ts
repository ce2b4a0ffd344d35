import { spawn, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PYTHON = '/usr/bin/python3';

const INSTALL = 'apt-get install -y --no-install-recommends python3-torch python3-numpy python3-sklearn';
const SERVER = fileURLToPath(new URL('./pyForkServer.py', import.meta.url));

/** Sends one request to the fork server and prints its JSON reply; exit 97 if it cannot. A
 * bare interpreter (-S -E: no site packages) starts in ~20 ms. */
const CLIENT = `
import socket, struct, sys, time
path = sys.argv[1]
request = sys.stdin.buffer.read()
deadline = time.time() + 60
while True:
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
        break
    except (FileNotFoundError, ConnectionRefusedError):
        s.close()
        if time.time() > deadline:
            sys.exit(97)
        time.sleep(0.02)
def read_exact(n):
    data = b''
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            sys.exit(97)
        data += chunk
    return data
s.sendall(struct.pack('>Q', len(request)) + request)
sys.stdout.buffer.write(read_exact(struct.unpack('>Q', read_exact(8))[0]))
`;

interface Outcome {
  status: number | null;
  stdout: string;
  stderr: string;
  error?: Error;
}

let socketPath: string | null = null;

/** This process's fork server (pyForkServer.py), started on first use. */
function forkServer(): string {
  if (!socketPath) {
    socketPath = join(tmpdir(), `gradlab-test-python-${process.pid}.sock`);
    spawn(PYTHON, [SERVER, socketPath, String(process.pid)], { detached: true, stdio: 'ignore' }).unref();
  }
  return socketPath;
}

/** The script run by a fork of the server; null when the server could not answer (then the
 * caller runs the interpreter itself: slower, the same result). */
function viaServer(args: string[], input: string, timeoutMs: number): Outcome | null {
  const request = JSON.stringify({ args, input, cwd: process.cwd(), timeout: Math.ceil(timeoutMs / 1000) });
  const r = spawnSync(PYTHON, ['-S', '-E', '-c', CLIENT, forkServer()], { input: request, encoding: 'utf8', maxBuffer: 512 * 1024 * 1024, timeout: timeoutMs + 60_000 });
  if (r.error || r.status !== 0) return null;
  return JSON.parse(r.stdout) as Outcome;
}

/**
 * Run a Python script with Debian's interpreter and return its stdout. A missing interpreter or
 * module fails the calling test with the install command: a reference we cannot run must never
 * turn into a silently skipped test.
 *
 * Scripts run in forks of a server that has torch, numpy, scikit-learn and pandas imported
 * already (pyForkServer.py: their imports were most of each reference's time, ~20 s of
 * `npm test`); GRADLAB_TEST_PYTHON=direct starts an interpreter per script instead.
 */
export function runPython(args: string[], input: string, timeoutMs = 120_000): string {
  const direct = (): Outcome => spawnSync(PYTHON, args, { input, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: timeoutMs });
  const r = (process.env.GRADLAB_TEST_PYTHON === 'direct' ? null : viaServer(args, input, timeoutMs)) ?? direct();
  if (r.error) throw new Error(`cannot run ${PYTHON} (${r.error.message}); install it: ${INSTALL}`);
  if (r.status !== 0) {
    const hint = /No module named/.test(r.stderr) ? ` — install: ${INSTALL}` : '';
    throw new Error(`${PYTHON} ${args.join(' ')} exited ${r.status}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}${hint}`);
  }
  return r.stdout;
}
