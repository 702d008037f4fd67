// Loads the store writer thread's TypeScript through tsx, as bin/interlace.js does for the main thread.
import { register } from 'tsx/esm/api';

register();
await import('./writer-thread.ts');
