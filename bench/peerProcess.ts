import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * A benchmark peer in a child process (bench/torchPeer.py, bench/blasFloor.py, bench/tfjsPeer.ts),
 * speaking bench/peerProtocol.py's line protocol: one JSON request per line on its stdin, one
 * JSON reply per line on its stdout. Used by bench/bench.ts and bench/gpuBench.ts.
 */

export interface Reply {
  ok: boolean;
  error?: string;
  ms?: number[];
  [k: string]: unknown;
}

/** A peer process speaking one JSON object per line; lines that are not JSON (tfjs's warnings)
 * are ignored. The first line it writes says whether it loaded. */
export class PeerProcess {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly queue: ((r: Reply) => void)[] = [];
  private stderr = '';
  private dead: string | null = null;
  readonly hello: Promise<Reply>;

  constructor(readonly name: string, cwd: string, cmd: string, cmdArgs: string[], env: Record<string, string> = {}) {
    this.child = spawn(cmd, cmdArgs, { cwd, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    this.child.stderr.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-2000);
    });
    const fail = (why: string): void => {
      if (this.dead) return;
      this.dead = why;
      for (const f of this.queue.splice(0)) f({ ok: false, error: why });
    };
    this.child.on('error', (e) => fail(`${name}: ${e.message}`));
    this.child.on('exit', (code, sig) => fail(`${name} exited (${code ?? sig}): ${this.stderr.trim().split('\n').slice(-3).join(' / ')}`));
    this.child.stdin.on('error', () => undefined);
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      if (!line.startsWith('{')) return;
      let r: Reply;
      try {
        r = JSON.parse(line) as Reply;
      } catch {
        return;
      }
      this.queue.shift()?.(r);
    });
    this.hello = new Promise((res) => this.queue.push(res));
  }

  request(msg: object): Promise<Reply> {
    if (this.dead) return Promise.resolve({ ok: false, error: this.dead });
    return new Promise((res) => {
      this.queue.push(res);
      this.child.stdin.write(`${JSON.stringify(msg)}\n`);
    });
  }

  close(): void {
    if (!this.dead) this.child.stdin.write('{"cmd":"quit"}\n');
    this.child.stdin.end();
    setTimeout(() => this.child.kill(), 2000).unref();
  }
}
