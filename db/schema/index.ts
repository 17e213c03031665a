export * from './catalog.ts';
export * from './incidents.ts';
export * from './access.ts';
