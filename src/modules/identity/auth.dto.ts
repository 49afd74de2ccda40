import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsString, Length, Matches, MaxLength } from 'class-validator';
import { IsOmittable } from '../../platform/http/validation';

/** Long enough for any real password, short enough that nobody makes argon2 hash a megabyte. */
const MAX_PASSWORD_INPUT = 1024;

export class LoginDto {
  @ApiProperty({ description: 'The tenant slug.', example: 'st-marys' })
  @IsString() @Matches(/^[a-z0-9][a-z0-9-]{1,62}$/)
  tenant!: string;

  @ApiProperty({ example: 'nurse@st-marys.example' })
  @IsEmail() @MaxLength(254)
  email!: string;

  @ApiProperty({ format: 'password' })
  @IsString() @Length(1, MAX_PASSWORD_INPUT)
  password!: string;

  @ApiPropertyOptional({ description: 'The current code of the TOTP authenticator, when the user has one.', example: '123456' })
  @IsOmittable() @IsString() @MaxLength(16)
  totp?: string;
}

export class RefreshTokenDto {
  @ApiProperty()
  @IsString() @Length(1, 200)
  refreshToken!: string;
}

export class ChangePasswordDto {
  @ApiProperty({ format: 'password' })
  @IsString() @Length(1, MAX_PASSWORD_INPUT)
  currentPassword!: string;

  @ApiProperty({ format: 'password', description: '12-128 characters, not a commonly used password.' })
  @IsString() @Length(1, MAX_PASSWORD_INPUT)
  newPassword!: string;
}

export class TotpCodeDto {
  @ApiProperty({ example: '123456' })
  @IsString() @MaxLength(16)
  code!: string;
}

export class TokenPairDto {
  @ApiProperty({ description: 'ES256 JWT (typ at+jwt), valid 15 minutes.' }) accessToken!: string;
  @ApiProperty({ description: 'Opaque; rotated on every use.' }) refreshToken!: string;
  @ApiProperty({ enum: ['Bearer'] }) tokenType!: 'Bearer';
  @ApiProperty({ example: 900 }) expiresIn!: number;
  @ApiProperty({ description: 'Seconds until the refresh token lapses unless used (idle timeout, capped by the session lifetime).' })
  refreshExpiresIn!: number;
}

export class SessionDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() createdAt!: Date;
  @ApiProperty() lastUsedAt!: Date;
  @ApiProperty({ nullable: true, type: String }) ip!: string | null;
  @ApiProperty({ nullable: true, type: String }) userAgent!: string | null;
  @ApiProperty({ description: 'The session of the token making this request.' }) current!: boolean;
}

export class SessionListDto {
  @ApiProperty({ type: [SessionDto] }) items!: SessionDto[];
}

export class TotpEnrolmentDto {
  @ApiProperty({ description: 'Base32 shared secret.' }) secret!: string;
  @ApiProperty({ example: 'otpauth://totp/Sealed%20Channels:nurse%40st-marys.example?secret=...' }) otpauthUrl!: string;
}
