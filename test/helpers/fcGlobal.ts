import fc from 'fast-check';

// FC_SEED fixes the seed of every fast-check property in the run (CI sets it; see .ci/run), including
// those that pass their own parameters: fc.configureGlobal is the default they are merged over.
if (process.env.FC_SEED) fc.configureGlobal({ ...fc.readConfigureGlobal(), seed: Number(process.env.FC_SEED) });
