import { BadRequestException, Body, Controller, Get, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AllowedDuringMfaEnrolment, CurrentPrincipal, RequirePermission } from '../../platform/auth/access.decorators';
import { Principal } from '../../platform/auth/principal';
import { AuditAction } from '../../platform/http/http-audit';
import { DEFAULT_PAGE_SIZE } from '../../platform/http/pagination';
import { CreateUserDto, ListUsersQuery, UpdateUserDto, UserDto, UserListDto } from './users.dto';
import { UsersService, UserView } from './users.service';

@ApiTags('users')
@Controller('v1/users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get('me')
  @RequirePermission('profile.read')
  @AllowedDuringMfaEnrolment()
  @AuditAction('user.me')
  @ApiOkResponse({ type: UserDto })
  me(@CurrentPrincipal() principal: Principal): Promise<UserView> {
    return this.users.get(principal, principal.userId);
  }

  @Post()
  @RequirePermission('users.manage')
  @AuditAction('user.create')
  @ApiCreatedResponse({ type: UserDto })
  create(@CurrentPrincipal() principal: Principal, @Body() body: CreateUserDto): Promise<UserView> {
    return this.users.create(principal, body);
  }

  @Get()
  @RequirePermission('users.read')
  @AuditAction('user.list')
  @ApiOkResponse({ type: UserListDto })
  list(@CurrentPrincipal() principal: Principal, @Query() query: ListUsersQuery): Promise<UserListDto> {
    return this.users.list(principal, { ...query, limit: query.limit ?? DEFAULT_PAGE_SIZE });
  }

  @Get(':id')
  @RequirePermission('users.read')
  @AuditAction('user.get')
  @ApiOkResponse({ type: UserDto })
  get(@CurrentPrincipal() principal: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<UserView> {
    return this.users.get(principal, id);
  }

  @Patch(':id')
  @RequirePermission('users.manage')
  @AuditAction('user.update')
  @ApiOkResponse({ type: UserDto })
  update(@CurrentPrincipal() principal: Principal, @Param('id', ParseUUIDPipe) id: string, @Body() body: UpdateUserDto): Promise<UserView> {
    if (body.displayName === undefined && body.role === undefined && body.status === undefined) {
      throw new BadRequestException('Nothing to change.');
    }
    return this.users.change(principal, id, body);
  }
}
