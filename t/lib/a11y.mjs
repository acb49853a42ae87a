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

// Tabs through the page from its top (at most `max` stops, or until focus comes back to
// where it started) and returns, for every control that had the keyboard focus without a
// visible focus mark, a line naming it. A mark is an outline of 2 px or more, or a
// box-shadow, while the element matches :focus-visible (what the browser shows for the
// keyboard). Also returns how many controls were visited.
export async function focusRingGaps(page, { max = 80 } = {}) {
  await page.evaluate(() => { document.activeElement?.blur(); window.scrollTo(0, 0); });
  await page.locator('body').focus().catch(() => {});
  const gaps = [];
  const seen = new Set();
  let visited = 0;
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const f = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el || el === document.body) return null;
      const cs = getComputedStyle(el);
      const name = `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className && typeof el.className === 'string' ? `.${el.className.trim().split(/\s+/).join('.')}` : ''}`
        + ` "${(el.getAttribute('aria-label') || el.textContent || el.value || '').trim().slice(0, 40)}"`;
      const outline = cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) >= 2;
      const shadow = cs.boxShadow && cs.boxShadow !== 'none';
      return { name, ring: el.matches(':focus-visible') && (outline || shadow) };
    });
    if (!f) continue;
    if (seen.has(f.name)) break;
    seen.add(f.name);
    visited++;
    if (!f.ring) gaps.push(f.name);
  }
  return { gaps, visited };
}
