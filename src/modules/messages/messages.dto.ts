import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsInt, IsString, IsUUID, Length, Max, Min, ValidateIf } from 'class-validator';
import { PageLimit } from '../../platform/http/pagination';
import { IsOmittable, QueryInteger } from '../../platform/http/validation';
import { IsMessageBody, MAX_BODY_CHARACTERS } from './message-body';

const MAX_SEQ = Number.MAX_SAFE_INTEGER;
/** Attachments one message may carry. */
export const MAX_ATTACHMENTS_PER_MESSAGE = 10;

export class SendMessageDto {
  @ApiProperty({ minLength: 1, maxLength: MAX_BODY_CHARACTERS, description: 'Text; `**bold**`, `_italic_` and `` `code` `` are stored as written. Sealed at rest.' })
  @IsMessageBody()
  body!: string;

  @ApiPropertyOptional({ nullable: true, minimum: 1, description: 'The seq of the message this one replies to.' })
  @IsOmittable() @ValidateIf((_, value) => value !== null) @IsInt() @Min(1) @Max(MAX_SEQ)
  replyToSeq?: number | null;

  @ApiPropertyOptional({ type: [String], format: 'uuid', description: 'Ready attachments you uploaded to this conversation.' })
  @IsOmittable() @IsArray() @ArrayMaxSize(MAX_ATTACHMENTS_PER_MESSAGE) @IsUUID('all', { each: true })
  attachmentIds?: string[];
}

export class EditMessageDto {
  @ApiProperty({ minLength: 1, maxLength: MAX_BODY_CHARACTERS })
  @IsMessageBody()
  body!: string;
}

export class ListMessagesQuery {
  @ApiPropertyOptional({ minimum: 0, description: 'Only messages with a greater seq (sync since a seq).' })
  @IsOmittable() @QueryInteger() @IsInt() @Min(0) @Max(MAX_SEQ)
  afterSeq?: number;

  @ApiPropertyOptional({ minimum: 1, description: 'Only messages with a smaller seq (scroll back); alone, the newest page before it.' })
  @IsOmittable() @QueryInteger() @IsInt() @Min(1) @Max(MAX_SEQ)
  beforeSeq?: number;

  @PageLimit()
  limit?: number;
}

export class SearchMessagesQuery {
  @ApiProperty({ description: 'Every word must occur in the message (word prefixes of three letters or more match).' })
  @IsString() @Length(1, 200)
  q!: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOmittable() @IsUUID()
  conversationId?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOmittable() @QueryInteger() @IsInt() @Min(1) @Max(100)
  limit?: number;
}

export class AttachmentSummaryDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() fileName!: string;
  @ApiProperty() contentType!: string;
  @ApiProperty() size!: number;
}

export class ReactionSummaryDto {
  @ApiProperty() count!: number;
  @ApiProperty({ description: 'Whether you are one of them.' }) mine!: boolean;
}

export class MessageDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) conversationId!: string;
  @ApiProperty() seq!: number;
  @ApiProperty({ format: 'uuid' }) senderId!: string;
  @ApiProperty({ nullable: true, type: String, description: 'Null once deleted.' }) body!: string | null;
  @ApiProperty({ nullable: true, type: Number }) replyToSeq!: number | null;
  @ApiProperty({ type: [AttachmentSummaryDto] }) attachments!: AttachmentSummaryDto[];
  @ApiProperty({ type: 'object', additionalProperties: { $ref: '#/components/schemas/ReactionSummaryDto' }, example: { '👍': { count: 2, mine: true } } })
  reactions!: Record<string, ReactionSummaryDto>;

  @ApiProperty() createdAt!: Date;
  @ApiProperty({ nullable: true, type: Date }) editedAt!: Date | null;
  @ApiProperty({ nullable: true, type: Date }) deletedAt!: Date | null;
}

export class MessageListDto {
  @ApiProperty({ type: [MessageDto] }) items!: MessageDto[];
  @ApiProperty({ description: 'More messages lie beyond this page in the direction asked.' }) hasMore!: boolean;
}

export class MessageSearchDto {
  @ApiProperty({ type: [MessageDto] }) items!: MessageDto[];
}

export class HistoryItemDto {
  @ApiProperty() body!: string;
  @ApiProperty({ description: 'When this version was replaced.' }) editedAt!: Date;
}

export class HistoryDto {
  @ApiProperty({ type: [HistoryItemDto] }) items!: HistoryItemDto[];
}
