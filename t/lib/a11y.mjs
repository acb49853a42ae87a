// Accessibility checks with axe-core (npm), run inside a page of the tests' Chromium:
//
//   import { axeViolations } from '../lib/a11y.mjs';
//   const v = await axeViolations(page);   // [] when the page passes
//   ok(v.length === 0, 'no violations', ...v);
//
// axe's source is evaluated through the browser's debugging protocol, which the pages'
// Content-Security-Policy (script-src 'self') does not apply to. WCAG 2.1 A and AA rules
// and axe's best practices; each violation comes back as one line: rule, impact, and the
// first nodes it names.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export async function axeViolations(page, { exclude = [] } = {}) {
  if (!(await page.evaluate(() => typeof window.axe !== 'undefined'))) {
    await page.evaluate(AXE);
  }
  const result = await page.evaluate(
    (ex) => window.axe.run({ exclude: ex.map((s) => [s]) }, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
      resultTypes: ['violations'],
    }),
    exclude,
  );
  return result.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3)
    .map((n) => `${n.target.join(' ')}${n.failureSummary ? ` [${n.failureSummary.split('\n').slice(1, 2).join('').trim()}]` : ''}`)
    .join('; ')}${v.nodes.length > 3 ? ` (+${v.nodes.length - 3} more)` : ''}`);
}
