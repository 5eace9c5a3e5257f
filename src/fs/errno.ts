/**
 * What a filesystem error means, decided in one place. Callers branch on these predicates, never
 * on errno strings of their own: three hand-made lists had drifted apart (one took EACCES for
 * "not found", which hides a permission problem behind a "missing object").
 */
export function errnoOf(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The path (or a directory on it) does not exist. */
export function isMissing(e: unknown): boolean {
  const c = errnoOf(e);
  return c === 'ENOENT' || c === 'ENOTDIR';
}

/** This user may not do it (or the filesystem is read-only). */
export function isDenied(e: unknown): boolean {
  const c = errnoOf(e);
  return c === 'EACCES' || c === 'EPERM' || c === 'EROFS';
}

export function isExisting(e: unknown): boolean {
  return errnoOf(e) === 'EEXIST';
}

/**
 * A hard link was refused for a reason that copying avoids: another filesystem (EXDEV, also
 * across bind mounts), a filesystem without links (EPERM on some FUSE/SMB mounts, ENOTSUP), the
 * link limit (EMLINK), or the kernel's protected_hardlinks rule for files of other users (EPERM).
 */
export function isLinkRefused(e: unknown): boolean {
  const c = errnoOf(e);
  return c === 'EXDEV' || c === 'EPERM' || c === 'EMLINK' || c === 'ENOTSUP' || c === 'EOPNOTSUPP';
}

/** A file opened with O_NOFOLLOW was a symbolic link. */
export function isSymlinkRefused(e: unknown): boolean {
  return errnoOf(e) === 'ELOOP';
}
