// `npm run build`, first step: writes asm/build/cellsGenerated.ts, the f32x4 kernels generated from
// every cell specification (src/cells/generateAs.ts), which asm/kernels.ts then compiles in.
import { mkdirSync, writeFileSync } from 'node:fs';
import { asModuleSource } from '../src/cells/generateAs.ts';
import { CELL_SPECS } from '../src/cells/table.ts';

const out = new URL('./build/cellsGenerated.ts', import.meta.url);
mkdirSync(new URL('./build/', import.meta.url), { recursive: true });
writeFileSync(out, asModuleSource(Object.values(CELL_SPECS)));
