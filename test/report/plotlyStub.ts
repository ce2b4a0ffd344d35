import { JSDOM } from 'jsdom';

/** One Plotly.react call the page made: the chart's element id, its traces and layout. */
export interface PlotCall {
  id: string;
  // Plotly's traces and layout are plain data of many shapes; the tests read fields by name.
  data: Record<string, any>[];
  layout: Record<string, any>;
}

/**
 * Run a report page's inline script in jsdom with Plotly stubbed: every Plotly.react call is
 * recorded. Resolves once the page has marked itself rendered.
 */
export async function runWithStub(html: string): Promise<{ dom: JSDOM; calls: PlotCall[]; errors: unknown[] }> {
  const calls: PlotCall[] = [];
  const errors: unknown[] = [];
  const dom = new JSDOM(html, {
    runScripts: 'dangerously',
    beforeParse(window) {
      (window as unknown as { Plotly: unknown }).Plotly = {
        react(el: HTMLElement, data: PlotCall['data'], layout: PlotCall['layout']) {
          calls.push({ id: el.id, data, layout });
          return Promise.resolve(el);
        },
      };
      window.addEventListener('error', (e) => errors.push(e.error));
    },
  });
  await new Promise((r) => setTimeout(r, 10));
  return { dom, calls, errors };
}

/** Select `value` in the <select id=id> and fire its change event. */
export function choose(dom: JSDOM, id: string, value: string): void {
  const select = dom.window.document.getElementById(id) as HTMLSelectElement;
  select.value = value;
  select.dispatchEvent(new dom.window.Event('change'));
}
