import type { ServerResponse } from 'node:http';
import { Controller, Get, Header, Res } from '@nestjs/common';
import { metricsRegistry } from './metrics';
import { ReadinessRegistry } from './readiness';

@Controller()
export class HealthController {
  constructor(private readonly readiness: ReadinessRegistry) {}

  /** Liveness: the process answers. Deliberately checks nothing else. */
  @Get('healthz')
  @Header('cache-control', 'no-store')
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('readyz')
  @Header('cache-control', 'no-store')
  async readyz(@Res({ passthrough: true }) res: ServerResponse): Promise<{ status: 'ok' | 'not-ready'; checks: Record<string, { ok: boolean; detail: string }> }> {
    const report = await this.readiness.evaluate();
    res.statusCode = report.ready ? 200 : 503;
    return { status: report.ready ? 'ok' : 'not-ready', checks: report.checks };
  }

  @Get('metrics')
  @Header('content-type', metricsRegistry.contentType)
  @Header('cache-control', 'no-store')
  metrics(): Promise<string> {
    return metricsRegistry.metrics();
  }
}
