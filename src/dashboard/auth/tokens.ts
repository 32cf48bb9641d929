// Secrets compared in constant time, and stored only as hashes.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

export function sha256Hex(text: string): string {
  return sha256(text).toString('hex');
}

/** A new random secret, URL-safe, with `bytes` bytes of entropy. */
export function newSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerOf(authorization: string | undefined): string | null {
  return authorization === undefined ? null : (/^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1] ?? null);
}

/** Compares two strings without leaking where they differ. */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}
