import { describe, expect, it } from 'vitest';
import { selectDefinitionVariants } from '../../src/experiment/overrides.ts';
import { ExperimentError, resolveExperiment } from '../../src/experiment/resolve.ts';
import { validateExperiment } from '../../src/experiment/validate.ts';
import { tinyDefinition } from '../helpers/definitions.ts';

/** Two variants at two lengths, named with "{T}", and a claim on each. */
function withClaims(claims: unknown[], variants: unknown[] = [{ name: 'lstm T={T}', task: { T: 6 } }, { name: 'rnn T={T}', cell: 'rnn_tanh', task: { T: 8 } }]): Record<string, unknown> {
  return { ...tinyDefinition('claims'), variants, claims };
}

const rule = (variant: string, extra: Record<string, unknown> = {}) => ({ kind: 'final', variant, metric: 'loss', direction: 'below', than: 'baseline', expect: 'success', ...extra });
const claim = (id: string, ...rules: unknown[]) => ({ id, claim: 'c', source: 's', rules });

function refusal(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ExperimentError);
    const message = (e as Error).message;
    expect(message.split('\n')).toHaveLength(1);
    return message;
  }
  throw new Error('accepted');
}

describe('claims in a definition', () => {
  it('a rule names a variant as the definition does ("{T}") or as it resolves; the runs\' name is kept', () => {
    const exp = resolveExperiment(withClaims([claim('a', rule('lstm T={T}')), claim('b', rule('rnn T=8'))]));
    expect(exp.claims.map((c) => c.rules[0].variant)).toEqual(['lstm T=6', 'rnn T=8']);
  });

  it('refuses a rule naming no variant, or one name that two variants share, and a repeated id, with one line', () => {
    expect(refusal(() => resolveExperiment(withClaims([claim('a', rule('gru'))])))).toMatch(/^experiment\.claims\[0\]\.rules\[0\]\.variant: "gru": no variant has that name; name one of "lstm T=\{T\}", "rnn T=\{T\}"$/);
    const twins = [{ name: 'x T={T}', task: { T: 6 } }, { name: 'x T={T}', task: { T: 8 } }];
    expect(refusal(() => resolveExperiment(withClaims([claim('a', rule('x T={T}'))], twins)))).toMatch(/2 variants have that name/);
    expect(resolveExperiment(withClaims([claim('a', rule('x T=8'))], twins)).claims[0].rules[0].variant).toBe('x T=8');
    expect(refusal(() => resolveExperiment(withClaims([claim('a', rule('rnn T=8')), claim('a', rule('rnn T=8'))])))).toMatch(/^experiment\.claims\[1\]\.id: "a" is used twice/);
  });

  it('checks each rule\'s metric, and a baseline threshold, against the variant\'s task before the first step', () => {
    expect(refusal(() => validateExperiment(withClaims([claim('a', rule('rnn T=8', { metric: 'accuracy' }))]))))
      .toMatch(/^experiment\.claims\[0\]\.rules\[0\]: "accuracy" is not a metric of variant "rnn T=8" \(task adding\); choose one of loss, mse$/);
    expect(refusal(() => validateExperiment(withClaims([claim('a', rule('rnn T=8', { metric: 'mse' }))]))))
      .toMatch(/^experiment\.claims\[0\]\.rules\[0\]\.than: task adding has no baseline for "mse" \(it has one for loss\); give a number instead$/);
    expect(refusal(() => validateExperiment(withClaims([claim('a', rule('rnn T=8', { than: { metric: 'nope' } }))]))))
      .toMatch(/"nope" is not a metric of variant "rnn T=8"/);
    expect(validateExperiment(withClaims([claim('a', rule('rnn T=8'))])).exp.claims).toHaveLength(1);
  });

  it('--variant keeps the claims whose variants all stay, and drops the others', () => {
    const def = withClaims([claim('a', rule('lstm T={T}')), claim('b', rule('rnn T=8')), claim('both', rule('lstm T=6'), rule('rnn T=8'))]);
    const picked = selectDefinitionVariants(def, ['rnn*']) as { claims: { id: string }[]; variants: unknown[] };
    expect(picked.variants).toHaveLength(1);
    expect(picked.claims.map((c) => c.id)).toEqual(['b']);
    expect(resolveExperiment(picked).claims.map((c) => c.id)).toEqual(['b']);
  });
});
