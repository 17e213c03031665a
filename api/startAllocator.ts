// Imported first by api/start.ts: evaluated before any other module of the server is, so the
// process starts again with its allocator settings (api/allocator.ts) before it loads anything.
import { startWithServerAllocator } from './allocator.ts';

startWithServerAllocator();
