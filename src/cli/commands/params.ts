import { valuesCommand } from './metrics.js';

export const spec = valuesCommand('param');
