// Issue 8, "Prove it", distributed mode: the five services as processes (as main.ts starts
// them), real Kafka, real PostgreSQL, the real kube-apiserver, and the fake GitHub.
import { after, before, describe } from 'node:test';
import { defineFlow } from './support/flow';
import { Scenario } from './support/scenario';
import { startDistributed, type Distributed } from './support/sluice';
import { startWorld, type World } from './support/world';

describe('Sluice distributed, end to end', { timeout: 420_000 }, () => {
  let world: World;
  let sluice: Distributed;
  let scenario: Scenario;

  before(async () => {
    world = await startWorld('distributed');
    sluice = await startDistributed(world);
    scenario = new Scenario(world, sluice);
  });

  after(async () => {
    await sluice?.stop();
    await world?.stop();
  });

  defineFlow(() => scenario, {
    // kube-applier dies while it holds the deploy (requested, maybe applied, not reported):
    // its inbox and the DeployConfig let the restarted process finish the job exactly once.
    crashDuringDeploy: () => sluice.crashAndRestart('kube-applier'),
  });
});
