// A watch-proxy receiver: keeps an inventory of the cluster's objects (uniqueId -> object) and prints each change.
// Point an endpoint at it with `deltaUpdates: true` (and `signingSecretVar: HOOK_SECRET` to sign):
//   HOOK_SECRET=s3cret PORT=8080 node src/main.ts
import { createServer } from 'node:http';
import { createReceiver, type InventoryEntry } from '@watch-proxy/receiver';

const receiver = createReceiver({ secret: process.env['HOOK_SECRET'] });
const { inventory } = receiver;

function nameOf(entry: InventoryEntry): string {
  const metadata = (entry.object['metadata'] ?? {}) as { namespace?: string; name?: string };
  return [entry.assetTypeId, metadata.namespace, metadata.name].filter(Boolean).join('/');
}

inventory.on('added', (entry) => console.log(`+ ${nameOf(entry)} (${inventory.size} held)`));
inventory.on('updated', (entry, paths) => console.log(`~ ${nameOf(entry)}: ${paths.join(', ')}`));
inventory.on('deleted', (entry) => console.log(`- ${nameOf(entry)} (${inventory.size} held)`));

const port = Number(process.env['PORT'] ?? 8080);
createServer((req, res) => {
  if (req.method === 'POST') void receiver.node(req, res);
  else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify([...inventory.entries()].map((e) => e.object)));
}).listen(port, () => console.log(`receiving on http://localhost:${port}/ (GET / lists the inventory)`));
