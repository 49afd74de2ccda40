import { generateSecret, generateURI, verify } from 'otplib';

/** RFC 6238 defaults every authenticator app understands: SHA-1, 6 digits, 30-second steps. */
const CODE_PATTERN = /^\d{6}$/;
/** One step of clock drift either way, for phones whose clocks run a little off. */
const DRIFT_SECONDS = 30;

export function newTotpSecret(): string {
  return generateSecret({ length: 20 });
}

export function totpUri(secret: string, issuer: string, label: string): string {
  return generateURI({ issuer, label, secret });
}

/**
 * The time step a code belongs to, or null when it is wrong. A code is accepted once: steps at or before
 * `lastUsedStep` are refused, so a code seen over a shoulder or replayed from a log does not open a session.
 */
export async function verifyTotp(secret: string, code: string, lastUsedStep: number | null, epochSeconds = Date.now() / 1000): Promise<number | null> {
  if (!CODE_PATTERN.test(code)) return null;
  try {
    const result = await verify({
      secret,
      token: code,
      epoch: Math.floor(epochSeconds),
      epochTolerance: DRIFT_SECONDS,
      ...(lastUsedStep === null ? {} : { afterTimeStep: lastUsedStep }),
    });
    return result.valid && 'timeStep' in result ? result.timeStep : null;
  } catch {
    // otplib throws for an afterTimeStep ahead of the window: no code can be valid then.
    return null;
  }
}
