export * from './tokens.js';
export * from './token-files.js';
