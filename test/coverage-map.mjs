// tap's coverage-map (package.json "tap"): every test file is measured against the product's own
// source, server/, client/ and protocol/, and nothing else, so test helpers, bench/ and fixtures
// never dilute or pad the figure. Hub child processes run dist/ JS whose source maps point back at
// these .ts files, so what they execute counts too.
export default function coverageMap() {
  return ['server/**/*.{ts,tsx}', 'client/**/*.{ts,tsx}', 'protocol/**/*.ts'];
}
