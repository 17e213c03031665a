export * from './catalog.ts';
export * from './incidents.ts';
export * from './uptime.ts';
export * from './statusPage.ts';
export * from './history.ts';
export * from './feeds.ts';
export * from './webhooks.ts';
