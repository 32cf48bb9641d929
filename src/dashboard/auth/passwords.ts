// The admin password: bcrypt hashes (as the Go dashboard made them) and argon2id hashes.
import bcrypt from 'bcryptjs';
import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    if (hash.startsWith('$argon2')) return await argon2Verify(hash, password);
    // $2y$ (PHP's name) is the same algorithm as $2b$.
    return await bcrypt.compare(password, hash.replace(/^\$2y\$/, '$2b$'));
  } catch {
    return false;
  }
}

/** An argon2id hash (the library's default algorithm). */
export function hashPassword(password: string): Promise<string> {
  return argon2Hash(password);
}
