/** What a helper needs of a tap test: a place to hang its clean-up. */
export interface Teardown {
  teardown(fn: () => unknown): void;
}
