import { judgeClaims, type ClaimJudgement } from '../claims/judge.ts';
import { QUICK_WARNING, VERDICT_RULE } from '../claims/describe.ts';
import type { ClaimVerdict } from '../claims/statistics.ts';
import type { Results } from '../records/results.ts';
import { claimRowHtml, verdictBadge } from './claimsRender.ts';
import { escapeHtml as h } from './escape.ts';
import { duration } from './html.ts';
import { REPORT_CSS } from './style.ts';

/** A suite's summary: every member experiment's claims and verdicts on one page (and as JSON). */

export const SUITE_SCHEMA = 'gradlab.suite/1';

/** What the page says of the suite itself. */
export interface SuiteInfo {
  name: string;
  description: string;
}

export interface SuiteMemberResult {
  name: string;
  /** The member's folder, relative to the suite's (the link target). */
  folder: string;
  /** Its exit code in this invocation, or null when it did not run (the suite stopped first). */
  exitCode: number | null;
  /** Its results.json, or null when there is none yet. */
  results: Results | null;
}

function statusCounts(results: Results | null): Record<string, number> {
  const counts: Record<string, number> = { ok: 0, diverged: 0, failed: 0, interrupted: 0 };
  for (const r of results?.runs ?? []) counts[r.status] = (counts[r.status] ?? 0) + 1;
  return counts;
}

/** suite.json: the verdicts, what each rule counted, and where each report is. */
export function suiteSummary(suite: SuiteInfo, members: readonly SuiteMemberResult[]): unknown {
  return {
    schema: SUITE_SCHEMA,
    suite: suite.name,
    description: suite.description,
    experiments: members.map((m) => ({
      name: m.name,
      folder: m.folder,
      report: `${m.folder}/index.html`,
      exitCode: m.exitCode,
      durationMs: m.results?.env.durationMs ?? null,
      quick: (m.results?.config as { quick?: unknown } | undefined)?.quick === true,
      runs: statusCounts(m.results),
      claims: m.results ? judgeClaims(m.results).map((c) => ({
        id: c.claim.id,
        claim: c.claim.claim,
        source: c.claim.source,
        verdict: c.verdict,
        rules: c.rules.map((r) => ({
          variant: r.rule.variant, kind: r.rule.kind, metric: r.rule.metric, expect: r.rule.expect,
          asClaimed: r.k, seeds: r.n, notCounted: r.excluded, verdict: r.verdict,
          mean: r.values.mean, std: r.values.std,
          perSeed: r.seeds.map((s) => ({ seed: s.seed, status: s.status, value: s.value, se: s.se, threshold: s.threshold, asClaimed: s.asClaimed })),
        })),
      })) : [],
    })),
  };
}

function tally(all: readonly ClaimJudgement[]): string {
  const order: ClaimVerdict[] = ['reproduced', 'partly', 'not reproduced', 'not judged'];
  return order.map((v) => [v, all.filter((c) => c.verdict === v).length] as const)
    .filter(([, n]) => n > 0).map(([v, n]) => `${n} ${verdictBadge(v)}`).join(', ');
}

export function renderSuitePage(suite: SuiteInfo, members: readonly SuiteMemberResult[]): string {
  const judged = members.map((m) => ({ m, claims: m.results ? judgeClaims(m.results) : [] }));
  const link = (m: SuiteMemberResult, anchor = ''): string => `<a href="${h(`${encodeURIComponent(m.folder)}/index.html${anchor}`)}">${h(m.name)}</a>`;
  const rows = judged.flatMap(({ m, claims }) => (m.results
    ? claims.map((c) => claimRowHtml(c, m.results!, `<td>${link(m, `#claim-${encodeURIComponent(c.claim.id)}`)}</td>`))
    : [`<tr><td>${h(m.name)}</td><td colspan="3">not run yet (resume the suite to run it)</td></tr>`])).join('\n');
  const experimentRows = judged.map(({ m, claims }) => {
    const c = statusCounts(m.results);
    const runs = m.results ? `${c.ok} ok${c.diverged ? `, ${c.diverged} diverged` : ''}${c.failed ? `, ${c.failed} failed` : ''}${c.interrupted ? `, ${c.interrupted} interrupted` : ''}` : '—';
    const quick = (m.results?.config as { quick?: unknown } | undefined)?.quick === true ? ' <span class="badge quick">quick</span>' : '';
    return `<tr><td>${m.results ? link(m) : h(m.name)}${quick}</td><td>${h(m.results?.description ?? '')}</td><td class="num">${m.results ? h(duration(m.results.env.durationMs)) : '—'}</td><td>${runs}</td><td>${claims.length ? tally(claims) : '—'}</td></tr>`;
  }).join('\n');
  const all = judged.flatMap((j) => j.claims);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${h(suite.name)} · gradlab suite</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<main>
<h1>${h(suite.name)}: claim vs measurement</h1>
<p>${h(suite.description)}</p>
<p>${all.length} claims: ${all.length ? tally(all) : 'none judged yet'}.</p>
${members.some((m) => (m.results?.config as { quick?: unknown } | undefined)?.quick === true) ? `<p class="warning">${h(QUICK_WARNING)}</p>` : ''}
<p class="caption">${h(VERDICT_RULE)}</p>
<table id="paper-claims"><thead><tr><th>experiment</th><th>claim</th><th>rule, per seed → what we measured</th><th>verdict</th></tr></thead>
<tbody>${rows}</tbody></table>
<h2>Experiments</h2>
<table id="paper-experiments"><thead><tr><th>experiment</th><th>description</th><th>wall time</th><th>runs</th><th>claims</th></tr></thead>
<tbody>${experimentRows}</tbody></table>
</main>
</body>
</html>
`;
}
