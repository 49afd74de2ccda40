import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsIn, IsString, IsUUID, Length, Matches, MaxLength } from 'class-validator';
import { Role, ROLES } from '../../platform/auth/principal';
import { PageLimit } from '../../platform/http/pagination';
import { IsOmittable, PRINTABLE_LINE } from '../../platform/http/validation';
import { UserStatus } from './user.table';

const STATUSES: readonly UserStatus[] = ['active', 'disabled'];

export class CreateUserDto {
  @ApiProperty({ example: 'nurse@st-marys.example' })
  @IsEmail() @MaxLength(254)
  email!: string;

  @ApiProperty({ example: 'Alex Morgan' })
  @IsString() @Length(1, 200) @Matches(PRINTABLE_LINE)
  displayName!: string;

  @ApiProperty({ format: 'password', description: '12-128 characters, not a commonly used password.' })
  @IsString() @Length(1, 1024)
  password!: string;

  @ApiProperty({ enum: ROLES })
  @IsIn(ROLES)
  role!: Role;
}

export class UpdateUserDto {
  @ApiPropertyOptional()
  @IsOmittable() @IsString() @Length(1, 200) @Matches(PRINTABLE_LINE)
  displayName?: string;

  @ApiPropertyOptional({ enum: ROLES, description: 'Changing the role ends the user\'s sessions.' })
  @IsOmittable() @IsIn(ROLES)
  role?: Role;

  @ApiPropertyOptional({ enum: STATUSES, description: 'Disabling ends the user\'s sessions.' })
  @IsOmittable() @IsIn(STATUSES)
  status?: UserStatus;
}

export class ListUsersQuery {
  @ApiPropertyOptional({ description: 'Exact email (matched through a blind index).' })
  @IsOmittable() @IsEmail() @MaxLength(254)
  email?: string;

  @ApiPropertyOptional({ description: 'Display-name word prefixes, two or more letters each; every word must match.' })
  @IsOmittable() @IsString() @Length(1, 200)
  q?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'nextCursor of the previous page.' })
  @IsOmittable() @IsUUID()
  cursor?: string;

  @PageLimit()
  limit?: number;
}

export class UserDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() email!: string;
  @ApiProperty() displayName!: string;
  @ApiProperty({ enum: ROLES }) role!: Role;
  @ApiProperty({ enum: STATUSES }) status!: UserStatus;
  @ApiProperty() createdAt!: Date;
}

export class UserListDto {
  @ApiProperty({ type: [UserDto] }) items!: UserDto[];
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) nextCursor!: string | null;
}
