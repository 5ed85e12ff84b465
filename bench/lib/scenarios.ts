import { readdirSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { benchScript } from './paths.js';
import type { Scenario } from './types.js';

function isScenario(value: unknown): value is Scenario {
  const s = value as Partial<Scenario> | undefined;
  return (
    typeof s?.name === 'string' && typeof s.description === 'string' && typeof s.run === 'function'
  );
}

/**
 * Every scenario in dist/bench/scenarios/: a module whose default export (or export named
 * `scenario`) is a Scenario whose name equals its file name. Adding a file adds a scenario.
 */
export async function loadScenarios(): Promise<Scenario[]> {
  const dir = benchScript('scenarios');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.js'))
    .sort();
  const scenarios: Scenario[] = [];
  for (const file of files) {
    const mod = (await import(pathToFileURL(`${dir}/${file}`).href)) as {
      default?: unknown;
      scenario?: unknown;
    };
    const s = mod.default ?? mod.scenario;
    if (!isScenario(s)) throw new Error(`bench/scenarios/${file} does not export a Scenario`);
    if (s.name !== file.replace(/\.js$/, ''))
      throw new Error(`scenario ${s.name} must live in ${s.name}.ts`);
    scenarios.push(s);
  }
  // Switchboard first, then peers, then the physical limit: the order rows are measured in.
  const rank = (n: string): number =>
    n.startsWith('switchboard') ? 0 : n.startsWith('bare-uws') ? 2 : 1;
  return scenarios.sort((a, b) => rank(a.name) - rank(b.name) || a.name.localeCompare(b.name));
}
