import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequirePermission } from '../../platform/auth/access.decorators';
import { Principal } from '../../platform/auth/principal';
import { AuditAction } from '../../platform/http/http-audit';
import { searchWithoutWords } from './message-errors';
import { messageBodySearch } from './message.table';
import { MessageSearchDto, SearchMessagesQuery } from './messages.dto';
import { MessagesService, MessageView } from './messages.service';

const DEFAULT_RESULTS = 20;

@ApiTags('search')
@Controller('v1/search')
@RequirePermission('messaging.use')
export class SearchController {
  constructor(private readonly messages: MessagesService) {}

  @Get('messages')
  @AuditAction('message.search')
  @ApiOkResponse({ type: MessageSearchDto })
  async messagesMatching(@CurrentPrincipal() principal: Principal, @Query() query: SearchMessagesQuery): Promise<{ items: MessageView[] }> {
    if (messageBodySearch.termsOf(query.q).length === 0) {
      throw searchWithoutWords();
    }
    return { items: await this.messages.search(principal, query.q, query.limit ?? DEFAULT_RESULTS, query.conversationId) };
  }
}
