/** The supervisor's own exit reasons in the operator's language; an OS message stays as it is. */
const EXIT_ERRORS: [RegExp, string][] = [
  [/^the relay recorded no exit$/, 'exitError.noExit'],
  [/^the relay ended without recording the exit/, 'exitError.relayKilled'],
  [/^the relay ended before starting the bot: see (.+)$/, 'exitError.relayBeforeStart'],
  [/^did not end after a forced kill$/, 'exitError.survivedForce'],
  [/^Nexus Ops ended before this run was recorded/, 'exitError.appEnded'],
];

export function exitErrorText(
  error: string,
  t: (key: string, options?: Record<string, unknown>) => string,
): string {
  for (const [pattern, key] of EXIT_ERRORS) {
    const m = pattern.exec(error);
    if (m) return t(key, { path: m[1] ?? '' });
  }
  return error;
}
