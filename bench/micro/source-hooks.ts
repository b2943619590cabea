/**
 * Lets a micro-benchmark import core's TypeScript sources directly: the sources import each other as `./x.js`
 * (what tsc emits for), which Node's type stripping does not map to `./x.ts`. Load it first:
 *
 *   node --import ./bench/micro/source-hooks.ts bench/micro/<benchmark>.ts ...
 */
import { existsSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { fileURLToPath } from 'node:url';

registerHooks({
  resolve(specifier, context, nextResolve) {
    if (specifier.startsWith('.') && specifier.endsWith('.js') && context.parentURL?.endsWith('.ts') === true) {
      const ts = new URL(`${specifier.slice(0, -3)}.ts`, context.parentURL);
      if (existsSync(fileURLToPath(ts))) return nextResolve(ts.href, context);
    }
    return nextResolve(specifier, context);
  },
});
