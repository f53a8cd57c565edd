// bench/e2e-all-in-one: the e2e measurement of bench/e2e.ts (build webhook → DeployConfig
// applied, stepped over the build rates, side by side with the same floor pipeline) against the
// all-in-one app — apps/sluice/src/main.ts as one process, embedded database (PGlite) and
// in-process bus — compiled as the image runs it (started once through e2e/support/sluice.ts
// startAllInOneApp, which also generates its admin token and migrates its data directory, then
// restarted from scripts/build-dist.mjs output with the same settings). Printed: the knee and p50
// at 2 /s as ratios of the floor's, CPU per build against the infrastructure's (here the
// kube-apiserver and etcd: its database and bus are inside it, in its own CPU), its peak RSS at the knee, and its
// RSS after BENCH_E2E_AIO_RUN_SECONDS (default 600, the 10 minutes) of running under load —
// after the steps, builds go on at 2 /s until then. Written: <BENCH_OUTPUT_DIR>/knee-all-in-one.json and .svg.
//
//   the knobs of bench/e2e.ts, and BENCH_E2E_AIO_RUN_SECONDS
import { join } from 'node:path';
import { ServiceProcess } from '../e2e/support/process';
import { startAllInOneApp, type SluiceUnderTest } from '../e2e/support/sluice';
import { startWorld } from '../e2e/support/world';
import { report } from './report';
import { cpuSeconds } from './support/cpu';
import { buildServices, COMPILED_DIR, GITHUB_REQUESTS_PER_HOUR, kneeFigures, MB, prepareSideBySide, seedConfigs, stepRates, writeCurve, type Pipeline } from './e2e';

const RUN_SECONDS = Number(process.env.BENCH_E2E_AIO_RUN_SECONDS ?? 600);
const RSS_TARGET_MB = 400;

export async function benchE2eAllInOne(): Promise<boolean> {
  const buildMs = buildServices();
  const world = await startWorld('bench-aio', { githubRequestsPerHour: GITHUB_REQUESTS_PER_HOUR });
  seedConfigs(world);
  // Settings and data directory as the e2e harness makes them, then the compiled entry point.
  const first = await startAllInOneApp(world, { KUBE_APPLIER_RESYNC_SECONDS: '60', KUBE_APPLIER_HEALTH_POLL_SECONDS: '5' });
  await first.stop();
  const app = new ServiceProcess({ ...first.process.options, main: join(COMPILED_DIR, 'apps', 'sluice', 'src', 'main.js'), logFile: join(world.runDir, 'sluice-compiled.log') });
  app.start();
  const stops: Array<() => void | Promise<void>> = [() => app.stop()];
  try {
    await app.waitReady(180_000);
    const startedAt = performance.now();
    const sluice: SluiceUnderTest = { adminToken: first.adminToken, webhookUrl: `${app.url}/webhooks/github`, urlFor: () => app.url, stop: () => app.stop() };
    const pipeline: Pipeline = {
      name: 'all-in-one',
      webhookUrl: sluice.webhookUrl,
      namespace: world.namespace,
      sendsPush: true,
      rollsOut: true,
      cpu: () => ({ sluice: cpuSeconds(app.pid) }),
      rss: () => ({ sluice: app.rssBytes() ?? 0 }),
      // No databaseUrl, no kafkaTopicPrefix: its embedded database and bus are inside the process (its own CPU).
    };
    const { run, floorRun } = await prepareSideBySide(world, sluice, pipeline, stops);

    process.stdout.write(`\nbench e2e-all-in-one: stepping the all-in-one app and the floor:\n`);
    const steps = await stepRates(world, [run, floorRun]);
    const aioSteps = steps.get(run)!;
    const floorSteps = steps.get(floorRun)!;
    const files = writeCurve('knee-all-in-one', 'e2e: build webhook → DeployConfig applied, all-in-one vs floor', [
      { name: 'Sluice (all-in-one)', steps: aioSteps },
      { name: 'floor', steps: floorSteps },
    ]);

    // Then builds at 2 /s until the app has run RUN_SECONDS since it was ready; its RSS then.
    let peakRss = app.rssBytes() ?? 0;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, app.rssBytes() ?? 0)), 1000);
    const remaining = RUN_SECONDS - (performance.now() - startedAt) / 1000;
    if (remaining > 1) {
      const soak = await run.drive(Math.round(remaining * 2), true, 2);
      await run.waitApplied(soak, 15_000);
    }
    clearInterval(sampler);
    const ranSeconds = (performance.now() - startedAt) / 1000;
    const rssAfter = (app.rssBytes() ?? 0) / MB;

    const met = report(`e2e-all-in-one (build webhook → DeployConfig applied; one process, embedded database, in-process bus, compiled; floor beside it)`, [
      ...kneeFigures('all-in-one', aioSteps, floorSteps, RSS_TARGET_MB),
      { name: `all-in-one RSS after ${Math.round(ranSeconds)} s of running under load`, value: rssAfter, unit: 'MB', target: { op: '<=', value: RSS_TARGET_MB } },
      { name: `all-in-one peak RSS over the ${Math.round(ranSeconds)} s`, value: Math.max(peakRss / MB, rssAfter), unit: 'MB' },
    ]);
    process.stdout.write(`curve: ${files.join(', ')}; dist build ${buildMs} ms (not in the figures); logs in ${world.runDir}\n`);
    return met;
  } finally {
    for (const stop of stops.reverse()) await stop();
    await world.stop();
  }
}
