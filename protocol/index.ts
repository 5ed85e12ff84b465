export * from './priority.js';
export * from './error-codes.js';
export * from './close-codes.js';
export * from './task-spec.js';
export * from './frame-types.js';
export * from './frames.js';
export * from './codec.js';
