export * from './api.js';
export * from './images.js';
export * from './normalized.js';
export * from './parse.js';
export * from './quantities.js';
export * from './schema.js';
export * from './step-text.js';
