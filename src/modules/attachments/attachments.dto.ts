import { ApiProperty } from '@nestjs/swagger';
import { IsInt, IsMimeType, IsString, IsUUID, Length, Matches, Max, MaxLength, Min } from 'class-validator';
import { PRINTABLE_LINE } from '../../platform/http/validation';

export class CreateAttachmentDto {
  @ApiProperty({ format: 'uuid', description: 'A conversation you are a member of.' })
  @IsUUID('all')
  conversationId!: string;

  @ApiProperty({ example: 'scan.png', description: '1-255 printable characters; sealed at rest, never part of a URL or object key.' })
  @IsString() @Length(1, 255) @Matches(PRINTABLE_LINE)
  fileName!: string;

  @ApiProperty({ example: 'image/png', description: 'Images, application/pdf, text/plain or application/dicom; checked against the bytes on completion.' })
  @IsString() @MaxLength(255) @IsMimeType()
  contentType!: string;

  @ApiProperty({ minimum: 1, description: 'Exact size in bytes, at most your organisation\'s maximum (default 100 MB).' })
  @IsInt() @Min(1) @Max(Number.MAX_SAFE_INTEGER)
  size!: number;
}

export class UploadRequestDto {
  @ApiProperty() url!: string;
  @ApiProperty({ enum: ['PUT'] }) method!: 'PUT';
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' }, description: 'Send every one of these headers with the PUT, unchanged.' })
  headers!: Record<string, string>;
}

export class CreatedAttachmentDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ type: UploadRequestDto }) upload!: UploadRequestDto;
  @ApiProperty({ description: 'The upload URL works until then (15 minutes).' }) expiresAt!: Date;
}

export class CompletedAttachmentDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: ['ready'] }) status!: 'ready';
}

export class DownloadLinkDto {
  @ApiProperty() url!: string;
  @ApiProperty({ description: 'The URL works until then (5 minutes).' }) expiresAt!: Date;
}
