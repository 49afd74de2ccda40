import { Body, Controller, Delete, Get, Headers, HttpCode, Param, ParseUUIDPipe, Patch, Post, Put, Query, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CurrentPrincipal, RequirePermission } from '../../platform/auth/access.decorators';
import { Principal } from '../../platform/auth/principal';
import { AuditAction } from '../../platform/http/http-audit';
import { DEFAULT_PAGE_SIZE } from '../../platform/http/pagination';
import { invalidIdempotencyKey } from './message-errors';
import { ApiSeqParam, EmojiParamPipe, SeqParam } from './message-params';
import { EditMessageDto, HistoryDto, ListMessagesQuery, MessageDto, MessageListDto, SendMessageDto } from './messages.dto';
import { HistoryItem, MessagesService, MessageView } from './messages.service';
const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

function idempotencyKeyOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (header.length < 1 || header.length > MAX_IDEMPOTENCY_KEY_LENGTH || !/^[\x21-\x7e]+$/.test(header)) {
    throw invalidIdempotencyKey(MAX_IDEMPOTENCY_KEY_LENGTH);
  }
  return header;
}

@ApiTags('messages')
@Controller('v1/conversations/:id/messages')
@RequirePermission('messaging.use')
export class MessagesController {
  constructor(private readonly messages: MessagesService) {}

  @Post()
  @AuditAction('message.send')
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'Up to 255 characters, remembered 24 h: a retry answers with the first response.' })
  @ApiCreatedResponse({ type: MessageDto, headers: { 'Idempotent-Replayed': { description: '"true" when this answers a retry.', schema: { type: 'string' } } } })
  async send(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) conversationId: string,
    @Body() body: SendMessageDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<MessageView> {
    const { message, replayed } = await this.messages.send(principal, conversationId, body, idempotencyKeyOf(idempotencyKey));
    if (replayed) void reply.header('Idempotent-Replayed', 'true');
    return message;
  }

  @Get()
  @AuditAction('message.list')
  @ApiOkResponse({ type: MessageListDto })
  list(@CurrentPrincipal() principal: Principal, @Param('id', ParseUUIDPipe) conversationId: string, @Query() query: ListMessagesQuery): Promise<{ items: MessageView[]; hasMore: boolean }> {
    return this.messages.list(principal, conversationId, { afterSeq: query.afterSeq, beforeSeq: query.beforeSeq, limit: query.limit ?? DEFAULT_PAGE_SIZE });
  }

  @Get(':seq')
  @AuditAction('message.get')
  @ApiSeqParam()
  @ApiOkResponse({ type: MessageDto })
  get(@CurrentPrincipal() principal: Principal, @Param('id', ParseUUIDPipe) conversationId: string, @SeqParam() seq: number): Promise<MessageView> {
    return this.messages.get(principal, conversationId, seq);
  }

  @Patch(':seq')
  @AuditAction('message.edit')
  @ApiSeqParam()
  @ApiOkResponse({ type: MessageDto })
  edit(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) conversationId: string,
    @SeqParam() seq: number,
    @Body() body: EditMessageDto,
  ): Promise<MessageView> {
    return this.messages.edit(principal, conversationId, seq, body.body);
  }

  @Get(':seq/history')
  @AuditAction('message.history')
  @ApiSeqParam()
  @ApiOkResponse({ type: HistoryDto })
  async history(@CurrentPrincipal() principal: Principal, @Param('id', ParseUUIDPipe) conversationId: string, @SeqParam() seq: number): Promise<{ items: HistoryItem[] }> {
    return { items: await this.messages.history(principal, conversationId, seq) };
  }

  @Delete(':seq')
  @HttpCode(204)
  @AuditAction('message.delete')
  @ApiSeqParam()
  @ApiNoContentResponse()
  async delete(@CurrentPrincipal() principal: Principal, @Param('id', ParseUUIDPipe) conversationId: string, @SeqParam() seq: number): Promise<void> {
    await this.messages.delete(principal, conversationId, seq);
  }

  @Put(':seq/reactions/:emoji')
  @HttpCode(204)
  @AuditAction('message.react')
  @ApiSeqParam()
  @ApiNoContentResponse()
  async react(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) conversationId: string,
    @SeqParam() seq: number,
    @Param('emoji', EmojiParamPipe) emoji: string,
  ): Promise<void> {
    await this.messages.react(principal, conversationId, seq, emoji, true);
  }

  @Delete(':seq/reactions/:emoji')
  @HttpCode(204)
  @AuditAction('message.unreact')
  @ApiSeqParam()
  @ApiNoContentResponse()
  async unreact(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) conversationId: string,
    @SeqParam() seq: number,
    @Param('emoji', EmojiParamPipe) emoji: string,
  ): Promise<void> {
    await this.messages.react(principal, conversationId, seq, emoji, false);
  }
}
