// A service bootstrapped as every Sluice service is, in a process of its own, for bootstrap-signals.spec.ts:
// it tells its parent over IPC its port, then the signal it closed on.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Module, type OnApplicationShutdown } from '@nestjs/common';
import { bootstrapService } from './bootstrap';
import { loadServiceConfig } from './config/config';
import { HealthModule } from './health/health.module';

@Module({ imports: [HealthModule] })
class SignalsDemoModule implements OnApplicationShutdown {
  onApplicationShutdown(signal?: string): void {
    process.send?.({ closed: signal ?? null });
  }
}

void (async () => {
  const config = loadServiceConfig({}, { SLUICE_DATA_DIR: process.env.SLUICE_DATA_DIR ?? '/tmp/sluice-signals', LOG_LEVEL: 'warn' });
  const app = await bootstrapService({ name: 'signals-demo', module: SignalsDemoModule, config, port: 0 });
  process.send?.({ port: ((app.getHttpServer() as Server).address() as AddressInfo).port });
})();
