import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CurrentPrincipal, RequirePermission } from '../../platform/auth/access.decorators';
import { Principal } from '../../platform/auth/principal';
import { AuditAction } from '../../platform/http/http-audit';
import { DEFAULT_PAGE_SIZE } from '../../platform/http/pagination';
import {
  AddMembersDto, ConversationDto, ConversationListDto, CreateConversationDto, ListConversationsQuery, MarkReadDto, ReceiptListDto, UpdateConversationDto,
} from './conversations.dto';
import { ConversationsService, ConversationSummary, ConversationView, ReceiptView } from './conversations.service';

@ApiTags('conversations')
@Controller('v1/conversations')
@RequirePermission('messaging.use')
export class ConversationsController {
  constructor(private readonly conversations: ConversationsService) {}

  @Post()
  @AuditAction('conversation.create')
  @ApiCreatedResponse({ type: ConversationDto, description: '201 when created; 200 with the existing one for a direct pair asked for again.' })
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() body: CreateConversationDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ConversationView> {
    const { conversation, created } = await this.conversations.create(principal, body);
    void reply.status(created ? 201 : 200);
    return conversation;
  }

  @Get()
  @AuditAction('conversation.list')
  @ApiOkResponse({ type: ConversationListDto })
  list(@CurrentPrincipal() principal: Principal, @Query() query: ListConversationsQuery): Promise<{ items: ConversationSummary[]; nextCursor: string | null }> {
    return this.conversations.list(principal, query.limit ?? DEFAULT_PAGE_SIZE, query.cursor);
  }

  @Get(':id')
  @AuditAction('conversation.get')
  @ApiOkResponse({ type: ConversationDto })
  get(@CurrentPrincipal() principal: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<ConversationView> {
    return this.conversations.get(principal, id);
  }

  @Patch(':id')
  @AuditAction('conversation.update')
  @ApiOkResponse({ type: ConversationDto })
  update(@CurrentPrincipal() principal: Principal, @Param('id', ParseUUIDPipe) id: string, @Body() body: UpdateConversationDto): Promise<ConversationView> {
    return this.conversations.retitle(principal, id, body.title);
  }

  @Post(':id/members')
  @AuditAction('conversation.add_members')
  @ApiCreatedResponse({ type: ConversationDto })
  addMembers(@CurrentPrincipal() principal: Principal, @Param('id', ParseUUIDPipe) id: string, @Body() body: AddMembersDto): Promise<ConversationView> {
    return this.conversations.addMembers(principal, id, body.userIds);
  }

  @Delete(':id/members/:userId')
  @HttpCode(204)
  @AuditAction('conversation.remove_member')
  @ApiNoContentResponse()
  async removeMember(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Param('userId', ParseUUIDPipe) userId: string,
  ): Promise<void> {
    await this.conversations.removeMember(principal, id, userId);
  }

  @Post(':id/read')
  @HttpCode(204)
  @AuditAction('conversation.read')
  @ApiNoContentResponse()
  async markRead(@CurrentPrincipal() principal: Principal, @Param('id', ParseUUIDPipe) id: string, @Body() body: MarkReadDto): Promise<void> {
    await this.conversations.markRead(principal, id, body.seq);
  }

  @Get(':id/receipts')
  @AuditAction('conversation.receipts')
  @ApiOkResponse({ type: ReceiptListDto })
  async receipts(@CurrentPrincipal() principal: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<{ items: ReceiptView[] }> {
    return { items: await this.conversations.receipts(principal, id) };
  }
}
