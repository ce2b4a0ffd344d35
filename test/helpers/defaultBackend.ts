import { cpu } from '../../src/backends/cpu/index.ts';
import { setDefaultBackend } from '../../src/tensor/defaultBackend.ts';

// Tests are an edge too: tensors made without a backend go to the CPU, as the CLI's do.
setDefaultBackend(cpu);
