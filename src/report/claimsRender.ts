import { measuredText, QUICK_WARNING, ruleText, seedText, VERDICT_RULE } from '../claims/describe.ts';
import type { ClaimJudgement } from '../claims/judge.ts';
import type { ClaimVerdict } from '../claims/statistics.ts';
import type { Results } from '../records/results.ts';
import { escapeHtml as h } from './escape.ts';

/**
 * The "Claim vs measurement" table of a report: each claim with its citation, the rule that
 * judges it, what was measured (per-seed values one click away) and the computed verdict.
 */

/** CSS class of a verdict badge. */
export function verdictClass(v: ClaimVerdict): string {
  return `verdict verdict-${v.replace(/ /g, '-')}`;
}

export function verdictBadge(v: ClaimVerdict): string {
  return `<span class="${verdictClass(v)}">${h(v)}</span>`;
}

function ruleRows(c: ClaimJudgement, results: Results): string {
  return c.rules.map((j) => {
    const seeds = j.seeds.map((s) => `<li>${h(seedText(j.rule, s))}</li>`).join('');
    return `<li><span class="rule">${h(ruleText(j.rule, results))}</span><br><span class="measured">${h(measuredText(j))}</span> → ${verdictBadge(j.verdict)}`
      + `<details><summary>per seed</summary><ul class="seeds">${seeds || '<li>no finished run</li>'}</ul></details></li>`;
  }).join('');
}

/** The table's rows, also used by the paper summary (with a link column there). */
export function claimRowHtml(c: ClaimJudgement, results: Results, lead = ''): string {
  const note = c.claim.note ? `<p class="caption">${h(c.claim.note)}</p>` : '';
  return `<tr id="claim-${h(c.claim.id)}" data-verdict="${h(c.verdict)}">${lead}<td><q>${h(c.claim.claim)}</q><br><cite>${h(c.claim.source)}</cite>${note}</td>`
    + `<td><ul class="rules">${ruleRows(c, results)}</ul></td><td>${verdictBadge(c.verdict)}</td></tr>`;
}

export function renderClaims(judged: readonly ClaimJudgement[], results: Results): string {
  if (judged.length === 0) return '';
  const rows = judged.map((c) => claimRowHtml(c, results)).join('\n');
  return `<section id="sec-claims">
  <h2>Claim vs measurement</h2>
  ${(results.config as { quick?: unknown } | null)?.quick === true ? `<p class="warning">${h(QUICK_WARNING)}</p>` : ''}
  <p class="caption">${h(VERDICT_RULE)}</p>
  <table id="claims-table"><thead><tr><th>claim</th><th>rule, per seed → what we measured</th><th>verdict</th></tr></thead>
  <tbody>${rows}</tbody></table>
</section>`;
}
