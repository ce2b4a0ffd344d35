import { describe, it } from 'vitest';
import { checkKillResume } from './killResume.ts';

describe('kill and resume, runs in worker threads (--workers 2)', () => {
  it('for random kill points (SIGINT, SIGTERM, SIGKILL after any step of any run, twice in a row), the resumed results equal an uninterrupted run\'s', async () => {
    await checkKillResume(2, 3);
  }, 240_000);
});
