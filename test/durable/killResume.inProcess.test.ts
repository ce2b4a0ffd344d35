import { describe, it } from 'vitest';
import { checkKillResume } from './killResume.ts';

describe('kill and resume, runs in the main thread (--workers 1)', () => {
  it('for random kill points (SIGINT, SIGTERM, SIGKILL after any step of any run, twice in a row), the resumed results equal an uninterrupted run\'s', async () => {
    await checkKillResume(1, 3);
  }, 240_000);
});
