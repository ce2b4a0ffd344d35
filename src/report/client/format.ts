/// <reference lib="dom" />
import type { Num } from '../../records/results.ts';

/** Escape for Plotly labels, which render a subset of HTML. */
export function esc(s: unknown): string {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** For text inside a Plotly hovertemplate: also keep "%{...}" in a name from being substituted. */
export function escTemplate(s: unknown): string {
  return esc(s).replace(/[{}]/g, (c) => (c === '{' ? '&#123;' : '&#125;'));
}

/**
 * `name` in at most `max` characters. A long name loses its middle, not its end: a sweep's names
 * share a prefix and differ at the end ("… lr=1e-3 #7"). Plain text: escape it where it is used.
 */
export function cutMiddle(name: unknown, max: number): string {
  const chars = Array.from(String(name));
  if (chars.length <= max) return chars.join('');
  const keep = Math.max(2, max - 1);
  const head = Math.ceil(keep * 0.6);
  return chars.slice(0, head).join('') + '…' + chars.slice(chars.length - (keep - head)).join('');
}

/** A name for a legend entry: cut to `max` characters (the hover shows it whole), escaped. */
export function legendName(name: unknown, max = 26): string {
  return esc(cutMiddle(name, max));
}

/** '#rrggbb' with an alpha, as rgba(). */
export function rgba(hex: string, a: number): string {
  const n = parseInt(hex.slice(1), 16);
  return 'rgba(' + ((n >> 16) & 255) + ',' + ((n >> 8) & 255) + ',' + (n & 255) + ',' + a + ')';
}

/** 1..n. */
export function seq(n: number): number[] {
  const a: number[] = [];
  for (let i = 1; i <= n; i++) a.push(i);
  return a;
}

/** A number for a label: 3 significant digits, exponent form when tiny or huge, '—' when missing. */
export function fmt(v: Num | undefined): string {
  if (v === null || v === undefined || !isFinite(v)) return '—';
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e4)) return v.toExponential(1);
  return String(Number(v.toPrecision(3)));
}
