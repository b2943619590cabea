export type { ApplyResult, InventoryEntry, InventoryEvents } from './inventory.js';
export { Inventory } from './inventory.js';
export type { ReceivedEvent, ReceivedItem } from './parse-batch.js';
export { MalformedBatchError, parseBatch } from './parse-batch.js';
export type { Receiver, ReceiverAnswer, ReceiverOptions, ReceiverRequest } from './receiver.js';
export { createReceiver } from './receiver.js';
export { SeenKeys } from './seen-keys.js';
export type { SignatureProblem } from './signature.js';
export { SIGNATURE_HEADER, TIMESTAMP_HEADER, checkSignature } from './signature.js';
