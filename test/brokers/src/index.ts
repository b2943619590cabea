export type { BrokerKind } from './binaries.ts';
export { ensureBroker } from './binaries.ts';
export type { RestartOptions, StartBrokerOptions } from './broker.ts';
export { TestBroker, attachBroker, startKafka, startNats } from './broker.ts';
