// `npm run bench [name...]`: runs the benchmarks (all by default) against the real
// infrastructure started by infra/with-infra.sh. Benchmarks print figures; they never fail the build.
import { benchEventStore } from './event-store';
import { benchWebhookIngest } from './webhook-ingest';
import { benchGlobalSync } from './global-sync';
import { benchE2e } from './e2e';
import { benchReplay } from './replay';
import { benchE2eAllInOne } from './e2e-all-in-one';

const benches: Record<string, () => Promise<boolean>> = {
  'event-store': benchEventStore,
  'webhook-ingest': benchWebhookIngest,
  'global-sync': benchGlobalSync,
  replay: benchReplay,
  e2e: benchE2e,
  'e2e-all-in-one': benchE2eAllInOne,
};

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const names = wanted.length ? wanted : Object.keys(benches);
  for (const name of names) {
    const bench = benches[name];
    if (!bench) throw new Error(`unknown benchmark "${name}" (known: ${Object.keys(benches).join(', ')})`);
    await bench();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
