/** Turns SQLite failures into messages that name the file and the fix. */
export function describeDbError(err: unknown, file: string): string {
  const code = (err as { code?: string } | null)?.code ?? '';
  const message = err instanceof Error ? err.message : String(err);
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return `database ${file} is locked by another program: close the other Nexus Ops or tool holding it (writes are kept in memory and retried)`;
  }
  if (code.startsWith('SQLITE_READONLY') || code === 'EACCES' || code === 'EPERM') {
    return `database ${file} is read-only: give this user write permission on the file and its folder (writes are kept in memory and retried)`;
  }
  if (code.startsWith('SQLITE_FULL') || code === 'ENOSPC') {
    return `disk holding ${file} is full: free some space (writes are kept in memory and retried)`;
  }
  if (code.startsWith('SQLITE_CORRUPT') || code.startsWith('SQLITE_NOTADB')) {
    return `database ${file} is damaged: restore a backup or move the file away to start fresh (${message})`;
  }
  if (code.startsWith('SQLITE_CANTOPEN')) {
    return `cannot open database ${file}: check that the folder exists and is writable (${message})`;
  }
  return `database ${file}: ${message}`;
}
