export * from './catalog.ts';
export * from './incidents.ts';
export * from './access.ts';
export * from './outbox.ts';
export * from './audit.ts';
export * from './subscribers.ts';
