import { cpu } from '../backends/cpu/index.ts';
import { setDefaultBackend } from '../tensor/defaultBackend.ts';
import { main } from './program.ts';

// The `gradlab` binary's entry: main() returns the exit code (0 ok, 1 a run failed or was
// interrupted, 2 bad input, 130/143 after SIGINT/SIGTERM); nothing else sets it.

// A reader that stops early (`gradlab list | head`) is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});
// Tensors made without a backend (none in the commands, which pass --backend's) go to the CPU.
setDefaultBackend(cpu);
process.exitCode = await main(process.argv.slice(2));
