import { Controller, HttpCode, Inject, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Topics } from '@sluice/contracts';
import { BearerAuthGuard, CurrentPrincipal, requireAdmin, subjectOf, type Principal } from '@sluice/auth';
import { MESSAGE_BUS, type MessageBus } from '@sluice/messaging';
import { createLogger, NotFoundError } from '@sluice/platform';

const KNOWN_TOPICS = new Set<string>(Object.values(Topics));

/**
 * Redrive of dead letters. Hosted by autodeploy alone (it serves the admin API): a topic
 * has one `<topic>.dlq` for every consumer group, and re-publishing to the topic reaches
 * every group, whose inboxes skip what they had applied; any process with the bus could do
 * it, one place is enough.
 */
@ApiTags('admin')
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'no or invalid bearer token' })
@ApiResponse({ status: 403, description: 'not the admin token' })
@Controller('api/admin/dead-letters')
@UseGuards(BearerAuthGuard)
export class DeadLettersController {
  private readonly log = createLogger('dead-letters');

  constructor(@Inject(MESSAGE_BUS) private readonly bus: MessageBus) {}

  @Post(':topic/redrive')
  @HttpCode(200)
  @ApiOperation({ summary: 'Re-publish the messages of <topic>.dlq not redriven before to <topic> (admin); consumers apply each once' })
  @ApiParam({ name: 'topic', description: `one of ${[...KNOWN_TOPICS].join(', ')}` })
  @ApiResponse({ status: 200, description: '{topic, redriven}: how many messages were re-published' })
  @ApiResponse({ status: 404, description: 'not a Sluice topic' })
  async redrive(@CurrentPrincipal() principal: Principal, @Param('topic') topic: string): Promise<{ topic: string; redriven: number }> {
    requireAdmin(principal);
    if (!KNOWN_TOPICS.has(topic)) throw new NotFoundError(`no such topic: ${topic}; redrive takes one of ${[...KNOWN_TOPICS].join(', ')}`);
    const redriven = await this.bus.redrive(topic);
    this.log.info({ topic, redriven, by: subjectOf(principal) }, 'dead letters redriven');
    return { topic, redriven };
  }
}
