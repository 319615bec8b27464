export * from './probe-server.ts';
export * from './shutdown.ts';
