export * from './rules.js';
export { safePath, sha256Hex, gitOid, objectSize } from './paths.js';
export * from './pointer.js';
export * from './lock.js';
export * from './record.js';
export * from './config.js';
export * from './canonical.js';
export * from './env.js';
export * from './issues.js';
