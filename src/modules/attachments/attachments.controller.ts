import { applyDecorators, Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Put, Req, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CurrentPrincipal, Public, RequirePermission } from '../../platform/auth/access.decorators';
import { Principal } from '../../platform/auth/principal';
import { AuditAction } from '../../platform/http/http-audit';
import { CompletedAttachmentDto, CreateAttachmentDto, CreatedAttachmentDto, DownloadLinkDto } from './attachments.dto';
import { AttachmentsService, CompletedAttachment, CreatedAttachment, DownloadLink } from './attachments.service';
import { unsupportedContentType } from './attachment-errors';
import { RawBody } from './raw-body';

/** The query of a signed link: clients use the URL as returned, never build it. */
const SignedLinkQuery = (): MethodDecorator => applyDecorators(
  ApiQuery({ name: 'tenant', format: 'uuid' }),
  ApiQuery({ name: 'expires', type: Number, description: 'Unix seconds.' }),
  ApiQuery({ name: 'size', type: Number }),
  ApiQuery({ name: 'signature' }),
);

@ApiTags('attachments')
@Controller('v1/attachments')
export class AttachmentsController {
  constructor(private readonly attachments: AttachmentsService) {}

  @Post()
  @RequirePermission('messaging.use')
  @AuditAction('attachment.create')
  @ApiCreatedResponse({ type: CreatedAttachmentDto, description: 'PUT the file to upload.url with every upload.headers header, then POST .../complete.' })
  create(@CurrentPrincipal() principal: Principal, @Body() body: CreateAttachmentDto): Promise<CreatedAttachment> {
    return this.attachments.create(principal, body);
  }

  @Post(':id/complete')
  @HttpCode(200)
  @RequirePermission('messaging.use')
  @AuditAction('attachment.complete')
  @ApiOkResponse({ type: CompletedAttachmentDto })
  complete(@CurrentPrincipal() principal: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<CompletedAttachment> {
    return this.attachments.complete(principal, id);
  }

  @Get(':id/download')
  @RequirePermission('messaging.use')
  @AuditAction('attachment.download')
  @ApiOkResponse({ type: DownloadLinkDto })
  download(@CurrentPrincipal() principal: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<DownloadLink> {
    return this.attachments.download(principal, id);
  }

  /** The embedded store's stand-in for a presigned PUT: the signed link is the credential. */
  @Put(':id/content')
  @Public()
  @RawBody()
  @AuditAction('attachment.upload')
  @ApiOperation({ summary: 'Embedded store only: the signed upload link returned by POST /v1/attachments (upload.url). 403 when tampered or expired.' })
  @SignedLinkQuery()
  @ApiOkResponse({ description: 'Stored (200 with an empty body, as S3 answers a presigned PUT).' })
  async upload(@Param('id') id: string, @Req() request: FastifyRequest): Promise<void> {
    if (!Buffer.isBuffer(request.body)) throw unsupportedContentType();
    await this.attachments.receiveUpload(id, request.query, request.body);
  }

  /** The embedded store's stand-in for a presigned GET. */
  @Get(':id/content')
  @Public()
  @AuditAction('attachment.download_content')
  @ApiOperation({ summary: 'Embedded store only: the signed download link returned by GET /v1/attachments/:id/download. 403 when tampered or expired.' })
  @SignedLinkQuery()
  @ApiOkResponse({ description: 'The file\'s bytes.' })
  async content(@Param('id') id: string, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<Buffer> {
    const { body, contentType } = await this.attachments.content(id, request.query);
    void reply.header('content-type', contentType).header('content-disposition', 'attachment');
    return body;
  }
}
