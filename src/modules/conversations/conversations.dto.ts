import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsInt, IsString, IsUUID, Length, Matches, Max, Min, ValidateIf } from 'class-validator';
import { PageLimit } from '../../platform/http/pagination';
import { IsOmittable, PRINTABLE_LINE } from '../../platform/http/validation';
import { ConversationType, MAX_GROUP_MEMBERS, MemberRole } from './conversation.table';

const TYPES: readonly ConversationType[] = ['direct', 'group'];

export class CreateConversationDto {
  @ApiProperty({ enum: TYPES })
  @IsIn(TYPES)
  type!: ConversationType;

  @ApiProperty({ type: [String], format: 'uuid', description: 'The other members (direct: exactly one). Active users of your organisation.' })
  @IsArray() @ArrayMaxSize(MAX_GROUP_MEMBERS) @IsUUID('all', { each: true })
  memberIds!: string[];

  @ApiPropertyOptional({ nullable: true, description: 'Groups only; sealed at rest.' })
  @IsOmittable() @ValidateIf((_, value) => value !== null) @IsString() @Length(1, 200) @Matches(PRINTABLE_LINE)
  title?: string | null;
}

export class UpdateConversationDto {
  @ApiProperty({ nullable: true })
  @ValidateIf((_, value) => value !== null) @IsString() @Length(1, 200) @Matches(PRINTABLE_LINE)
  title!: string | null;
}

export class AddMembersDto {
  @ApiProperty({ type: [String], format: 'uuid' })
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(MAX_GROUP_MEMBERS) @IsUUID('all', { each: true })
  userIds!: string[];
}

export class MarkReadDto {
  @ApiProperty({ minimum: 0, description: 'The highest seq read; a lower one than already recorded changes nothing.' })
  @IsInt() @Min(0) @Max(Number.MAX_SAFE_INTEGER)
  seq!: number;
}

export class ListConversationsQuery {
  @ApiPropertyOptional({ description: 'nextCursor of the previous page.' })
  @IsOmittable() @IsString() @Length(1, 200)
  cursor?: string;

  @PageLimit()
  limit?: number;
}

export class MemberDto {
  @ApiProperty({ format: 'uuid' }) userId!: string;
  @ApiProperty({ enum: ['owner', 'member'] }) role!: MemberRole;
}

export class ConversationDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: TYPES }) type!: ConversationType;
  @ApiProperty({ nullable: true, type: String }) title!: string | null;
  @ApiProperty({ type: [MemberDto] }) members!: MemberDto[];
  @ApiProperty() lastSeq!: number;
  @ApiProperty() createdAt!: Date;
}

export class ConversationSummaryDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: TYPES }) type!: ConversationType;
  @ApiProperty({ nullable: true, type: String }) title!: string | null;
  @ApiProperty() lastSeq!: number;
  @ApiProperty({ nullable: true, type: Date }) lastMessageAt!: Date | null;
  @ApiProperty({ description: 'Messages after your read pointer that you did not send.' }) unreadCount!: number;
}

export class ConversationListDto {
  @ApiProperty({ type: [ConversationSummaryDto] }) items!: ConversationSummaryDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

export class ReceiptDto {
  @ApiProperty({ format: 'uuid' }) userId!: string;
  @ApiProperty() readSeq!: number;
}

export class ReceiptListDto {
  @ApiProperty({ type: [ReceiptDto] }) items!: ReceiptDto[];
}
