export * from './catalog.ts';
export * from './incidents.ts';
export * from './uptime.ts';
export * from './statusPage.ts';
export * from './history.ts';
export * from './subscribers.ts';
